//! Protocol adapters: one module per protocol, named after it, plus the HTTP client they share.
//!
//! Each adapter implements `orcha_core::ProtocolAdapter` and follows `docs/adapter-contract.md`.

pub mod http;
