//! Golem provider adapter: yagna's REST API (default `http://127.0.0.1:7465`, Bearer app key) plus the ya-provider CLI and files.
//!
//! What the node exposes is described in `shared/protocols/storj-golem.md` §2. yagna reports money
//! as GLM decimal strings (never wei), which are parsed exactly into 18-decimal base units.
//! ya-provider has no API: its hardware profile and presets are read and changed through its CLI
//! (`ya-provider profile update`, `preset update`), or through the JSON files in its data
//! directory when the CLI is not installed. It re-reads those files itself, so no restart is
//! needed.

mod client;
mod health;
mod knobs;
mod ledger;
mod model;
mod normalize;
#[cfg(test)]
mod tests;
mod units;
mod wire;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orcha_core::secret::Sensitive;
use orcha_core::{
    AdapterError, AppliedAllocation, Capability, Clock, EarningsData, HealthStatus, Knob, NodeId,
    NodeInfo, PayoutEvent, ProtocolAdapter, ProtocolId, ResourceKind, ResourceMetrics,
    ResourceVector, RestartCost,
};

use crate::http::JsonClient;

pub use self::client::PAYMENT_PAGE;
pub use self::knobs::ProfileMax;
use self::knobs::{edit_json, json_number};
pub use self::model::{
    ActiveProfile, Activity, ActivitySnapshot, Earnings, PlatformTotals, Preset,
};
use self::normalize::{gib_to_bytes, mib_to_gib_text};
use self::units::{GIB, MIB};
pub use self::wire::HardwareProfile;

/// Told to the operator whenever yagna refuses the app key (or none is configured).
pub const APP_KEY_HINT: &str = "create an app key with `yagna app-key create depin-orcha` (or list existing ones with `yagna app-key list`) and paste it in Settings, or set ORCHA_GOLEM_APP_KEY";

/// Networks that pay real GLM. Testnets (holesky, hoodi, amoy, sepolia, …) pay tGLM, which is
/// recorded per platform but never counted as earnings.
const MAINNETS: [&str; 2] = ["polygon", "mainnet"];

/// Whether a payment platform (`driver-network-token`) pays real GLM, i.e. counts as earnings.
fn pays_mainnet_glm(platform: &str) -> bool {
    let (_, network, token) = self::normalize::split_platform(platform);
    MAINNETS.contains(&network.as_str()) && token == "glm"
}

/// How one Golem adapter is set up.
#[derive(Clone)]
pub struct GolemSettings {
    /// yagna's REST API, e.g. `http://127.0.0.1:7465`.
    pub endpoint: String,
    pub timeout: Duration,
    /// The yagna app key; `None` makes every authenticated call `Unauthorized` with a hint.
    pub app_key: Option<Sensitive<String>>,
    /// The ya-provider executable (a path, or a name looked up on PATH).
    pub ya_provider: PathBuf,
    /// ya-provider's data directory, used when the CLI is absent (and passed to it as DATA_DIR).
    pub data_dir: Option<PathBuf>,
    /// Change the profile even while activities run.
    pub allow_interrupt: bool,
    /// The profile's maxima when this machine is not the node's (the demo's simulated
    /// machine); `None` reads this machine.
    pub profile_max: Option<ProfileMax>,
    pub clock: Arc<dyn Clock>,
}

