//! What each node really uses, measured from the operating system on every poll through
//! `orcha_usage`, kept beside what the node's own API reports.
//!
//! The protocol's samples keep their names (`cpu_millicores`, …); measured ones are stored as
//! `measured.<metric>` so both series survive side by side and each says where it came from.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use orcha_core::config::{Config, NodeUsageConfig, RunsAs};
use orcha_core::{NodeId, ResourceKind};
use orcha_store::Sample;
use orcha_usage::{
    default_names, Measured, MeterSpec, NameMatch, NodeMeter, ProcessSelector, UsageReading,
    UsageTarget,
};

/// The prefix of every measured series in the store and in the metrics.
pub const MEASURED_PREFIX: &str = "measured.";

/// A node's meter between polls. `Busy` while a poll holds it, so two overlapping polls (the
/// poll task and the cycle's collect step) never share counters and no lock spans an `.await`.
#[derive(Debug, Default)]
pub enum MeterSlot {
    #[default]
    Unbuilt,
    Idle(Box<NodeMeter>),
    Busy,
    Off,
}

/// What the newest measurement of a node found.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredLive {
    pub at: DateTime<Utc>,
    /// `process storagenode`, `unit storagenode.service`, `container storj`, …
    pub target: String,
    /// The process, unit or container was found.
    pub running: bool,
    pub reading: UsageReading,
    /// Why the target could not be read at all.
    pub error: Option<String>,
    /// What the machine can give, per resource (logical CPUs, RAM, free disk plus the node's).
    pub machine_max: Vec<(ResourceKind, u64)>,
}

/// The meter of node `id`, from `[usage.nodes]`, else the enforcement backend's own unit,
/// container or cgroup, else the protocol's process names. `None` when it is not measured.
pub fn spec_for(config: &Config, id: &NodeId) -> Option<MeterSpec> {
    let key = id.to_string();
    let own = config.usage.nodes.get(&key).cloned().unwrap_or_default();
    if own.measure == Some(false) {
        return None;
    }
    let enforced = config.allocation.nodes.get(&key);
    let target = target_of(&own).or_else(|| {
        let e = enforced?;
        match e.runs_as {
            RunsAs::Systemd if !e.unit.is_empty() => Some(UsageTarget::Unit(e.unit.clone())),
            RunsAs::Docker if !e.container.is_empty() => {
                Some(UsageTarget::Container(e.container.clone()))
            }
            RunsAs::Native if !e.cgroup.is_empty() => Some(UsageTarget::Cgroup(e.cgroup.clone())),
            _ => None,
        }
    });
    let mut spec = MeterSpec::new(target.unwrap_or_else(|| {
        UsageTarget::Process(ProcessSelector::Names(default_names(id.protocol())))
    }));
    if let Some(e) = enforced.filter(|e| !e.docker_socket.is_empty()) {
        spec.docker.socket = PathBuf::from(&e.docker_socket);
    }
    // Where Orcha shapes the node's egress, its class counts the bytes (the same class id
    // `orcha_enforce::tc` gives it: `1:10` on a device of its own, else `1:<first port, hex>`).
    if let Some(e) = enforced.filter(|e| !e.egress_device.is_empty()) {
        let classid = match e.egress_ports.iter().find(|p| **p != 0) {
            Some(p) => format!("1:{p:x}"),
            None => "1:10".to_owned(),
        };
        spec.tc_class = Some(orcha_usage::TcClass::new(&e.egress_device, None, &classid));
    }
    if !own.storage_path.is_empty() {
        spec.storage_path = Some(PathBuf::from(&own.storage_path));
    }
    spec.timeout = Duration::from_secs(config.orchestrator.poll_timeout.clamp(1, 10));
    spec.disk_walk_every = Duration::from_secs(config.usage.disk_walk_secs);
    Some(spec)
}

/// The target the operator named in `[usage.nodes."<id>"]`, if any.
pub fn target_of(n: &NodeUsageConfig) -> Option<UsageTarget> {
    if !n.process.is_empty() {
        let p = n.process.trim();
        return Some(UsageTarget::Process(match p.parse::<u32>() {
            Ok(pid) => ProcessSelector::Pid(pid),
            Err(_) => ProcessSelector::Names(
                p.split('|')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(NameMatch::exact)
                    .collect(),
            ),
        }));
    }
    if !n.pid_file.is_empty() {
        return Some(UsageTarget::Process(ProcessSelector::PidFile(
            n.pid_file.clone().into(),
        )));
    }
    if !n.unit.is_empty() {
        return Some(UsageTarget::Unit(n.unit.clone()));
    }
    (!n.container.is_empty()).then(|| UsageTarget::Container(n.container.clone()))
}

