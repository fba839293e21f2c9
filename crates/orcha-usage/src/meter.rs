//! `NodeMeter`: one node's usage every poll, as rates from the deltas of OS counters.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use orcha_core::{ResourceMetrics, ResourceVector};

use crate::bounds::used_bytes;
use crate::cgroup::Hierarchy;
use crate::docker::DockerEngine;
use crate::error::UsageError;
use crate::procs::{find_roots, own_namespace_net, tree_counters, NetBytes};
use crate::target::{ProcessSelector, UsageTarget};
use crate::tc::TcClass;

/// Where a value was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// `/proc/<pid>/…` of the node's process tree.
    Process,
    /// The node's cgroup files.
    Cgroup,
    /// The Docker Engine's stats.
    Docker,
    /// Interface counters of the node's own network namespace (`/proc/<pid>/net/dev`).
    Netns,
    /// The byte counter of the node's `tc` class (egress only).
    Tc,
    /// A walk of the node's storage path.
    Filesystem,
    /// The demo simulator's account of a simulated node (it has no process to measure).
    Simulator,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Process => "process",
            Source::Cgroup => "cgroup",
            Source::Docker => "docker",
            Source::Netns => "netns",
            Source::Tc => "tc",
            Source::Filesystem => "filesystem",
            Source::Simulator => "simulator",
        }
    }
}

/// A value with the place it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measured {
    pub value: u64,
    pub source: Source,
}

fn m(value: u64, source: Source) -> Measured {
    Measured { value, source }
}

/// One poll's usage, in domain units. `None` is "not measured" (first poll for rates, or no
/// source for it); `problems` says why a part is missing when it was expected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageReading {
    pub cpu_millicores: Option<Measured>,
    pub mem_bytes: Option<Measured>,
    /// Space used below the storage path.
    pub disk_bytes: Option<Measured>,
    /// Block I/O, bytes per second.
    pub disk_read_bytes_per_s: Option<Measured>,
    pub disk_write_bytes_per_s: Option<Measured>,
    /// Network, bits per second, from byte deltas.
    pub net_down_bps: Option<Measured>,
    pub net_up_bps: Option<Measured>,
    /// The pids counted (empty for a container).
    pub pids: Vec<i32>,
    pub problems: Vec<UsageError>,
}

impl UsageReading {
    /// The reading as the domain's metrics; `disk_allocated_bytes` is the node's own figure.
    pub fn to_resource_metrics(&self, observed_at: DateTime<Utc>) -> ResourceMetrics {
        let f = |v: Option<Measured>| v.map(|v| v.value as f64);
        ResourceMetrics {
            observed_at: Some(observed_at),
            cpu_millicores: f(self.cpu_millicores),
            mem_bytes: f(self.mem_bytes),
            disk_used_bytes: f(self.disk_bytes),
            disk_allocated_bytes: None,
            bandwidth_up_bps: f(self.net_up_bps),
            bandwidth_down_bps: f(self.net_down_bps),
        }
    }

    /// The reading as a resource vector; unmeasured parts are 0. `bandwidth_bps` is egress,
    /// the direction Orcha's `tc` cap limits.
    pub fn to_resource_vector(&self) -> ResourceVector {
        let v = |x: Option<Measured>| x.map_or(0, |x| x.value);
        ResourceVector {
            cpu_millicores: v(self.cpu_millicores),
            mem_bytes: v(self.mem_bytes),
            disk_bytes: v(self.disk_bytes),
            bandwidth_bps: v(self.net_up_bps),
        }
    }
}

/// How one node is measured.
#[derive(Debug, Clone)]
pub struct MeterSpec {
    pub target: UsageTarget,
    /// Where the node keeps its data, for used space.
    pub storage_path: Option<PathBuf>,
    /// The class Orcha shapes the node's egress with, if any.
    pub tc_class: Option<TcClass>,
    pub docker: DockerEngine,
    /// For `tc` and each Docker call.
    pub timeout: Duration,
    /// The storage walk is costly; its result is reused for this long.
    pub disk_walk_every: Duration,
    pub disk_walk_max_entries: u64,
}

