//! Protocol adapters: one module per protocol, named after it, plus the HTTP client they share.
//!
//! Each adapter implements `orcha_core::ProtocolAdapter` and follows `docs/adapter-contract.md`.

mod factory;
pub mod golem;
pub mod grass;
pub mod http;
pub mod prices;
pub mod probe;
pub mod process;
pub mod storj;
pub mod streamr;

pub use factory::{build_adapter, AdapterContext};