/// Measures one node once. `None` when measuring is off (config, demo, or another poll holds
/// the meter right now).
pub async fn measure(
    config: &Config,
    demo: bool,
    id: &NodeId,
    slot: &Mutex<MeterSlot>,
    now: DateTime<Utc>,
) -> Option<MeasuredLive> {
    // The simulator's nodes are not processes of this machine.
    if !config.usage.enabled {
        return None;
    }
    if demo {
        return simulated(config, id, now).await;
    }
    let taken = {
        let mut s = slot.lock().unwrap_or_else(|e| e.into_inner());
        match std::mem::replace(&mut *s, MeterSlot::Busy) {
            MeterSlot::Idle(m) => Some(m),
            MeterSlot::Unbuilt => match spec_for(config, id) {
                Some(spec) => Some(Box::new(NodeMeter::new(spec))),
                None => {
                    *s = MeterSlot::Off;
                    return None;
                }
            },
            other => {
                *s = other;
                return None;
            }
        }
    };
    let mut meter = taken?;
    let target = meter.spec().target.to_string();
    let result = meter.sample(Instant::now()).await;
    let storage = meter.spec().storage_path.clone();
    *slot.lock().unwrap_or_else(|e| e.into_inner()) = MeterSlot::Idle(meter);
    let (running, reading, error) = match result {
        Ok(r) => (true, r, None),
        // A missing process and an unreadable target both mean nothing was measured.
        Err(e) => (false, UsageReading::default(), Some(e)),
    };
    let holds = reading.disk_bytes.map_or(0, |m| m.value);
    let machine_max = tokio::task::spawn_blocking(move || machine_max(storage, holds))
        .await
        .unwrap_or_default();
    Some(MeasuredLive {
        at: now,
        target,
        running,
        reading,
        error: error.map(|e| e.to_string()),
        machine_max,
    })
}

/// The largest answer of the simulator's `/control/usage` (a few numbers per node).
const SIMULATED_REPLY_BYTES: usize = 64 << 10;

/// In demo mode the nodes are the simulator's and have no process here; what an OS meter would
/// read of them comes from the simulator's control API (loopback only), labelled `simulator`.
async fn simulated(config: &Config, id: &NodeId, now: DateTime<Utc>) -> Option<MeasuredLive> {
    // Every node of the demo is the simulator's; its control API is named where Streamr's and
    // Grass's limits are set.
    let simulator = config
        .allocation
        .nodes
        .values()
        .find(|n| n.runs_as == RunsAs::Simulated && !n.simulator.is_empty())?;
    let base = url::Url::parse(&simulator.simulator).ok()?;
    let loopback = match base.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    if !loopback {
        tracing::warn!(url = %base, "The simulator is not on loopback; its nodes are not measured.");
        return None;
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .ok()?;
    let read = async {
        let resp = client
            .get(base.join("/control/usage").map_err(|e| e.to_string())?)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let body = crate::ml::read_capped(resp, SIMULATED_REPLY_BYTES).await?;
        serde_json::from_slice::<serde_json::Value>(&body).map_err(|e| e.to_string())
    };
    let v = match read.await {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!(error = %e, "The simulator's usage could not be read.");
            return None;
        }
    };
    let node = &v[id.to_string()];
    let get = |k: &str| {
        node[k]
            .as_f64()
            .filter(|x| x.is_finite() && *x >= 0.0)
            .map(|x| Measured {
                value: x.round() as u64,
                source: orcha_usage::Source::Simulator,
            })
    };
    Some(MeasuredLive {
        at: now,
        target: format!("simulated {id}"),
        running: true,
        reading: UsageReading {
            cpu_millicores: get("cpu_millicores"),
            mem_bytes: get("mem_bytes"),
            net_up_bps: get("bandwidth_up_bps"),
            ..UsageReading::default()
        },
        error: None,
        machine_max: Vec::new(),
    })
}

/// What the machine can give a node: every logical CPU, all RAM, and free space where the node
/// keeps its data plus what it holds there now.
fn machine_max(storage: Option<PathBuf>, holds: u64) -> Vec<(ResourceKind, u64)> {
    let mut out = Vec::new();
    if let Ok(m) = orcha_usage::MachineLimits::read() {
        out.push((ResourceKind::Cpu, m.cpu_millicores()));
        out.push((ResourceKind::Memory, m.mem_total_bytes));
    }
    if let Some(max) = storage.and_then(|p| orcha_usage::bounds::disk_max_bytes(&p, holds).ok()) {
        out.push((ResourceKind::Disk, max));
    }
    out
}