impl GolemSettings {
    pub fn new(endpoint: &str, app_key: Option<Sensitive<String>>, clock: Arc<dyn Clock>) -> Self {
        GolemSettings {
            endpoint: endpoint.to_owned(),
            timeout: Duration::from_secs(10),
            app_key,
            ya_provider: PathBuf::from("ya-provider"),
            data_dir: None,
            profile_max: None,
            allow_interrupt: false,
            clock,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The adapter.

/// When a `_monitor` snapshot was taken, and each running activity's CPU seconds at that time.
type CpuSample = (DateTime<Utc>, HashMap<String, f64>);

/// One Golem provider (yagna + ya-provider).
pub struct GolemAdapter {
    node: NodeId,
    client: JsonClient,
    /// For the `_monitor` event stream, which `JsonClient` cannot read.
    stream: reqwest::Client,
    settings: GolemSettings,
    /// The previous `_monitor` sample, for CPU rates.
    last_cpu: Mutex<Option<CpuSample>>,
    last_profile: Mutex<Option<HardwareProfile>>,
    /// Invoices and payments read so far, so a poll reads only what can have changed.
    ledger: Mutex<ledger::Ledger>,
}

enum Cli {
    Absent,
    Output(String),
}

#[async_trait]
impl ProtocolAdapter for GolemAdapter {
    fn protocol_name(&self) -> ProtocolId {
        ProtocolId::Golem
    }

    fn node_id(&self) -> &NodeId {
        &self.node
    }

    async fn connect(&self) -> Result<NodeInfo, AdapterError> {
        let (version, _) = self.version().await?;
        let identity = self.identity().await?;
        Ok(NodeInfo {
            version: Some(version),
            remote_id: Some(identity),
        })
    }

    async fn disconnect(&self) -> Result<(), AdapterError> {
        // Every call is a plain request; the event stream is closed after each read.
        Ok(())
    }

    async fn get_current_earnings(&self) -> Result<EarningsData, AdapterError> {
        let e = self.earnings().await?;
        Ok(EarningsData {
            observed_at: self.settings.clock.now(),
            figures: e.figures()?,
        })
    }

    async fn payouts(&self) -> Result<Vec<PayoutEvent>, AdapterError> {
        self.payout_events().await
    }

    async fn earnings_history(&self) -> Result<Vec<orcha_core::EarnedPeriod>, AdapterError> {
        self.invoiced_periods().await
    }

    async fn get_resource_usage(&self) -> Result<ResourceMetrics, AdapterError> {
        let snap = self.activities().await?;
        let now = self.settings.clock.now();
        let cpu: HashMap<String, f64> = snap
            .activities
            .iter()
            .filter(|a| a.state != "Terminated")
            .filter_map(|a| {
                a.usage
                    .get("golem.usage.cpu_sec")
                    .map(|v| (a.id.clone(), *v))
            })
            .collect();
        // Each running activity's own average since it started (`cpu_sec / duration_sec`):
        // what it uses when no earlier sample of it exists (the first poll, or jobs shorter
        // than the poll interval, which the two-sample rate below never sees twice).
        let lifetime_average: Option<f64> = {
            let per_activity: Vec<f64> = snap
                .activities
                .iter()
                .filter(|a| a.state != "Terminated")
                .filter_map(|a| {
                    let cpu = *a.usage.get("golem.usage.cpu_sec")?;
                    let secs = *a.usage.get("golem.usage.duration_sec")?;
                    (secs > 0.0 && cpu.is_finite() && cpu >= 0.0).then(|| cpu / secs * 1000.0)
                })
                .collect();
            (!per_activity.is_empty()).then(|| per_activity.iter().sum())
        };
        // CPU seconds are cumulative per activity, so a rate needs two samples of the same
        // activities. With nothing running the provider's jobs use no CPU: a measured zero.
        let cpu_millicores = {
            let mut last = self.last_cpu.lock().unwrap_or_else(|e| e.into_inner());
            let prev = last.replace((now, cpu.clone()));
            if snap.running == 0 {
                Some(0.0)
            } else {
                prev.and_then(|(at, before)| {
                    let secs = now.signed_duration_since(at).num_milliseconds() as f64 / 1000.0;
                    let pairs: Vec<f64> = cpu
                        .iter()
                        .filter_map(|(id, v)| before.get(id).map(|b| v - b))
                        .collect();
                    (secs > 0.0 && !pairs.is_empty() && pairs.iter().all(|d| *d >= 0.0))
                        .then(|| pairs.iter().sum::<f64>() / secs * 1000.0)
                })
                .or(lifetime_average)
            }
        };
        // The profile is what the provider offers, not what it uses; only its disk share is
        // reported (as the allocation). Without the CLI or data dir it is simply not measured.
        let profile = match self.profile().await {
            Ok(p) => Some(p.resources),
            Err(e) => {
                tracing::debug!(error = %e, "golem hardware profile not readable");
                None
            }
        };
        Ok(ResourceMetrics {
            observed_at: Some(now),
            cpu_millicores,
            mem_bytes: None,
            disk_used_bytes: None,
            disk_allocated_bytes: profile.map(|p| gib_to_bytes(p.storage_gib) as f64),
            bandwidth_up_bps: None,
            bandwidth_down_bps: None,
        })
    }

    async fn apply_allocation(
        &self,
        allocation: &ResourceVector,
    ) -> Result<AppliedAllocation, AdapterError> {
        if allocation.bandwidth_bps != 0 {
            return Err(AdapterError::Unsupported {
                what: format!(
                    "{}: ya-provider has no bandwidth knob; only OS traffic shaping can limit it",
                    self.node
                ),
            });
        }
        let mut read_back = BTreeMap::new();
        if allocation.cpu_millicores == 0 && allocation.mem_bytes == 0 && allocation.disk_bytes == 0
        {
            return Ok(AppliedAllocation {
                node: self.node.clone(),
                read_back,
                restarted: false,
            });
        }
        let caps = self.capabilities();
        for cap in &caps {
            let v = allocation.get(cap.resource);
            if v != 0 && (v < cap.min || v > cap.max) {
                return Err(AdapterError::Unsupported {
                    what: format!(
                        "{}: refused: {} = {v} {} is outside {}..={}",
                        self.node,
                        cap.resource,
                        cap.resource.unit(),
                        cap.min,
                        cap.max
                    ),
                });
            }
        }
        let snap = self.activities().await?;
        if snap.running > 0 && !self.settings.allow_interrupt {
            return Err(AdapterError::Unsupported {
                what: format!(
                    "{}: refused: {} activities are running; wait until they finish or set protocols.golem.allow_interrupt",
                    self.node, snap.running
                ),
            });
        }
        let active = self.profile().await?;
        let threads = (allocation.cpu_millicores / 1000).to_string();
        let mem = mib_to_gib_text(allocation.mem_bytes / MIB);
        let disk = mib_to_gib_text(allocation.disk_bytes / MIB);
        let mut args: Vec<&str> = vec!["profile", "update", "--name", &active.name];
        if allocation.cpu_millicores != 0 {
            args.extend(["--cpu-threads", &threads]);
        }
        if allocation.mem_bytes != 0 {
            args.extend(["--mem-gib", &mem]);
        }
        if allocation.disk_bytes != 0 {
            args.extend(["--storage-gib", &disk]);
        }
        if let Cli::Absent = self.cli(&args).await? {
            let path = self.file("hardware.json")?;
            let name = active.name.clone();
            let (cpu_v, mem_v, disk_v) = (
                allocation.cpu_millicores,
                allocation.mem_bytes,
                allocation.disk_bytes,
            );
            edit_json(&path, move |v| {
                let p = v
                    .get_mut("profiles")
                    .and_then(|p| p.get_mut(&name))
                    .and_then(|p| p.as_object_mut())
                    .ok_or("the active profile is missing")?;
                if cpu_v != 0 {
                    p.insert("cpu_threads".into(), (cpu_v / 1000).into());
                }
                if mem_v != 0 {
                    p.insert(
                        "mem_gib".into(),
                        json_number(&mib_to_gib_text(mem_v / MIB))?,
                    );
                }
                if disk_v != 0 {
                    p.insert(
                        "storage_gib".into(),
                        json_number(&mib_to_gib_text(disk_v / MIB))?,
                    );
                }
                Ok(())
            })
            .await?;
        }
        let after = self.profile().await?;
        if allocation.cpu_millicores != 0 {
            read_back.insert(ResourceKind::Cpu, after.resources.cpu_threads * 1000);
        }
        if allocation.mem_bytes != 0 {
            read_back.insert(ResourceKind::Memory, gib_to_bytes(after.resources.mem_gib));
        }
        if allocation.disk_bytes != 0 {
            read_back.insert(
                ResourceKind::Disk,
                gib_to_bytes(after.resources.storage_gib),
            );
        }
        Ok(AppliedAllocation {
            node: self.node.clone(),
            read_back,
            restarted: false,
        })
    }

    async fn health_check(&self) -> HealthStatus {
        self.health().await
    }

    async fn current_allocation(&self) -> Result<BTreeMap<ResourceKind, u64>, AdapterError> {
        let p = self.profile().await?;
        Ok(BTreeMap::from([
            (ResourceKind::Cpu, p.resources.cpu_threads * 1000),
            (ResourceKind::Memory, gib_to_bytes(p.resources.mem_gib)),
            (ResourceKind::Disk, gib_to_bytes(p.resources.storage_gib)),
        ]))
    }

    fn capabilities(&self) -> Vec<Capability> {
        let real = self.settings.profile_max.unwrap_or_else(|| {
            knobs::ProfileMax::read(self.settings.data_dir.as_deref(), self.held_storage())
        });
        let cost = RestartCost {
            downtime: Duration::ZERO,
            loses_jobs: false,
            reputation_risk: None,
        };
        let mut preconditions = vec![
            "no activities are running, unless protocols.golem.allow_interrupt is set".to_owned(),
            "ya-provider re-publishes its offers without a restart; running activities keep what they were given".to_owned(),
            "ya-provider caps the profile to the machine at runtime (logical CPUs, RAM, free space of its data directory)".to_owned(),
        ];
        if self.settings.app_key.is_none() {
            preconditions.push(format!(
                "an app key is needed to check for running activities: {APP_KEY_HINT}"
            ));
        }
        // A maximum that cannot be read holds the knob at its minimum, never a placeholder.
        let mut max_or_min = |v: Option<u64>, min: u64, what: &str| match v {
            Some(v) => v.max(min),
            None => {
                preconditions.push(format!(
                    "{what} of this machine could not be read: it cannot grow"
                ));
                min
            }
        };
        let (cpu_max, mem_max, disk_max) = (
            max_or_min(real.cpu_millicores, 1000, "the logical CPUs"),
            max_or_min(real.mem_bytes, 128 * MIB, "the RAM"),
            max_or_min(
                real.storage_bytes,
                GIB,
                "the free space of ya-provider's data directory",
            ),
        );
        let knob = |s: &str| Knob::ProtocolSetting(format!("ya-provider profile {s}"));
        vec![
            Capability {
                resource: ResourceKind::Cpu,
                knob: knob("cpu_threads"),
                min: 1000,
                max: cpu_max,
                step: 1000,
                restart_required: false,
                restart_cost: cost.clone(),
                preconditions: preconditions.clone(),
            },
            Capability {
                resource: ResourceKind::Memory,
                knob: knob("mem_gib"),
                // ya-provider's floor is 0.1 GiB; 128 MiB keeps the value a whole number of MiB.
                min: 128 * MIB,
                max: mem_max,
                step: MIB,
                restart_required: false,
                restart_cost: cost.clone(),
                preconditions: preconditions.clone(),
            },
            Capability {
                resource: ResourceKind::Disk,
                knob: knob("storage_gib"),
                min: GIB,
                // ya-provider caps storage to the same free space at runtime.
                max: disk_max,
                step: GIB,
                restart_required: false,
                restart_cost: cost,
                preconditions,
            },
        ]
    }
}
