//! Grass adapter: points and devices from the dashboard's undocumented cloud API (`https://api.getgrass.io`, raw session token), plus whether the local app runs.
//!
//! What is known about Grass is in `shared/protocols/streamr-grass.md` §2; all of it is
//! reverse-engineered by third parties and unverified against a live account. The node itself
//! (extension or desktop app) exposes nothing locally, so Orcha reads the same API the dashboard
//! uses: `GET /retrieveUser`, `/activeDevices` and `/epochEarnings`, each answering
//! `{"result":{"data":…}}`. The adapter never speaks the node protocol (director check-in and
//! relay WebSocket): that would look like a second node on the account.
//!
//! Points are not money: they are `Token::Points`, converted to fiat only with a value per point
//! the operator sets. `totalPoints` of 0 while an epoch runs means "not settled yet" and is
//! reported as unknown, never as "earned 0". The API is Cloudflare-fronted and rate-limits, so
//! readings are cached between polls and a 429 or an HTML page starts an exponential back-off.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orcha_core::secret::Sensitive;
use orcha_core::{
    AdapterError, AppliedAllocation, Capability, Clock, EarningsData, EarningsKind, HealthStatus,
    Knob, Money, NodeId, NodeInfo, ProtocolAdapter, ProtocolId, ResourceKind, ResourceMetrics,
    ResourceVector, RestartCost, Token,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{Auth, JsonClient};
use crate::probe::{decode, float_to_decimal, ser_money};
use crate::streamr::LocalProcess;

/// The two domains the dashboard API has answered on; either can be configured, and when one
/// cannot be reached the other is tried.
pub const KNOWN_ENDPOINTS: [&str; 2] = ["https://api.getgrass.io", "https://api.grass.io"];
/// Told to the operator whenever the API refuses the token (or none is stored).
pub const TOKEN_HINT: &str = "the Grass session token is missing or expired: log in at https://app.grass.io, open the browser's developer tools → Application → Local Storage → app.grass.io, copy the value of `accessToken` (older builds: `token`) and store it with `orcha secret set grass:<name>/token` or ORCHA_GRASS_TOKEN";
/// Points are floats in the API; six decimals keep every value it has been seen to send.
pub const POINTS_DECIMALS: u8 = 6;
/// No account holds a trillion points; more is a broken payload.
const ABSURD_POINTS: f64 = 1e12;
const EPOCH_PATH: &str = "/epochEarnings?input=%7B%22limit%22%3A1%2C%22isLatestOnly%22%3Atrue%7D";

/// How one Grass adapter is set up.
#[derive(Clone)]
pub struct GrassSettings {
    /// The dashboard API, e.g. `https://api.getgrass.io`.
    pub endpoint: String,
    /// The raw session token (`Authorization: <token>`, no scheme).
    pub token: Option<Sensitive<String>>,
    pub timeout: Duration,
    /// Readings are reused for this long, so one poll (earnings + health) costs one round of
    /// requests.
    pub min_refresh: Duration,
    /// First back-off after a 429 or an HTML page, doubled per repeat.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// A device not connected for this long is reported.
    pub device_stale_after: Duration,
    pub process: LocalProcess,
    pub clock: Arc<dyn Clock>,
}

impl GrassSettings {
    pub fn new(endpoint: &str, token: Option<Sensitive<String>>, clock: Arc<dyn Clock>) -> Self {
        GrassSettings {
            endpoint: endpoint.to_owned(),
            token,
            timeout: Duration::from_secs(15),
            min_refresh: Duration::from_secs(240),
            backoff_base: Duration::from_secs(300),
            backoff_max: Duration::from_secs(6 * 3600),
            device_stale_after: Duration::from_secs(2 * 3600),
            process: LocalProcess::Named("grass".to_owned()),
            clock,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Raw payloads (lenient: every field the community has seen is optional except the ones the
// adapter cannot do without).

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawUser {
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    username: Option<String>,
    total_points: f64,
    #[serde(default)]
    total_uptime: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDevice {
    #[serde(default)]
    device_id: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    ip_address: Option<String>,
    ip_score: f64,
    #[serde(default)]
    multiplier: Option<f64>,
    #[serde(default)]
    agg_uptime: Option<f64>,
    #[serde(default)]
    last_connected_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEpoch {
    #[serde(default)]
    epoch_name: Option<String>,
    #[serde(default)]
    stage: Option<Value>,
    #[serde(default)]
    start_date: Option<DateTime<Utc>>,
    #[serde(default)]
    end_date: Option<DateTime<Utc>>,
    total_points: f64,
    #[serde(default)]
    reward_points: Option<f64>,
    #[serde(default)]
    referral_points: Option<f64>,
    /// Names of the 2025 split (Uptime vs Network points) are guesses: no client that reads
    /// them could be identified.
    #[serde(default)]
    uptime_points: Option<f64>,
    #[serde(default)]
    network_points: Option<f64>,
    #[serde(default)]
    total_uptime: Option<f64>,
    #[serde(default)]
    modified: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct RawEpochPage {
    data: Vec<RawEpoch>,
}

// ---------------------------------------------------------------------------------------------
// Normalized readings.

/// `retrieveUser`, without the e-mail address (not needed, not stored).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GrassUser {
    pub user_id: Option<String>,
    pub username: Option<String>,
    /// Settled points; `None` while the API reports 0 (an epoch is running, not "earned 0").
    #[serde(serialize_with = "ser_opt_money")]
    pub total_points: Option<Money>,
    pub total_uptime_seconds: Option<f64>,
}

/// One device connected in the current epoch (`activeDevices`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Device {
    pub device_id: Option<String>,
    pub kind: Option<String>,
    pub ip_address: Option<String>,
    /// 0–100; 0 means the IP is not accepted and the device earns nothing.
    pub ip_score: f64,
    pub multiplier: Option<f64>,
    /// Seconds connected in the current epoch.
    pub agg_uptime_seconds: Option<f64>,
    pub last_connected_at: Option<DateTime<Utc>>,
    pub earning: bool,
}

/// The latest epoch (`epochEarnings`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Epoch {
    pub name: Option<String>,
    pub stage: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_opt_money")]
    pub total_points: Option<Money>,
    #[serde(serialize_with = "ser_opt_money")]
    pub reward_points: Option<Money>,
    #[serde(serialize_with = "ser_opt_money")]
    pub referral_points: Option<Money>,
    /// Uptime and Network points, kept apart when the API sends them.
    #[serde(serialize_with = "ser_opt_money")]
    pub uptime_points: Option<Money>,
    #[serde(serialize_with = "ser_opt_money")]
    pub network_points: Option<Money>,
    pub total_uptime_seconds: Option<f64>,
    pub modified: Option<DateTime<Utc>>,
}

/// One round of the three reads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    pub observed_at: DateTime<Utc>,
    pub user: GrassUser,
    pub devices: Vec<Device>,
    pub epoch: Option<Epoch>,
}

fn ser_opt_money<S: serde::Serializer>(m: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => ser_money(m, s),
        None => s.serialize_none(),
    }
}

fn points(endpoint: &str, field: &str, v: f64) -> Result<Money, AdapterError> {
    let bad = |why: String| AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what: format!("field `{field}`: {why}"),
    };
    if !v.is_finite() || !(0.0..=ABSURD_POINTS).contains(&v) {
        return Err(bad(format!("{v} is not a plausible number of points")));
    }
    let text = float_to_decimal(v, POINTS_DECIMALS).ok_or_else(|| bad("not a number".into()))?;
    Money::parse_decimal(&text, Token::Points, POINTS_DECIMALS).map_err(|e| bad(e.to_string()))
}

fn opt_points(endpoint: &str, field: &str, v: Option<f64>) -> Result<Option<Money>, AdapterError> {
    v.map(|v| points(endpoint, field, v)).transpose()
}

fn seconds(endpoint: &str, field: &str, v: Option<f64>) -> Result<Option<f64>, AdapterError> {
    match v {
        Some(s) if !s.is_finite() || s < 0.0 => Err(AdapterError::Malformed {
            endpoint: endpoint.to_owned(),
            what: format!("field `{field}`: {s} is not a number of seconds"),
        }),
        other => Ok(other),
    }
}

// ---------------------------------------------------------------------------------------------
// The adapter.

#[derive(Default)]
struct Backoff {
    failures: u32,
    until: Option<DateTime<Utc>>,
}

pub struct GrassAdapter {
    node: NodeId,
    clients: Vec<JsonClient>,
    settings: GrassSettings,
    cache: Mutex<Option<Snapshot>>,
    backoff: Mutex<Backoff>,
}

impl GrassAdapter {
    pub fn new(node: NodeId, settings: GrassSettings) -> Result<Self, AdapterError> {
        if node.protocol() != ProtocolId::Grass {
            return Err(AdapterError::Unsupported {
                what: format!("{node} is not a grass node"),
            });
        }
        let auth = settings.token.clone().map_or(Auth::None, Auth::Raw);
        let configured = settings.endpoint.trim_end_matches('/').to_owned();
        let mut bases = vec![configured.clone()];
        if KNOWN_ENDPOINTS.contains(&configured.as_str()) {
            bases.extend(
                KNOWN_ENDPOINTS
                    .iter()
                    .filter(|e| **e != configured)
                    .map(|e| (*e).to_owned()),
            );
        }
        let clients = bases
            .iter()
            .map(|b| JsonClient::new(b, settings.timeout, auth.clone(), TOKEN_HINT))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(GrassAdapter {
            node,
            clients,
            settings,
            cache: Mutex::new(None),
            backoff: Mutex::new(Backoff::default()),
        })
    }

    fn now(&self) -> DateTime<Utc> {
        self.settings.clock.now()
    }

    /// Until when the adapter is backing off, if it is.
    pub fn backoff_until(&self) -> Option<DateTime<Utc>> {
        self.backoff
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .until
            .filter(|u| *u > self.now())
    }

    fn note_rate_limit(&self, retry_after: Option<Duration>) -> Duration {
        let mut b = self.backoff.lock().unwrap_or_else(|e| e.into_inner());
        b.failures = b.failures.saturating_add(1);
        let exp = self
            .settings
            .backoff_base
            .saturating_mul(1u32 << (b.failures - 1).min(16))
            .min(self.settings.backoff_max);
        let wait = retry_after.map_or(exp, |r| r.max(exp));
        b.until =
            Some(self.now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX));
        wait
    }

    /// GETs one procedure and unwraps `result.data`; HTML and 429 become `RateLimited`.
    async fn procedure(&self, path: &str) -> Result<Value, AdapterError> {
        if let Some(until) = self.backoff_until() {
            return Err(AdapterError::RateLimited {
                endpoint: format!("{}{path} (backing off)", self.clients[0].base()),
                retry_after: (until - self.now()).to_std().ok(),
            });
        }
        let mut last = None;
        for client in &self.clients {
            match client.get_bytes(path).await {
                Err(e @ AdapterError::Unreachable { .. }) => last = Some(e),
                other => return self.unwrap(client, path, other),
            }
        }
        Err(last.unwrap_or_else(|| AdapterError::Unreachable {
            endpoint: path.to_owned(),
            reason: "no endpoint configured".to_owned(),
        }))
    }

    fn unwrap(
        &self,
        client: &JsonClient,
        path: &str,
        answer: Result<Vec<u8>, AdapterError>,
    ) -> Result<Value, AdapterError> {
        let url = client.url(path.split('?').next().unwrap_or(path));
        let html = |s: &str| {
            let l = s.to_ascii_lowercase();
            l.contains("<!doctype") || l.contains("<html")
        };
        let body = match answer {
            Ok(b) => b,
            Err(AdapterError::RateLimited { retry_after, .. }) => {
                let wait = self.note_rate_limit(retry_after);
                return Err(AdapterError::RateLimited {
                    endpoint: url,
                    retry_after: Some(wait),
                });
            }
            // Cloudflare's challenge and error pages are HTML with any status.
            Err(AdapterError::Malformed { what, .. }) if html(&what) => {
                let wait = self.note_rate_limit(None);
                return Err(AdapterError::RateLimited {
                    endpoint: url,
                    retry_after: Some(wait),
                });
            }
            Err(e) => return Err(e),
        };
        if body.trim_ascii_start().starts_with(b"<") {
            let wait = self.note_rate_limit(None);
            return Err(AdapterError::RateLimited {
                endpoint: url,
                retry_after: Some(wait),
            });
        }
        let v: Value = decode(&url, &body)?;
        self.backoff
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .failures = 0;
        if let Some(err) = v.get("error") {
            let msg = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("(no message)");
            let code = err.get("code").map_or("?".to_owned(), Value::to_string);
            let http = err.pointer("/data/httpStatus").and_then(Value::as_u64);
            let kind = err.pointer("/data/code").and_then(Value::as_str);
            if matches!(http, Some(401 | 403)) || kind == Some("UNAUTHORIZED") {
                return Err(AdapterError::Unauthorized {
                    endpoint: url,
                    hint: TOKEN_HINT.to_owned(),
                });
            }
            return Err(AdapterError::Malformed {
                endpoint: url,
                what: format!("API error {code}: {msg}"),
            });
        }
        match v.pointer("/result/data") {
            Some(d) if !d.is_null() => Ok(d.clone()),
            _ => Err(AdapterError::Malformed {
                endpoint: url,
                what: "field `result.data` is missing: the API shape changed (nothing was stored)"
                    .to_owned(),
            }),
        }
    }

    fn typed<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        v: &Value,
    ) -> Result<T, AdapterError> {
        let url = self.clients[0].url(path.split('?').next().unwrap_or(path));
        let text = serde_json::to_vec(v).map_err(|e| AdapterError::Malformed {
            endpoint: url.clone(),
            what: e.to_string(),
        })?;
        decode(&url, &text).map_err(|e| match e {
            AdapterError::Malformed { endpoint, what } => AdapterError::Malformed {
                endpoint,
                what: what
                    .replacen("field `[", "field `result.data[", 1)
                    .replacen("field `", "field `result.data.", 1)
                    .replace("result.data.result.data[", "result.data["),
            },
            other => other,
        })
    }

    pub async fn user(&self) -> Result<GrassUser, AdapterError> {
        let path = "/retrieveUser";
        let raw: RawUser = self.typed(path, &self.procedure(path).await?)?;
        let ep = self.clients[0].url(path);
        let total = points(&ep, "result.data.totalPoints", raw.total_points)?;
        Ok(GrassUser {
            user_id: raw.user_id,
            username: raw.username,
            total_points: (total.amount != 0).then_some(total),
            total_uptime_seconds: seconds(&ep, "result.data.totalUptime", raw.total_uptime)?,
        })
    }

    pub async fn devices(&self) -> Result<Vec<Device>, AdapterError> {
        let path = "/activeDevices";
        let raw: Vec<RawDevice> = self.typed(path, &self.procedure(path).await?)?;
        let ep = self.clients[0].url(path);
        raw.into_iter()
            .enumerate()
            .map(|(i, d)| {
                let f = |n: &str| format!("result.data[{i}].{n}");
                if !d.ip_score.is_finite() || !(0.0..=100.0).contains(&d.ip_score) {
                    return Err(AdapterError::Malformed {
                        endpoint: ep.clone(),
                        what: format!("field `{}`: {} is outside 0–100", f("ipScore"), d.ip_score),
                    });
                }
                if let Some(m) = d.multiplier.filter(|m| !m.is_finite() || *m < 0.0) {
                    return Err(AdapterError::Malformed {
                        endpoint: ep.clone(),
                        what: format!("field `{}`: {m} is not a multiplier", f("multiplier")),
                    });
                }
                Ok(Device {
                    earning: d.ip_score > 0.0,
                    agg_uptime_seconds: seconds(&ep, &f("aggUptime"), d.agg_uptime)?,
                    device_id: d.device_id,
                    kind: d.kind,
                    ip_address: d.ip_address,
                    ip_score: d.ip_score,
                    multiplier: d.multiplier,
                    last_connected_at: d.last_connected_at,
                })
            })
            .collect()
    }

    pub async fn latest_epoch(&self) -> Result<Option<Epoch>, AdapterError> {
        let page: RawEpochPage = self.typed(EPOCH_PATH, &self.procedure(EPOCH_PATH).await?)?;
        let ep = self.clients[0].url("/epochEarnings");
        let Some(e) = page.data.into_iter().next() else {
            return Ok(None);
        };
        let f = |n: &str| format!("result.data.data[0].{n}");
        let total = points(&ep, &f("totalPoints"), e.total_points)?;
        Ok(Some(Epoch {
            name: e.epoch_name,
            stage: e.stage.map(|s| match s {
                Value::String(s) => s,
                other => other.to_string(),
            }),
            start: e.start_date,
            end: e.end_date,
            // 0 in a running epoch is "not counted yet", as for retrieveUser.
            total_points: (total.amount != 0).then_some(total),
            reward_points: opt_points(&ep, &f("rewardPoints"), e.reward_points)?,
            referral_points: opt_points(&ep, &f("referralPoints"), e.referral_points)?,
            uptime_points: opt_points(&ep, &f("uptimePoints"), e.uptime_points)?,
            network_points: opt_points(&ep, &f("networkPoints"), e.network_points)?,
            total_uptime_seconds: seconds(&ep, &f("totalUptime"), e.total_uptime)?,
            modified: e.modified,
        }))
    }

    /// All three reads, reused for `min_refresh` so one poll costs one round of requests.
    pub async fn snapshot(&self) -> Result<Snapshot, AdapterError> {
        let now = self.now();
        let fresh_for =
            chrono::Duration::from_std(self.settings.min_refresh).unwrap_or(chrono::Duration::MAX);
        if let Some(s) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|s| now - s.observed_at < fresh_for)
        {
            return Ok(s.clone());
        }
        if self.settings.token.is_none() {
            return Err(AdapterError::Unauthorized {
                endpoint: self.clients[0].url("/retrieveUser"),
                hint: TOKEN_HINT.to_owned(),
            });
        }
        let user = self.user().await?;
        let devices = self.devices().await?;
        let epoch = self.latest_epoch().await?;
        let snap = Snapshot {
            observed_at: now,
            user,
            devices,
            epoch,
        };
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = Some(snap.clone());
        Ok(snap)
    }

    /// The figures of a snapshot: settled points as lifetime, the running epoch's points as the
    /// current-period estimate. Unknown figures are left out.
    pub fn figures(&self, s: &Snapshot) -> Vec<(EarningsKind, Money)> {
        let mut out = Vec::new();
        if let Some(p) = s.user.total_points {
            out.push((EarningsKind::Lifetime, p));
        }
        if let Some(e) = &s.epoch {
            let running = e.end.is_none_or(|end| end > s.observed_at);
            if let (true, Some(p)) = (running, e.total_points) {
                out.push((EarningsKind::CurrentPeriodEstimate, p));
            }
        }
        out
    }
}

