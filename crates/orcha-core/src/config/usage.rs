//! The `[usage]` table: measuring what each node really uses from the operating system, and the
//! thresholds of the alert rules that read those measurements.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::domain::ProtocolId;

/// How nodes are measured every poll, and when their use raises an alert.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsageConfig {
    /// Measure every node's process, unit or container from the OS on every poll.
    pub enabled: bool,
    /// Seconds a walk of a node's `storage_path` is reused (walking millions of pieces is costly).
    pub disk_walk_secs: u64,
    /// Knob maxima from this machine (free disk, logical CPUs, RAM). Off, they are the
    /// `allocation.grant_*` amounts: the demo's nodes live on the simulated machine.
    pub machine_bounds: bool,
    /// Percent of the node's memory limit (its allocation, else the machine's RAM) that opens
    /// `memory_high`; 0 turns the measured part of the rule off.
    pub memory_high_percent: f64,
    /// Percent of the node's CPU cap (its allocation, else every logical CPU) that opens
    /// `cpu_saturated`; 0 means off.
    pub cpu_saturated_percent: f64,
    /// Percent of the node's egress cap that opens `bandwidth_at_cap`; 0 means off. Only nodes
    /// with a bandwidth allocation have a cap.
    pub bandwidth_cap_percent: f64,
    /// Hours a running, healthy node may go without new earnings before `running_not_earning`:
    /// each protocol's normal gap between two increases of its earnings.
    pub not_earning_hours: NotEarningHours,
    /// Where each node runs, keyed by node id (`"storj:main"`). Absent means the enforcement
    /// backend's unit, container or cgroup (`allocation.nodes`), else the protocol's process.
    pub nodes: BTreeMap<String, NodeUsageConfig>,
}

impl Default for UsageConfig {
    fn default() -> Self {
        UsageConfig {
            enabled: true,
            disk_walk_secs: 600,
            machine_bounds: true,
            memory_high_percent: 90.0,
            cpu_saturated_percent: 95.0,
            bandwidth_cap_percent: 95.0,
            not_earning_hours: NotEarningHours::default(),
            nodes: BTreeMap::new(),
        }
    }
}

/// The normal gap between two earnings increases, per protocol, in hours; 0 turns the rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotEarningHours {
    pub storj: u32,
    pub golem: u32,
    pub streamr: u32,
    pub grass: u32,
}

impl Default for NotEarningHours {
    fn default() -> Self {
        // Storj's estimate grows with the satellites' bandwidth rollups and storage tallies,
        // which arrive within a day; Golem earns only when a requestor hires it, and days
        // without a task are common on mainnet; Streamr sponsorship earnings accrue
        // continuously; Grass credits points at least daily.
        NotEarningHours {
            storj: 48,
            golem: 72,
            streamr: 24,
            grass: 48,
        }
    }
}

impl NotEarningHours {
    pub fn of(&self, protocol: ProtocolId) -> u32 {
        match protocol {
            ProtocolId::Storj => self.storj,
            ProtocolId::Golem => self.golem,
            ProtocolId::Streamr => self.streamr,
            ProtocolId::Grass => self.grass,
        }
    }
}

/// Where one node runs. At most one of `process`, `pid_file`, `unit`, `container` is set.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeUsageConfig {
    /// Measure this node at all.
    pub measure: Option<bool>,
    /// Process names, `|`-separated (`yagna|ya-provider`), or a pid.
    pub process: String,
    /// A file holding the node's pid.
    pub pid_file: String,
    /// A systemd unit (`storagenode.service`), measured through its cgroup.
    pub unit: String,
    /// A Docker container name or id.
    pub container: String,
    /// Where the node keeps its data, for used space and the disk maximum.
    pub storage_path: String,
}

impl UsageConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        for (key, v) in [
            ("usage.memory_high_percent", self.memory_high_percent),
            ("usage.cpu_saturated_percent", self.cpu_saturated_percent),
            ("usage.bandwidth_cap_percent", self.bandwidth_cap_percent),
        ] {
            if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                return Err(format!("`{key}` must be a percent from 0 to 100"));
            }
        }
        if self.disk_walk_secs == 0 {
            return Err("`usage.disk_walk_secs` must be greater than 0".to_owned());
        }
        for (id, n) in &self.nodes {
            if id.parse::<crate::domain::NodeId>().is_err() {
                return Err(format!(
                    "`usage.nodes.{id:?}`: the key must be a node id like \"storj:main\""
                ));
            }
            let set = [&n.process, &n.pid_file, &n.unit, &n.container]
                .iter()
                .filter(|s| !s.is_empty())
                .count();
            if set > 1 {
                return Err(format!(
                    "`usage.nodes.{id:?}`: set only one of process, pid_file, unit, container"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parse(toml: &str) -> Result<Config, String> {
        Config::from_toml(toml, std::path::Path::new("t.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn node_targets_and_thresholds_are_checked() {
        let c = parse("[usage.nodes.\"storj:main\"]\nunit = \"storagenode.service\"\n[usage.not_earning_hours]\ngolem = 6\n").unwrap();
        assert_eq!(c.usage.nodes["storj:main"].unit, "storagenode.service");
        assert_eq!(c.usage.not_earning_hours.of(ProtocolId::Golem), 6);
        assert_eq!(c.usage.not_earning_hours.of(ProtocolId::Storj), 48);
        let two =
            parse("[usage.nodes.\"storj:main\"]\nunit = \"a\"\ncontainer = \"b\"\n").unwrap_err();
        assert!(
            two.contains("usage.nodes") && two.contains("only one"),
            "{two}"
        );
        let bad_id = parse("[usage.nodes.\"main\"]\nprocess = \"x\"\n").unwrap_err();
        assert!(bad_id.contains("node id"), "{bad_id}");
        let pct = parse("[usage]\ncpu_saturated_percent = 120.0\n").unwrap_err();
        assert!(pct.contains("usage.cpu_saturated_percent"), "{pct}");
    }
}
