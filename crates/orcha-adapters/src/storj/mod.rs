//! Storj storagenode adapter: the local dashboard API (default `http://127.0.0.1:14002`, no auth).
//!
//! Endpoints, units and version drift are described in `shared/protocols/storj-golem.md` §1. The
//! API has no versioned contract, so every payload is decoded leniently (unknown fields ignored,
//! optional fields optional) but strictly where it matters: a missing or mistyped number is
//! `Malformed` naming its JSON path, never a silent zero.
//!
//! Units: disk and bandwidth in bytes, storage summaries in byte-hours, estimated payouts in US
//! cents (floats the node rounded to 2 places), paystubs and payout history in micro-USD.

mod client;
mod health;
mod knobs;
mod model;
mod normalize;
#[cfg(test)]
mod tests;
mod units;
mod wire;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use orcha_core::{
    AdapterError, AppliedAllocation, Capability, Clock, EarnedPeriod, EarningsData, HealthStatus,
    Knob, NodeId, NodeInfo, PayoutEvent, ProtocolAdapter, ProtocolId, ResourceKind,
    ResourceMetrics, ResourceVector, RestartCost,
};

use crate::http::JsonClient;

use self::client::PayoutCache;
use self::knobs::file_error;
pub use self::knobs::{
    disk_max, format_size, machine_disk_max, parse_size, read_allocated_disk_space,
    set_allocated_disk_space, storage_path,
};
pub use self::model::{
    AuditScores, Dashboard, DiskSpace, EstimatedPayout, HeldHistoryEntry, PayoutHistoryEntry,
    PayoutMonth, PayoutSnapshot, Paystub, PriceModel, SatelliteDetail, SatelliteStatus, Satellites,
};
use orcha_core::atomic_file::write_atomically;

/// The node refuses to start below `storage2.monitor.minimum-disk-space` (500 GB).
pub const MIN_ALLOCATION_BYTES: u64 = 500_000_000_000;
/// Allocations are written in whole gigabytes, so the knob moves in 1 GB steps.
pub const ALLOCATION_STEP_BYTES: u64 = 1_000_000_000;
/// The official dashboard calls a node offline when no satellite contacted it for 120 minutes
/// (`STATUS_TRESHHOLD_MINUTES`, web/storagenode nodeStore.ts).
const OFFLINE_AFTER_MINUTES: i64 = 120;
/// Warning levels, well above the satellites' own thresholds (audit DQ 0.96, suspension 0.6,
/// offline suspension 0.6) so the operator hears about a problem before it costs money.
const WARN_AUDIT: f64 = 0.98;
const WARN_SUSPENSION: f64 = 0.8;
const WARN_ONLINE: f64 = 0.9;
const KEY: &str = "storage.allocated-disk-space";

/// How one Storj adapter is set up. Several nodes on one machine (one per disk) are several
/// adapters, each with its own dashboard port.
#[derive(Clone)]
pub struct StorjSettings {
    /// Base URL of the dashboard API, e.g. `http://127.0.0.1:14002`.
    pub endpoint: String,
    /// Timeout of the fast endpoints (`/api/sno/`, `/api/sno/satellites`).
    pub timeout: Duration,
    /// Timeout of the payout endpoints, which take ~28 s on real nodes.
    pub payout_timeout: Duration,
    /// How long payout figures are reused before they are read again.
    pub payout_poll_interval: Duration,
    /// The node's `config.yaml`; `None` means the disk knob is not offered.
    pub config_yaml: Option<PathBuf>,
    /// The most disk the node may be given when this machine is not where it stores (the
    /// demo's simulated machine); `None` reads this machine's free space.
    pub disk_max: Option<u64>,
    pub clock: Arc<dyn Clock>,
}