#[async_trait]
impl ProtocolAdapter for GrassAdapter {
    fn protocol_name(&self) -> ProtocolId {
        ProtocolId::Grass
    }

    fn node_id(&self) -> &NodeId {
        &self.node
    }

    async fn connect(&self) -> Result<NodeInfo, AdapterError> {
        let s = self.snapshot().await?;
        Ok(NodeInfo {
            // The API does not say which app version runs here.
            version: None,
            remote_id: s.user.user_id.or(s.user.username),
        })
    }

    async fn disconnect(&self) -> Result<(), AdapterError> {
        Ok(())
    }

    async fn get_current_earnings(&self) -> Result<EarningsData, AdapterError> {
        let s = self.snapshot().await?;
        Ok(EarningsData {
            observed_at: s.observed_at,
            figures: self.figures(&s),
        })
    }

    async fn get_resource_usage(&self) -> Result<ResourceMetrics, AdapterError> {
        // The app reports nothing about its own use; everything is "not measured".
        Ok(ResourceMetrics {
            observed_at: Some(self.now()),
            ..Default::default()
        })
    }

    async fn apply_allocation(
        &self,
        allocation: &ResourceVector,
    ) -> Result<AppliedAllocation, AdapterError> {
        if *allocation != ResourceVector::default() {
            return Err(AdapterError::Unsupported {
                what: format!("{}: the Grass app has no resource settings; only OS-level CPU priority or bandwidth shaping could limit it, and Orcha does not apply those", self.node),
            });
        }
        Ok(AppliedAllocation {
            node: self.node.clone(),
            read_back: BTreeMap::new(),
            restarted: false,
        })
    }

