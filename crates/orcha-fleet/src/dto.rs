//! The fleet view as the UI sees it: machines, their nodes and totals, serialized and typed for TypeScript.
//!
//! Figures come from Prometheus samples, which are floats: they are for display, like the
//! `orcha_node_earnings*` gauges they are read from; exact amounts stay in each machine's API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Whether a machine is reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MachineState {
    /// Its last scrape succeeded and is recent.
    Up,
    /// Its last scrape failed (`up` = 0): Orcha is stopped or unreachable.
    Down,
    /// No scrape for longer than `fleet.stale_after_secs` (the box or its agent stopped pushing).
    Stale,
}

/// A node's health as `orcha_node_health_state` encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FleetHealth {
    Unknown,
    Healthy,
    Degraded,
    Unreachable,
}

impl FleetHealth {
    /// The gauge's code (0 unknown, 1 healthy, 2 degraded, 3 unreachable); anything else is unknown.
    pub fn from_code(v: f64) -> FleetHealth {
        match v as i64 {
            1 => FleetHealth::Healthy,
            2 => FleetHealth::Degraded,
            3 => FleetHealth::Unreachable,
            _ => FleetHealth::Unknown,
        }
    }
}

/// Fiat earned in one window (`today` since 00:00 UTC, `7d`, `30d`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct FiatWindowDto {
    pub window: String,
    /// Lower-case currency code, e.g. `usd`.
    pub fiat: String,
    pub value: f64,
}

/// An amount of one resource, in the metric's base unit (e.g. `cpu_millicores`, `disk_bytes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ResourceAmountFleetDto {
    pub resource: String,
    pub amount: f64,
}

/// One node of one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct FleetNodeDto {
    /// `protocol:name`, e.g. `golem:main`.
    pub node: String,
    pub protocol: String,
    pub health: FleetHealth,
    pub earnings: Vec<FiatWindowDto>,
    pub allocation: Vec<ResourceAmountFleetDto>,
}

/// One machine of the fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct MachineDto {
    /// The `machine` label (scrape config or `[orchestrator] machine`), else the instance.
    pub machine: String,
    /// `host:port` Prometheus scrapes.
    pub instance: Option<String>,
    pub version: Option<String>,
    pub state: MachineState,
    /// Time of the last scrape Prometheus recorded, successful or not.
    pub last_scrape: Option<DateTime<Utc>>,
    pub nodes: Vec<FleetNodeDto>,
    /// Sums over the machine's nodes, per window and currency.
    pub earnings: Vec<FiatWindowDto>,
    /// Sums over the machine's nodes, per resource.
    pub allocation: Vec<ResourceAmountFleetDto>,
    /// Absent when the machine did not report it recently.
    pub alerts_open: Option<u32>,
    /// From `fleet.dashboard_urls`.
    pub dashboard_url: Option<String>,
}

/// Sums over every machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct FleetTotalsDto {
    pub machines: u32,
    pub machines_up: u32,
    pub nodes: u32,
    pub nodes_healthy: u32,
    pub earnings: Vec<FiatWindowDto>,
    pub allocation: Vec<ResourceAmountFleetDto>,
    pub alerts_open: u32,
}

/// The fleet at one moment, as one Prometheus sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct FleetDto {
    pub at: DateTime<Utc>,
    /// The Prometheus asked (without credentials).
    pub prometheus_url: String,
    pub machines: Vec<MachineDto>,
    pub totals: FleetTotalsDto,
}

/// TypeScript declarations of every fleet DTO, to append to `ui/src/bindings.ts`.
pub fn typescript_decls() -> Vec<String> {
    vec![
        MachineState::decl(),
        FleetHealth::decl(),
        FiatWindowDto::decl(),
        ResourceAmountFleetDto::decl(),
        FleetNodeDto::decl(),
        MachineDto::decl(),
        FleetTotalsDto::decl(),
        FleetDto::decl(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_name_every_type() {
        let all = typescript_decls().join("\n");
        for t in ["FleetDto", "MachineDto", "MachineState", "FleetNodeDto"] {
            assert!(all.contains(&format!("type {t}")), "{all}");
        }
        assert!(all.contains("\"stale\""), "{all}");
    }
}