impl MeterSpec {
    pub fn new(target: UsageTarget) -> Self {
        MeterSpec {
            target,
            storage_path: None,
            tc_class: None,
            docker: DockerEngine::default(),
            timeout: Duration::from_secs(5),
            disk_walk_every: Duration::from_secs(600),
            disk_walk_max_entries: 2_000_000,
        }
    }
}

/// Cumulative counters at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Counters {
    /// What was measured: root pids with start times, a cgroup path or a container; a change
    /// means a restart, and deltas across it are meaningless.
    identity: String,
    cpu_ns: Option<u64>,
    io_read: Option<u64>,
    io_write: Option<u64>,
    net: Option<(NetBytes, Source)>,
    tc_tx: Option<u64>,
}

/// Measures one node; keeps only the previous counters and the last storage walk.
#[derive(Debug)]
pub struct NodeMeter {
    spec: MeterSpec,
    label: String,
    hierarchy: Option<Hierarchy>,
    prev: Option<(Instant, Counters)>,
    disk: Option<(Instant, u64)>,
}

impl NodeMeter {
    pub fn new(spec: MeterSpec) -> Self {
        NodeMeter {
            label: spec.target.to_string(),
            spec,
            hierarchy: None,
            prev: None,
            disk: None,
        }
    }

    pub fn spec(&self) -> &MeterSpec {
        &self.spec
    }

    /// Reads the counters now (`at` is the caller's monotonic clock) and turns the deltas since
    /// the previous call into rates. Fails only when the target itself cannot be read.
    pub async fn sample(&mut self, at: Instant) -> Result<UsageReading, UsageError> {
        let mut r = UsageReading::default();
        let label = self.label.clone();
        let (cur, mem) = match &self.spec.target {
            UsageTarget::Process(sel) => {
                let sel = sel.clone();
                let l = label.clone();
                let (c, net) = blocking(&label, move || {
                    let roots = find_roots(&sel, &l)?;
                    let c = tree_counters(&roots, &l)?;
                    let net = own_namespace_net(c.roots.first().map_or(0, |x| x.0), &l);
                    Ok((c, net))
                })
                .await?;
                r.pids = c.pids.clone();
                let net = take(net, &mut r.problems).flatten();
                let cur = Counters {
                    identity: format!("{:?}", c.roots),
                    cpu_ns: Some(c.cpu_ns),
                    io_read: c.io_read_bytes,
                    io_write: c.io_write_bytes,
                    net: net.map(|n| (n, Source::Netns)),
                    tc_tx: None,
                };
                (cur, m(c.rss_bytes, Source::Process))
            }
            UsageTarget::Unit(_) | UsageTarget::Cgroup(_) => {
                let rel = match &self.spec.target {
                    UsageTarget::Unit(u) => Hierarchy::unit_path(u),
                    other => other.cgroup_path().unwrap_or_default(),
                };
                let h = match &self.hierarchy {
                    Some(h) => h.clone(),
                    None => {
                        let h = blocking(&label, Hierarchy::detect).await?;
                        self.hierarchy = Some(h.clone());
                        h
                    }
                };
                let l = label.clone();
                let rel2 = rel.clone();
                let (c, net) = blocking(&label, move || {
                    let c = h.counters(&rel2, &l)?;
                    let net = match c.pids.first() {
                        Some(&pid) => own_namespace_net(pid, &l),
                        None => Ok(None),
                    };
                    Ok((c, net))
                })
                .await?;
                r.pids = c.pids.clone();
                let net = take(net, &mut r.problems).flatten();
                let cur = Counters {
                    identity: rel,
                    cpu_ns: Some(c.cpu_ns),
                    io_read: c.io_read_bytes,
                    io_write: c.io_write_bytes,
                    net: net.map(|n| (n, Source::Netns)),
                    tc_tx: None,
                };
                (cur, m(c.mem_bytes, Source::Cgroup))
            }
            UsageTarget::Container(name) => {
                let mut docker = self.spec.docker.clone();
                docker.timeout = self.spec.timeout;
                let c = docker.stats(name).await?;
                // The id changes when the container is re-created under the same name.
                let cur = Counters {
                    identity: if c.id.is_empty() {
                        name.clone()
                    } else {
                        c.id.clone()
                    },
                    cpu_ns: Some(c.cpu_ns),
                    io_read: c.io_read_bytes,
                    io_write: c.io_write_bytes,
                    net: c.net.map(|n| (n, Source::Docker)),
                    tc_tx: None,
                };
                (cur, m(c.mem_bytes, Source::Docker))
            }
        };
        let mut cur = cur;
        r.mem_bytes = Some(mem);
        let proc_source = match self.spec.target {
            UsageTarget::Process(_) => Source::Process,
            UsageTarget::Container(_) => Source::Docker,
            _ => Source::Cgroup,
        };
        if let Some(tc) = &self.spec.tc_class {
            cur.tc_tx = take(
                tc.sent_bytes(&label, self.spec.timeout).await,
                &mut r.problems,
            );
        }
        self.walk_storage(at, &mut r).await;

        if let Some((t0, prev)) = self.prev.take().filter(|(_, p)| p.identity == cur.identity) {
            fill_rates(
                &mut r,
                &prev,
                &cur,
                at.saturating_duration_since(t0),
                proc_source,
            );
        }
        self.prev = Some((at, cur));
        Ok(r)
    }

