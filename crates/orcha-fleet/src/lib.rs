//! Several machines: the fleet view read from Prometheus, and `orcha serve` as a hardened systemd service with systemd credentials.
//!
//! Each machine runs its own Orcha; Prometheus scrapes them all (or receives their agents'
//! remote_write) and is the only place the fleet exists. Nothing here talks to another Orcha.

pub mod credentials;
pub mod dto;
pub mod prometheus;
mod run;
pub mod service;
pub mod snapshot;

pub use dto::FleetDto;
pub use prometheus::{FleetError, PrometheusClient, Sample};
pub use snapshot::{fleet_snapshot, FleetClient};
