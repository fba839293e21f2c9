//! Test support for the integration tests of `orcha-api` and `orcha-server`; never shipped.
//!
//! - [`TestApp`]: an `AppState` on a temporary SQLite file, built with [`TestApp::builder`].
//! - [`FakeNode`]: one scriptable `ProtocolAdapter` that records the knob writes it receives.
//! - [`cli`]: the real `orcha` binary with its own config and data directory.
//! - [`keyring`]: a private D-Bus bus and gnome-keyring, so a test never sees the real keyring.
//! - [`NoSecretService`]: a secret store as on a box without a Secret Service.
//! - [`net`]: stub HTTP servers and the server under test on a free loopback port.
//! - [`ml_engine`]: the real ML engine from the workspace's venv on a free loopback port.
//! - [`wait`]: waiting for a condition or an event, with a deadline that names what was awaited.
//!
//! Everything here panics on a broken setup: a test that cannot be set up is a failed test.

mod app;
pub mod cli;
mod fake_node;
pub mod keyring;
pub mod ml_engine;
pub mod net;
mod no_secret_service;
pub mod wait;

pub use app::{TestApp, TestAppBuilder};
pub use fake_node::FakeNode;
pub use no_secret_service::NoSecretService;

use chrono::{DateTime, Utc};

/// An RFC 3339 instant, for manual clocks and expected timestamps.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339:?} is not RFC 3339: {e}"))
        .to_utc()
}

/// A temporary directory, removed when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}