/// The measured values with their metric names (domain units) and resources.
pub fn measured_values(r: &UsageReading) -> Vec<(&'static str, Option<ResourceKind>, Measured)> {
    [
        ("cpu_millicores", Some(ResourceKind::Cpu), r.cpu_millicores),
        ("mem_bytes", Some(ResourceKind::Memory), r.mem_bytes),
        ("disk_used_bytes", Some(ResourceKind::Disk), r.disk_bytes),
        (
            "bandwidth_up_bps",
            Some(ResourceKind::Bandwidth),
            r.net_up_bps,
        ),
        ("bandwidth_down_bps", None, r.net_down_bps),
        ("disk_read_bytes_per_s", None, r.disk_read_bytes_per_s),
        ("disk_write_bytes_per_s", None, r.disk_write_bytes_per_s),
    ]
    .into_iter()
    .filter_map(|(name, kind, v)| v.map(|v| (name, kind, v)))
    .collect()
}

/// The store's samples of one measurement, named `measured.<metric>`.
pub fn samples(id: &NodeId, m: &MeasuredLive) -> Vec<Sample> {
    measured_values(&m.reading)
        .into_iter()
        .map(|(name, _, v)| Sample {
            node: id.clone(),
            metric: format!("{MEASURED_PREFIX}{name}"),
            ts: m.at,
            value: v.value as f64,
        })
        .collect()
}

/// The measurement as the API shows it, each allocated resource beside its allocation.
pub fn dto(m: &MeasuredLive, allocated: &crate::policy::Amounts) -> crate::dto::MeasuredUsageDto {
    let max_of = |k: ResourceKind| {
        m.machine_max
            .iter()
            .find(|(kind, _)| *kind == k)
            .map(|(_, v)| v.to_string())
    };
    let mut problems: Vec<String> = m.error.iter().cloned().collect();
    problems.extend(m.reading.problems.iter().map(ToString::to_string));
    crate::dto::MeasuredUsageDto {
        at: m.at,
        target: m.target.clone(),
        running: m.running,
        pids: m.reading.pids.clone(),
        resources: measured_values(&m.reading)
            .into_iter()
            .map(|(name, kind, v)| crate::dto::MeasuredResourceDto {
                metric: format!("{MEASURED_PREFIX}{name}"),
                resource: kind.map(|k| k.as_str().to_owned()),
                value: v.value as f64,
                source: v.source.as_str().to_owned(),
                allocated: kind.and_then(|k| allocated.get(&k)).map(u64::to_string),
                machine_max: kind.and_then(max_of),
            })
            .collect(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(toml: &str) -> Config {
        Config::from_toml(toml, std::path::Path::new("test.toml")).unwrap()
    }

    #[test]
    fn the_operator_target_wins_then_enforcement_then_the_protocol_default() {
        let c = cfg(r#"
[usage.nodes."storj:main"]
process = "storagenode|sn2"
storage_path = "/mnt/storj"
[usage.nodes."grass:main"]
measure = false
[allocation.nodes."golem:main"]
runs_as = "systemd"
unit = "golem.service"
"#);
        let storj = spec_for(&c, &"storj:main".parse().unwrap()).unwrap();
        assert_eq!(storj.target.to_string(), "process storagenode|sn2");
        assert_eq!(storj.storage_path, Some(PathBuf::from("/mnt/storj")));
        let golem = spec_for(&c, &"golem:main".parse().unwrap()).unwrap();
        assert_eq!(golem.target, UsageTarget::Unit("golem.service".into()));
        let streamr = spec_for(&c, &"streamr:main".parse().unwrap()).unwrap();
        assert_eq!(
            streamr.target,
            UsageTarget::default_for(orcha_core::ProtocolId::Streamr)
        );
        assert!(spec_for(&c, &"grass:main".parse().unwrap()).is_none());
        let shaped = cfg(r#"
[allocation.nodes."streamr:main"]
runs_as = "knob-only"
egress_device = "eth0"
egress_ports = [32200]
"#);
        let tc = spec_for(&shaped, &"streamr:main".parse().unwrap())
            .unwrap()
            .tc_class
            .unwrap();
        // 32200 = 0x7dc8, the class orcha_enforce::tc creates for that port.
        assert_eq!(tc, orcha_usage::TcClass::new("eth0", None, "1:7dc8"));
        let pid = target_of(&NodeUsageConfig {
            process: "4242".into(),
            ..Default::default()
        });
        assert_eq!(pid, Some(UsageTarget::Process(ProcessSelector::Pid(4242))));
    }
}