impl StorjSettings {
    pub fn new(endpoint: &str, clock: Arc<dyn Clock>) -> Self {
        StorjSettings {
            endpoint: endpoint.to_owned(),
            timeout: Duration::from_secs(10),
            payout_timeout: Duration::from_secs(90),
            payout_poll_interval: Duration::from_secs(3600),
            config_yaml: None,
            disk_max: None,
            clock,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The adapter.

#[derive(Clone, Copy)]
struct BandwidthSample {
    at: DateTime<Utc>,
    egress: u64,
    ingress: u64,
}

#[derive(Default)]
struct LastSeen {
    used_bytes: Option<u64>,
    allocated_bytes: Option<u64>,
    bandwidth: Option<BandwidthSample>,
}

/// One Storj storagenode.
pub struct StorjAdapter {
    node: NodeId,
    client: JsonClient,
    payout_client: JsonClient,
    settings: StorjSettings,
    payouts: Arc<PayoutCache>,
    last: Mutex<LastSeen>,
}

#[async_trait]
impl ProtocolAdapter for StorjAdapter {
    fn protocol_name(&self) -> ProtocolId {
        ProtocolId::Storj
    }

    fn node_id(&self) -> &NodeId {
        &self.node
    }

    async fn connect(&self) -> Result<NodeInfo, AdapterError> {
        let d = self.dashboard().await?;
        Ok(NodeInfo {
            version: Some(d.version),
            remote_id: Some(d.node_id),
        })
    }

    async fn disconnect(&self) -> Result<(), AdapterError> {
        // Plain HTTP without sessions: nothing to release.
        Ok(())
    }

    async fn get_current_earnings(&self) -> Result<EarningsData, AdapterError> {
        let snap = self.payouts().await?;
        let figures = snap.figures(&self.payout_client.url("/api/heldamount/paystubs"))?;
        Ok(EarningsData {
            observed_at: snap.fetched_at,
            figures,
        })
    }

    async fn payouts(&self) -> Result<Vec<PayoutEvent>, AdapterError> {
        // The inherent `payouts` (the cached snapshot of every period's paystubs).
        let snap = StorjAdapter::payouts(self).await?;
        Ok(snap.payout_events())
    }

    async fn earnings_history(&self) -> Result<Vec<EarnedPeriod>, AdapterError> {
        Ok(StorjAdapter::payouts(self).await?.earned_periods())
    }

    async fn get_resource_usage(&self) -> Result<ResourceMetrics, AdapterError> {
        let d = self.dashboard().await?;
        let s = self.satellites().await?;
        let now = self.settings.clock.now();
        let sample = BandwidthSample {
            at: now,
            egress: s.egress_summary_bytes,
            ingress: s.ingress_summary_bytes,
        };
        // The summaries are month-to-date counters the node updates in rollups, so a rate is the
        // difference of two polls in the same month; the first poll, a new month or a counter
        // that went backwards gives no rate rather than a made-up one.
        let rates = {
            let mut last = self.last();
            let prev = last.bandwidth.replace(sample);
            prev.and_then(|p| {
                let secs = now.signed_duration_since(p.at).num_milliseconds() as f64 / 1000.0;
                let same_month = (p.at.year(), p.at.month()) == (now.year(), now.month());
                if secs <= 0.0
                    || !same_month
                    || sample.egress < p.egress
                    || sample.ingress < p.ingress
                {
                    return None;
                }
                Some((
                    (sample.egress - p.egress) as f64 * 8.0 / secs,
                    (sample.ingress - p.ingress) as f64 * 8.0 / secs,
                ))
            })
        };
        Ok(ResourceMetrics {
            observed_at: Some(now),
            // The node reports neither CPU nor memory.
            cpu_millicores: None,
            mem_bytes: None,
            disk_used_bytes: Some(d.disk.used_bytes as f64),
            disk_allocated_bytes: Some(d.disk.allocated_bytes as f64),
            bandwidth_up_bps: rates.map(|r| r.0),
            bandwidth_down_bps: rates.map(|r| r.1),
        })
    }

    async fn apply_allocation(
        &self,
        allocation: &ResourceVector,
    ) -> Result<AppliedAllocation, AdapterError> {
        for (kind, how) in [
            (ResourceKind::Cpu, "limit it with docker --cpus or the OS"),
            (
                ResourceKind::Memory,
                "limit it with docker --memory or the OS",
            ),
            (
                ResourceKind::Bandwidth,
                "the node has no bandwidth cap any more; only OS traffic shaping can limit it",
            ),
        ] {
            if allocation.get(kind) != 0 {
                return Err(AdapterError::Unsupported {
                    what: format!("{}: storj has no {kind} knob: {how}", self.node),
                });
            }
        }
        let mut read_back = BTreeMap::new();
        // Zero means "leave the disk alone" (a real request is at least 500 GB).
        if allocation.disk_bytes == 0 {
            return Ok(AppliedAllocation {
                node: self.node.clone(),
                read_back,
                restarted: false,
            });
        }
        let path = self.config_yaml()?.to_owned();
        let wanted = allocation.disk_bytes - allocation.disk_bytes % ALLOCATION_STEP_BYTES;
        if wanted < MIN_ALLOCATION_BYTES {
            return Err(AdapterError::Unsupported {
                what: format!(
                    "{}: refused to allocate {wanted} bytes: the node does not start below 500 GB (storage2.monitor.minimum-disk-space)",
                    self.node
                ),
            });
        }
        let d = self.dashboard().await?;
        if wanted < d.disk.used_bytes {
            return Err(AdapterError::Unsupported {
                what: format!(
                    "{}: refused to allocate {wanted} bytes: the node already uses {} bytes and shrinking deletes nothing",
                    self.node, d.disk.used_bytes
                ),
            });
        }
        let text = tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| file_error(&path, "read", &e))?;
        let edited = set_allocated_disk_space(&text, &format_size(wanted));
        // The shared writer is blocking (fsync, rename, directory sync): keep it off the runtime.
        let (target, bytes) = (path.clone(), edited.into_bytes());
        tokio::task::spawn_blocking(move || write_atomically(&target, &bytes, 0o644))
            .await
            .map_err(|e| AdapterError::Unsupported {
                what: format!("cannot replace {}: {e}", path.display()),
            })?
            .map_err(|e| file_error(&path, "replace", &e))?;
        let again = tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| file_error(&path, "read back", &e))?;
        let value = read_allocated_disk_space(&again).ok_or_else(|| AdapterError::Malformed {
            endpoint: path.display().to_string(),
            what: format!("`{KEY}` is missing after writing it"),
        })?;
        let bytes = parse_size(&value).ok_or_else(|| AdapterError::Malformed {
            endpoint: path.display().to_string(),
            what: format!("`{KEY}` = `{value}` is not a size"),
        })?;
        read_back.insert(ResourceKind::Disk, bytes);
        // Orcha does not restart the node: how it runs (docker, systemd, Windows service) is the
        // operator's setup; the capability says a restart is needed for the value to apply.
        Ok(AppliedAllocation {
            node: self.node.clone(),
            read_back,
            restarted: false,
        })
    }

    async fn health_check(&self) -> HealthStatus {
        let d = match self.dashboard().await {
            Ok(d) => d,
            Err(e) => return e.as_health(),
        };
        let mut reasons = Self::dashboard_reasons(&d, self.settings.clock.now());
        match self.satellites().await {
            Ok(s) => reasons.extend(Self::score_reasons(&s)),
            Err(e) => reasons.push(format!("satellite scores could not be read: {e}")),
        }
        if reasons.is_empty() {
            HealthStatus::Healthy
        } else {
            HealthStatus::Degraded(reasons)
        }
    }

    fn capabilities(&self) -> Vec<Capability> {
        if self.settings.config_yaml.is_none() {
            return Vec::new();
        }
        let used = self.last().used_bytes;
        let floor = used.map_or(0, |u| {
            u.div_ceil(ALLOCATION_STEP_BYTES) * ALLOCATION_STEP_BYTES
        });
        let mut preconditions = vec![
            "at least 500 GB: the node refuses to start below storage2.monitor.minimum-disk-space".to_owned(),
            "not below the space already used: shrinking deletes nothing, the node only stops accepting uploads".to_owned(),
            "leave about 10 % of the disk free: the maximum is the free space where the node stores plus what it holds, and the node silently lowers an allocation that does not fit".to_owned(),
            "the new value applies only after the operator restarts the node (docker stop -t 300, or restart the service)".to_owned(),
            "in docker, the STORAGE environment value overrides config.yaml and must be changed by re-creating the container".to_owned(),
        ];
        if used.is_none() {
            preconditions.push("the space in use is not known yet (no successful poll)".to_owned());
        }
        let min = MIN_ALLOCATION_BYTES.max(floor);
        // The most this machine can give: free space where the node stores plus what it holds.
        let max = match self.settings.disk_max {
            // Not this machine's disk (the demo's simulated machine): the granted amount.
            Some(m) => Some(Ok((
                m - m % ALLOCATION_STEP_BYTES,
                PathBuf::from("the granted disk"),
            ))),
            None => self
                .settings
                .config_yaml
                .as_deref()
                .map(|c| knobs::disk_max(c, used.unwrap_or(0), ALLOCATION_STEP_BYTES)),
        };
        let max = match max {
            Some(Ok((max, _))) if max >= min => max,
            Some(Ok((max, path))) => {
                preconditions.push(format!("{} has room for only {max} bytes, below the node's minimum: the allocation cannot grow", path.display()));
                min
            }
            Some(Err(why)) => {
                preconditions.push(format!(
                    "the disk's free space is unknown ({why}): the allocation cannot grow"
                ));
                min
            }
            None => min,
        };
        vec![Capability {
            resource: ResourceKind::Disk,
            knob: Knob::ProtocolSetting(KEY.to_owned()),
            min,
            max,
            step: ALLOCATION_STEP_BYTES,
            restart_required: true,
            restart_cost: RestartCost {
                // Docker stops the node with a 300 s grace period (--stop-timeout 300).
                downtime: Duration::from_secs(300),
                loses_jobs: false,
                reputation_risk: Some(
                    "the node is offline while it restarts; the online score drops with downtime, and below 0.6 over 30 days the satellites suspend the node".to_owned(),
                ),
            },
            preconditions,
        }]
    }
}
