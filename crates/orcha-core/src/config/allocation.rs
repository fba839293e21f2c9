//! The `[allocation]` table: what Orcha may divide between nodes and how each node is enforced.

use std::collections::BTreeMap;

use serde::Deserialize;

/// What the operator grants Orcha to divide between nodes, and the rules for changing it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllocationConfig {
    /// Cores granted to Orcha outright; 0 means the detected cores minus `reserve_cpu_cores`.
    pub grant_cpu_cores: f64,
    /// Memory granted outright, in MiB; 0 means detected memory minus the reserve.
    pub grant_memory_mib: u64,
    /// Disk granted outright (everything the nodes may hold, used space included), in GiB; 0 means
    /// free space of every disk minus the reserve, plus what the nodes already use.
    pub grant_disk_gib: u64,
    /// Logical CPUs kept back for the desktop (the rest of the machine's cores is the budget).
    pub reserve_cpu_cores: f64,
    /// Memory kept back for the desktop, in MiB.
    pub reserve_memory_mib: u64,
    /// Free disk space kept back on every disk, in GiB.
    pub reserve_disk_gib: u64,
    /// The uplink Orcha may hand out, in Mbit/s; 0 means bandwidth is not allocated.
    pub bandwidth_up_mbps: u64,
    /// The downlink, in Mbit/s (recorded in the budget; only egress is shaped).
    pub bandwidth_down_mbps: u64,
    /// Hours a plan's gain is counted over.
    pub horizon_hours: u32,
    /// Fiat a plan must earn on top of its switching cost over the horizon (decimal string, USD).
    pub margin_usd: String,
    /// Fixed fiat cost of changing one node at all (decimal string, USD): the hysteresis step.
    pub change_cost_usd: String,
    /// Seconds a node must run after a restart before Orcha changes it again.
    pub min_dwell_secs: u64,
    /// Let a plan from the Rust fallback optimizer (ML engine down) be applied; otherwise it is
    /// only recommended.
    pub fallback_auto_apply: bool,
    /// Fiat (USD) per token for tokens without a price feed, as decimal strings, e.g.
    /// `{ glm = "0.25" }`. Nodes whose token has no price are held at their allocation.
    pub fiat_per_token: BTreeMap<String, String>,
    /// How each node runs, keyed by node id (`"storj:main"`); absent means `knob-only`.
    pub nodes: BTreeMap<String, NodeEnforcement>,
}

impl Default for AllocationConfig {
    fn default() -> Self {
        AllocationConfig {
            grant_cpu_cores: 0.0,
            grant_memory_mib: 0,
            grant_disk_gib: 0,
            reserve_cpu_cores: 1.0,
            reserve_memory_mib: 2048,
            reserve_disk_gib: 20,
            bandwidth_up_mbps: 0,
            bandwidth_down_mbps: 0,
            horizon_hours: 24,
            margin_usd: "0.05".to_owned(),
            change_cost_usd: "0.01".to_owned(),
            min_dwell_secs: 6 * 3600,
            fallback_auto_apply: false,
            fiat_per_token: BTreeMap::new(),
            nodes: BTreeMap::new(),
        }
    }
}

/// How a node's process runs, which decides the enforcement backend for CPU, memory and egress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunsAs {
    /// Only the protocol's own knobs (Golem profile, Storj allocated disk).
    #[default]
    KnobOnly,
    /// A native process in a cgroup Orcha may write (`cgroup`).
    Native,
    /// A systemd unit (`unit`); limits go through `systemctl set-property`.
    Systemd,
    /// A Docker container (`container`), limited through the Engine API.
    Docker,
    /// A node of the built-in simulator (demo mode and `orcha bench loop` set this): its CPU and
    /// bandwidth limits are kept by the simulator, set through its control API (`simulator`).
    Simulated,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeEnforcement {
    pub runs_as: RunsAs,
    /// The node's cgroup, relative to the cgroup root (`native`).
    pub cgroup: String,
    /// The systemd unit (`systemd`), e.g. `storagenode.service`.
    pub unit: String,
    /// Container id or name (`docker`).
    pub container: String,
    /// The Docker Engine socket; empty means `/var/run/docker.sock`.
    pub docker_socket: String,
    /// Network device whose egress carries this node (e.g. the container's veth); empty means
    /// egress is not shaped.
    pub egress_device: String,
    /// The node's listening ports when `egress_device` is shared with other traffic: only IPv4
    /// packets leaving from these ports are shaped. Empty means the device is the node's alone.
    pub egress_ports: Vec<u16>,
    /// Let this node's changes be applied without asking (overrides the protocol's `auto_apply`).
    pub auto_apply: Option<bool>,
    /// The simulator's control API (`simulated`), `http://127.0.0.1:<port>`; demo mode sets it.
    pub simulator: String,
}