    async fn health_check(&self) -> HealthStatus {
        let s = match self.snapshot().await {
            Ok(s) => s,
            Err(e) => return e.as_health(),
        };
        let mut reasons = Vec::new();
        if self
            .settings
            .process
            .is_running(self.settings.timeout)
            .await
            == Some(false)
        {
            reasons.push(format!(
                "the Grass app is not running on this machine ({} found): it earns nothing until it is started",
                self.settings.process.describe()
            ));
        }
        if s.devices.is_empty() {
            reasons.push("no device of this account is connected in the current epoch".to_owned());
        }
        let stale = chrono::Duration::from_std(self.settings.device_stale_after)
            .unwrap_or(chrono::Duration::MAX);
        for d in &s.devices {
            let name = format!(
                "device {} ({})",
                d.device_id.as_deref().unwrap_or("?"),
                d.ip_address.as_deref().unwrap_or("IP unknown")
            );
            if !d.earning {
                reasons.push(format!("{name} has network score 0: its IP is not accepted (datacenter, VPN or shared IP?) and it earns nothing"));
            }
            if let Some(t) = d.last_connected_at.filter(|t| s.observed_at - *t > stale) {
                reasons.push(format!("{name} last connected at {}", t.to_rfc3339()));
            }
        }
        if reasons.is_empty() {
            HealthStatus::Healthy
        } else {
            HealthStatus::Degraded(reasons)
        }
    }

    fn capabilities(&self) -> Vec<Capability> {
        let fixed = |resource: ResourceKind, p: &str| Capability {
            resource,
            knob: Knob::None,
            min: 0,
            max: 0,
            step: 0,
            restart_required: false,
            restart_cost: RestartCost::default(),
            preconditions: vec![
                p.to_owned(),
                "the Grass app has no settings; Orcha only watches it".to_owned(),
            ],
        };
        vec![
            fixed(ResourceKind::Cpu, "CPU can only be limited at the OS level (priority, cgroups, docker --cpus for the unofficial container)"),
            fixed(ResourceKind::Memory, "memory can only be limited at the OS level"),
            fixed(ResourceKind::Disk, "Grass stores nothing worth allocating"),
            fixed(ResourceKind::Bandwidth, "bandwidth can only be shaped at the OS level; fewer bytes served means fewer Network points"),
        ]
    }
}
