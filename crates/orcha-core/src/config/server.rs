//! The `[server]` table: who may reach `orcha serve`'s HTTP API and where `/metrics` listens.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Extra names (`host` or `host:port`) the API answers to besides the bound address,
    /// `localhost`, `127.0.0.1` and `[::1]`; anything else is refused to stop DNS rebinding.
    pub allowed_hosts: Vec<String>,
    /// `ip:port` of a separate loopback listener for `/metrics` without a token; empty means
    /// `/metrics` is served on the API port and needs the API token.
    pub metrics_listen: String,
}
