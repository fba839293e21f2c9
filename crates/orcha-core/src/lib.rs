//! Domain types, the protocol adapter contract, configuration and events of DePIN Orcha.
//!
//! This crate does no IO besides reading the configuration file and replacing a file atomically
//! (`atomic_file`): adapters, the store and the front doors live in other crates, so everything
//! here is cheap to build and test.

pub mod adapter;
pub mod atomic_file;
pub mod clock;
pub mod compliance;
pub mod config;
pub mod domain;
pub mod event;
pub mod money;
pub mod secret;

pub use adapter::{AdapterError, ProtocolAdapter};
pub use clock::{Clock, ManualClock, SystemClock};
pub use domain::*;
pub use money::{Money, MoneyError, Token};
