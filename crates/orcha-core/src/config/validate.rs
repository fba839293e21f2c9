//! Checks across keys that serde cannot express, each error naming the offending dotted key.

use super::{Config, RunsAs};
use crate::domain::NodeId;

impl Config {
    pub(super) fn validate(&self) -> Result<(), String> {
        let o = &self.orchestrator;
        for (key, v) in [
            (
                "orchestrator.optimization_interval",
                o.optimization_interval,
            ),
            ("orchestrator.poll_interval", o.poll_interval),
            ("orchestrator.poll_timeout", o.poll_timeout),
            ("ml.request_timeout", self.ml.request_timeout),
        ] {
            if v == 0 {
                return Err(format!("`{key}` must be greater than 0"));
            }
        }
        if o.bind.parse::<std::net::IpAddr>().is_err() {
            return Err(format!(
                "`orchestrator.bind` = {:?} is not an IP address",
                o.bind
            ));
        }
        // The machine name is a Prometheus label value: any text, but one line and short enough
        // to show in a fleet table.
        if o.machine.len() > 64 || o.machine.chars().any(char::is_control) {
            return Err(format!(
                "`orchestrator.machine` = {:?} must be one line of at most 64 bytes",
                o.machine
            ));
        }
        self.fleet.validate()?;
        self.backup.validate()?;
        self.check_transport()?;
        self.usage.validate()?;
        let a = &self.allocation;
        for (key, v) in [
            ("allocation.reserve_cpu_cores", a.reserve_cpu_cores),
            ("allocation.grant_cpu_cores", a.grant_cpu_cores),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("`{key}` must be a number of cores, 0 or more"));
            }
        }
        if a.horizon_hours == 0 {
            return Err("`allocation.horizon_hours` must be at least 1".to_owned());
        }
        for (key, v) in [
            ("allocation.margin_usd", &a.margin_usd),
            ("allocation.change_cost_usd", &a.change_cost_usd),
        ] {
            if !is_decimal(v) {
                return Err(format!(
                    "`{key}` = {v:?} must be a non-negative decimal string like \"0.05\""
                ));
            }
        }
        for (token, v) in &a.fiat_per_token {
            if !is_decimal(v) {
                return Err(format!("`allocation.fiat_per_token.{token}` = {v:?} must be a non-negative decimal string"));
            }
        }
        for (id, n) in &a.nodes {
            id.parse::<NodeId>()
                .map_err(|e| format!("`allocation.nodes.{id}`: {e}"))?;
            let missing = match n.runs_as {
                RunsAs::Native if n.cgroup.is_empty() => Some("cgroup"),
                RunsAs::Systemd if n.unit.is_empty() => Some("unit"),
                RunsAs::Docker if n.container.is_empty() => Some("container"),
                RunsAs::Simulated if n.simulator.is_empty() => Some("simulator"),
                _ => None,
            };
            if let Some(key) = missing {
                return Err(format!(
                    "`allocation.nodes.\"{id}\"` runs as {:?} and needs `{key}`",
                    n.runs_as
                ));
            }
        }
        self.prices.validate()?;
        if self.storage.retention_raw_days == 0 {
            return Err("`storage.retention_raw_days` must be at least 1".to_owned());
        }
        if self.protocols.grass.enabled && self.protocols.grass.poll_interval < 300 {
            return Err("`protocols.grass.poll_interval` must be at least 300 seconds: the Grass cloud API rate-limits".to_owned());
        }
        if !is_decimal(&self.protocols.streamr.min_pol_balance) {
            return Err(format!(
                "`protocols.streamr.min_pol_balance` = {:?} must be a non-negative decimal string",
                self.protocols.streamr.min_pol_balance
            ));
        }
        for t in self.protocols.tables() {
            let protocol = t.protocol;
            let mut names = std::collections::HashSet::new();
            for (name, endpoint) in t.endpoints() {
                NodeId::new(protocol, name).map_err(|e| format!("`protocols.{protocol}`: {e}"))?;
                if !names.insert(name) {
                    return Err(format!(
                        "`protocols.{protocol}`: node name `{name}` is used twice"
                    ));
                }
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    return Err(format!(
                        "`protocols.{protocol}` node `{name}`: api_endpoint {endpoint:?} must start with http:// or https://"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A plain non-negative decimal (`12`, `0.05`); money in the config is never a float.
pub(super) fn is_decimal(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}
