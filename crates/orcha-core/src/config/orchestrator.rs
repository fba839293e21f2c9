//! The `[orchestrator]` and `[storage]` tables: where Orcha listens, how often it works, what it keeps.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrchestratorConfig {
    /// Port of the REST/WebSocket API and `/metrics`.
    pub api_port: u16,
    /// Address the API binds to. The API token is required on every bind, loopback included.
    pub bind: String,
    /// Seconds between optimization cycles.
    pub optimization_interval: u64,
    /// Default seconds between polls of one node.
    pub poll_interval: u64,
    /// Seconds one adapter call may take before it counts as a timeout.
    pub poll_timeout: u64,
    /// Seconds to wait for tasks to finish on shutdown before aborting them.
    pub shutdown_deadline: u64,
    /// Where the database and models live; empty means the platform data directory.
    pub data_dir: String,
    /// Port of a separate loopback `/metrics` listener in the desktop app; 0 means off (headless
    /// mode always serves `/metrics` on the API port).
    pub metrics_port: u16,
    /// This machine's name in a fleet (the `machine` label of `orcha_machine_info`); empty means
    /// the host name.
    pub machine: String,
}

impl Default for OrchestratorConfig {
    fn default() -> Self {
        OrchestratorConfig {
            api_port: 7373,
            bind: "127.0.0.1".to_owned(),
            optimization_interval: 900,
            poll_interval: 60,
            poll_timeout: 10,
            shutdown_deadline: 5,
            data_dir: String::new(),
            metrics_port: 0,
            machine: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// SQLite file; empty means `<data_dir>/orcha.db`. `DATABASE_URL` overrides it.
    pub database: String,
    /// Days raw samples are kept before only the rollups remain.
    pub retention_raw_days: u32,
    /// Days 1-minute rollups are kept.
    pub retention_minute_days: u32,
    /// Days 1-hour rollups are kept.
    pub retention_hour_days: u32,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            database: String::new(),
            retention_raw_days: 7,
            retention_minute_days: 90,
            retention_hour_days: 1825,
        }
    }
}