    async fn walk_storage(&mut self, at: Instant, r: &mut UsageReading) {
        let Some(path) = self.spec.storage_path.clone() else {
            return;
        };
        if let Some((t, v)) = self.disk {
            if at.saturating_duration_since(t) < self.spec.disk_walk_every {
                r.disk_bytes = Some(m(v, Source::Filesystem));
                return;
            }
        }
        let max = self.spec.disk_walk_max_entries;
        match blocking(&self.label, move || used_bytes(&path, max)).await {
            Ok(v) => {
                self.disk = Some((at, v));
                r.disk_bytes = Some(m(v, Source::Filesystem));
            }
            Err(e) => r.problems.push(e),
        }
    }
}

/// Turns the deltas between two readings of the same target into rates in `r`.
fn fill_rates(r: &mut UsageReading, prev: &Counters, cur: &Counters, dt: Duration, source: Source) {
    let per_s = |a: Option<u64>, b: Option<u64>| rate_per_s(a?, b?, dt);
    r.cpu_millicores = per_s(prev.cpu_ns, cur.cpu_ns)
        .map(|ns_per_s| m((ns_per_s / 1_000_000.0).round() as u64, source));
    r.disk_read_bytes_per_s = per_s(prev.io_read, cur.io_read).map(|v| m(v.round() as u64, source));
    r.disk_write_bytes_per_s =
        per_s(prev.io_write, cur.io_write).map(|v| m(v.round() as u64, source));
    if let (Some((a, _)), Some((b, src))) = (prev.net, cur.net) {
        let bits = |x: f64| m((x * 8.0).round() as u64, src);
        r.net_down_bps = rate_per_s(a.rx, b.rx, dt).map(bits);
        r.net_up_bps = rate_per_s(a.tx, b.tx, dt).map(bits);
    }
    // The tc class counts only egress, and only what Orcha classifies; interface counters of
    // the node's own namespace or container are preferred when present.
    if r.net_up_bps.is_none() {
        r.net_up_bps =
            per_s(prev.tc_tx, cur.tc_tx).map(|x| m((x * 8.0).round() as u64, Source::Tc));
    }
}

/// A per-second rate of a cumulative counter; `None` across a reset or with no time passed.
pub fn rate_per_s(prev: u64, cur: u64, dt: Duration) -> Option<f64> {
    if dt.is_zero() || cur < prev {
        return None;
    }
    Some((cur - prev) as f64 / dt.as_secs_f64())
}

