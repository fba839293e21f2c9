//! Protocol adapters: one folder per protocol, named after it, plus the HTTP client and process detection they share.
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