fn take<T>(r: Result<T, UsageError>, problems: &mut Vec<UsageError>) -> Option<T> {
    r.map_err(|e| problems.push(e)).ok()
}

/// Runs /proc and /sys reads off the async runtime.
async fn blocking<T: Send + 'static>(
    label: &str,
    f: impl FnOnce() -> Result<T, UsageError> + Send + 'static,
) -> Result<T, UsageError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| UsageError::Endpoint {
            target: label.to_owned(),
            endpoint: "blocking reader".into(),
            reason: e.to_string(),
        })?
}

/// A meter for a pid the caller knows (`orcha probe --process <pid>`).
pub fn meter_for_pid(pid: u32) -> NodeMeter {
    NodeMeter::new(MeterSpec::new(UsageTarget::Process(ProcessSelector::Pid(
        pid,
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_need_time_and_growing_counters() {
        assert_eq!(rate_per_s(0, 500, Duration::from_millis(500)), Some(1000.0));
        assert_eq!(rate_per_s(10, 5, Duration::from_secs(1)), None);
        assert_eq!(rate_per_s(0, 5, Duration::ZERO), None);
    }

    #[test]
    fn interface_counters_win_over_tc_and_tc_fills_in_egress() {
        let c = |cpu, net: Option<(u64, u64)>, tc| Counters {
            identity: "x".into(),
            cpu_ns: Some(cpu),
            io_read: None,
            io_write: Some(0),
            net: net.map(|(rx, tx)| (NetBytes { rx, tx }, Source::Docker)),
            tc_tx: tc,
        };
        let dt = Duration::from_secs(2);
        let mut r = UsageReading::default();
        fill_rates(
            &mut r,
            &c(0, Some((0, 0)), Some(0)),
            &c(1_000_000_000, Some((1000, 500)), Some(9000)),
            dt,
            Source::Docker,
        );
        assert_eq!(r.cpu_millicores, Some(m(500, Source::Docker)));
        assert_eq!(r.net_down_bps, Some(m(4000, Source::Docker)));
        assert_eq!(r.net_up_bps, Some(m(2000, Source::Docker)));
        assert_eq!(r.disk_read_bytes_per_s, None);
        let mut r = UsageReading::default();
        fill_rates(
            &mut r,
            &c(0, None, Some(0)),
            &c(0, None, Some(250)),
            dt,
            Source::Process,
        );
        assert_eq!(r.net_up_bps, Some(m(1000, Source::Tc)));
        assert_eq!(r.net_down_bps, None);
    }

    #[tokio::test]
    async fn first_sample_has_memory_but_no_rates_and_a_restart_resets() {
        let mut meter = meter_for_pid(std::process::id());
        let t0 = Instant::now();
        let r = meter.sample(t0).await.unwrap();
        assert!(r
            .mem_bytes
            .is_some_and(|m| m.value > 0 && m.source == Source::Process));
        assert_eq!(r.cpu_millicores, None);
        let r = meter.sample(t0 + Duration::from_secs(1)).await.unwrap();
        assert!(r.cpu_millicores.is_some());
        // A different identity (as after a restart) gives no rate instead of a bogus one.
        if let Some((_, c)) = meter.prev.as_mut() {
            c.identity = "other".into();
        }
        let r = meter.sample(t0 + Duration::from_secs(2)).await.unwrap();
        assert_eq!(r.cpu_millicores, None);
        let metrics = r.to_resource_metrics(Utc::now());
        assert!(metrics.mem_bytes.is_some() && metrics.cpu_millicores.is_none());
    }

    #[tokio::test]
    async fn a_stopped_node_is_an_error_naming_the_target() {
        let mut meter = meter_for_pid(i32::MAX as u32);
        let e = meter.sample(Instant::now()).await.unwrap_err();
        assert!(
            e.to_string().contains(&format!("process {}", i32::MAX)),
            "{e}"
        );
    }
}
