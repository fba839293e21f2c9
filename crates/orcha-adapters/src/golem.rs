//! Golem provider adapter: yagna's REST API (default `http://127.0.0.1:7465`, Bearer app key) plus the ya-provider CLI and files.
//!
//! What the node exposes is described in `shared/protocols/storj-golem.md` §2. yagna reports money
//! as GLM decimal strings (never wei), which are parsed exactly into 18-decimal base units.
//! ya-provider has no API: its hardware profile and presets are read and changed through its CLI
//! (`ya-provider profile update`, `preset update`), or through the JSON files in its data
//! directory when the CLI is not installed. It re-reads those files itself, so no restart is
//! needed.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
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

use crate::http::{Auth, JsonClient};
use crate::probe::{decode, float_to_decimal, ser_money};

/// Told to the operator whenever yagna refuses the app key (or none is configured).
pub const APP_KEY_HINT: &str = "create an app key with `yagna app-key create depin-orcha` (or list existing ones with `yagna app-key list`) and paste it in Settings, or set ORCHA_GOLEM_APP_KEY";
const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;
/// GLM's total supply is 1 billion; any single figure above it is a broken payload.
const ABSURD_GLM: i128 = 1_000_000_000 * 10i128.pow(18);
/// Networks that pay real GLM. Testnets (holesky, hoodi, amoy, sepolia, …) pay tGLM, which is
/// recorded per platform but never counted as earnings.
const MAINNETS: [&str; 2] = ["polygon", "mainnet"];

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
            allow_interrupt: false,
            clock,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Raw payloads.

#[derive(Deserialize)]
struct RawRelease {
    version: String,
}

#[derive(Deserialize)]
struct RawVersion {
    current: RawRelease,
    #[serde(default)]
    pending: Option<RawRelease>,
}

#[derive(Deserialize)]
struct RawMe {
    identity: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawInvoice {
    invoice_id: String,
    issuer_id: String,
    payment_platform: String,
    amount: String,
    #[serde(default)]
    payment_due_date: Option<DateTime<Utc>>,
    status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPayment {
    payee_id: String,
    payment_platform: String,
    amount: String,
    timestamp: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDriverStatus {
    kind: String,
    #[serde(default)]
    driver: Option<String>,
    #[serde(default)]
    network: Option<String>,
    #[serde(default)]
    needed_gas_est: Option<String>,
    #[serde(default)]
    needed_token_est: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAgreement {
    id: String,
    timestamp: DateTime<Utc>,
    #[serde(default)]
    role: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawActivity {
    id: String,
    state: String,
    #[serde(default)]
    usage: Option<BTreeMap<String, f64>>,
    #[serde(default)]
    exe_unit: Option<String>,
    #[serde(default)]
    agreement_id: Option<String>,
}

#[derive(Deserialize)]
struct RawMonitorEvent {
    ts: DateTime<Utc>,
    activities: Vec<RawActivity>,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
pub struct HardwareProfile {
    pub cpu_threads: u64,
    pub mem_gib: f64,
    pub storage_gib: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPreset {
    name: String,
    exeunit_name: String,
    pricing_model: String,
    initial_price: f64,
    usage_coeffs: BTreeMap<String, f64>,
}

// ---------------------------------------------------------------------------------------------
// Normalized readings.

/// Invoice totals of one payment platform, in GLM base units (18 decimals).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlatformTotals {
    pub platform: String,
    pub driver: String,
    pub network: String,
    pub token: String,
    /// Only mainnet platforms count as earnings; testnets pay tGLM.
    pub counts_as_earnings: bool,
    /// ISSUED + RECEIVED: invoiced, not yet accepted by the requestor.
    #[serde(serialize_with = "ser_money")]
    pub pending: Money,
    #[serde(serialize_with = "ser_money")]
    pub accepted: Money,
    #[serde(serialize_with = "ser_money")]
    pub settled: Money,
    /// REJECTED, FAILED and CANCELLED invoices, which will not be paid.
    pub unpaid_invoices: usize,
}

/// The provider's side of `/payment-api/v1/invoices` and `/payments`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Earnings {
    pub identity: String,
    pub platforms: Vec<PlatformTotals>,
    /// Payments received on mainnet platforms.
    #[serde(serialize_with = "ser_money")]
    pub paid_out: Money,
    pub payments: usize,
    pub last_payment_at: Option<DateTime<Utc>>,
    /// Provider invoices not settled after their due date.
    pub overdue_invoices: usize,
}

impl Earnings {
    /// Pending, accepted and settled kept apart (mainnet only); lifetime is their sum.
    pub fn figures(&self) -> Result<Vec<(EarningsKind, Money)>, AdapterError> {
        let sum = |f: &dyn Fn(&PlatformTotals) -> Money| -> Result<Money, AdapterError> {
            self.platforms
                .iter()
                .filter(|p| p.counts_as_earnings)
                .try_fold(glm(0), |acc, p| {
                    acc.checked_add(&f(p)).map_err(|e| AdapterError::Malformed {
                        endpoint: "/payment-api/v1/invoices".to_owned(),
                        what: format!("invoice totals: {e}"),
                    })
                })
        };
        let pending = sum(&|p| p.pending)?;
        let accepted = sum(&|p| p.accepted)?;
        let settled = sum(&|p| p.settled)?;
        let overflow = |e| AdapterError::Malformed {
            endpoint: "/payment-api/v1/invoices".to_owned(),
            what: format!("invoice totals: {e}"),
        };
        let lifetime = pending
            .checked_add(&accepted)
            .and_then(|s| s.checked_add(&settled))
            .map_err(overflow)?;
        Ok(vec![
            (EarningsKind::Lifetime, lifetime),
            (EarningsKind::Pending, pending),
            (EarningsKind::Accepted, accepted),
            (EarningsKind::Settled, settled),
            (EarningsKind::PaidOut, self.paid_out),
        ])
    }
}

/// One activity as `_monitor` reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Activity {
    pub id: String,
    pub state: String,
    pub exe_unit: Option<String>,
    pub agreement_id: Option<String>,
    /// Counter name → seconds (`golem.usage.cpu_sec`, `golem.usage.duration_sec`).
    pub usage: BTreeMap<String, f64>,
}

/// The `_monitor` snapshot: what runs right now.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActivitySnapshot {
    pub ts: DateTime<Utc>,
    pub activities: Vec<Activity>,
    /// Activities not yet terminated (including New and Unresponsive: they hold resources).
    pub running: usize,
    pub unresponsive: usize,
}

/// A pricing preset, prices in GLM base units (18 decimals) per hour as golemsp shows them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Preset {
    pub name: String,
    pub exe_unit: String,
    pub pricing_model: String,
    pub active: bool,
    #[serde(serialize_with = "ser_money")]
    pub cpu_per_hour: Money,
    #[serde(serialize_with = "ser_money")]
    pub env_per_hour: Money,
    #[serde(serialize_with = "ser_money")]
    pub start_price: Money,
}

/// The active hardware profile and where it was read from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActiveProfile {
    pub name: String,
    pub resources: HardwareProfile,
    /// `"cli"` or the path of `hardware.json`.
    pub source: String,
}

fn glm(amount: i128) -> Money {
    Money::new(Token::Glm, amount, 18)
}

fn parse_glm(endpoint: &str, field: &str, s: &str) -> Result<Money, AdapterError> {
    let bad = |why: String| AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what: format!("field `{field}`: {why}"),
    };
    let m = Money::parse_decimal(s, Token::Glm, 18).map_err(|e| bad(e.to_string()))?;
    if m.amount < 0 || m.amount > ABSURD_GLM {
        return Err(bad(format!("{s} GLM is not a plausible amount")));
    }
    Ok(m)
}

/// `erc20-polygon-glm` → (`erc20`, `polygon`, `glm`).
fn split_platform(p: &str) -> (String, String, String) {
    let mut parts = p.splitn(3, '-');
    let driver = parts.next().unwrap_or_default().to_owned();
    let network = parts.next().unwrap_or_default().to_owned();
    let token = parts.next().unwrap_or_default().to_owned();
    (driver, network, token)
}

/// A float price in GLM per second → exact GLM per hour on the float's decimal digits, rounded
/// half up to 18 decimals.
fn per_hour(endpoint: &str, field: &str, per_second: f64) -> Result<Money, AdapterError> {
    let bad = |why: String| AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what: format!("field `{field}`: {why}"),
    };
    if !(0.0..=1e6).contains(&per_second) {
        return Err(bad(format!("{per_second} GLM/s is not a plausible price")));
    }
    let text = float_to_decimal(per_second, 30).ok_or_else(|| bad("not a number".to_owned()))?;
    let fine = Money::parse_decimal(&text, Token::Glm, 30).map_err(|e| bad(e.to_string()))?;
    let hourly30 = fine
        .amount
        .checked_mul(3600)
        .ok_or_else(|| bad("overflow".to_owned()))?;
    let scale = 10i128.pow(12);
    Ok(glm((hourly30 + scale / 2) / scale))
}

fn price(endpoint: &str, field: &str, v: f64) -> Result<Money, AdapterError> {
    let bad = |why: String| AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what: format!("field `{field}`: {why}"),
    };
    if !(0.0..=1e6).contains(&v) {
        return Err(bad(format!("{v} GLM is not a plausible price")));
    }
    let text = float_to_decimal(v, 18).ok_or_else(|| bad("not a number".to_owned()))?;
    Money::parse_decimal(&text, Token::Glm, 18).map_err(|e| bad(e.to_string()))
}

fn normalize_presets(
    endpoint: &str,
    raw: Vec<RawPreset>,
    active: &[String],
) -> Result<Vec<Preset>, AdapterError> {
    raw.into_iter()
        .enumerate()
        .map(|(i, p)| {
            let f = |n: &str| format!("[{i}].{n}");
            let coeff = |k: &str| p.usage_coeffs.get(k).copied().unwrap_or(0.0);
            Ok(Preset {
                cpu_per_hour: per_hour(
                    endpoint,
                    &f("usage-coeffs.golem.usage.cpu_sec"),
                    coeff("golem.usage.cpu_sec"),
                )?,
                env_per_hour: per_hour(
                    endpoint,
                    &f("usage-coeffs.golem.usage.duration_sec"),
                    coeff("golem.usage.duration_sec"),
                )?,
                start_price: price(endpoint, &f("initial-price"), p.initial_price)?,
                active: active.contains(&p.name),
                name: p.name,
                exe_unit: p.exeunit_name,
                pricing_model: p.pricing_model,
            })
        })
        .collect()
}

fn check_profile(endpoint: &str, name: &str, p: &HardwareProfile) -> Result<(), AdapterError> {
    let bad = |field: &str, why: String| AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what: format!("field `{name}.{field}`: {why}"),
    };
    if p.cpu_threads == 0 || p.cpu_threads > 4096 {
        return Err(bad(
            "cpu_threads",
            format!("{} threads is not plausible", p.cpu_threads),
        ));
    }
    for (field, v) in [("mem_gib", p.mem_gib), ("storage_gib", p.storage_gib)] {
        if !(0.0..=1e7).contains(&v) {
            return Err(bad(field, format!("{v} GiB is not plausible")));
        }
    }
    Ok(())
}

/// GiB as an exact decimal string from a whole number of MiB (1 MiB = 0.0009765625 GiB).
fn mib_to_gib_text(mib: u64) -> String {
    let whole = mib / 1024;
    let frac = (mib % 1024) * 9_765_625;
    if frac == 0 {
        return format!("{whole}");
    }
    let f = format!("{frac:010}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

fn gib_to_bytes(gib: f64) -> u64 {
    // Resource sizes, not money: ya-provider stores GiB as floats, so bytes are rounded.
    (gib * GIB as f64).round().max(0.0) as u64
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
}

enum Cli {
    Absent,
    Output(String),
}

impl GolemAdapter {
    pub fn new(node: NodeId, settings: GolemSettings) -> Result<Self, AdapterError> {
        if node.protocol() != ProtocolId::Golem {
            return Err(AdapterError::Unsupported {
                what: format!("{node} is not a golem node"),
            });
        }
        let auth = settings.app_key.clone().map_or(Auth::None, Auth::Bearer);
        let client = JsonClient::new(&settings.endpoint, settings.timeout, auth, APP_KEY_HINT)?;
        let stream = reqwest::Client::builder()
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| AdapterError::Unsupported {
                what: format!("HTTP client: {e}"),
            })?;
        Ok(GolemAdapter {
            node,
            client,
            stream,
            settings,
            last_cpu: Mutex::new(None),
            last_profile: Mutex::new(None),
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, AdapterError> {
        let body = self.client.get_bytes(path).await?;
        decode(&self.client.url(path), &body)
    }

    /// `GET /version/get` (no auth): the running version and whether an update is pending.
    pub async fn version(&self) -> Result<(String, Option<String>), AdapterError> {
        let v: RawVersion = self.get("/version/get").await?;
        Ok((v.current.version, v.pending.map(|p| p.version)))
    }

    /// `GET /me`: the node id the app key belongs to.
    pub async fn identity(&self) -> Result<String, AdapterError> {
        let me: RawMe = self.get("/me").await?;
        Ok(me.identity)
    }

    /// Invoices issued by this node and payments received, per platform.
    pub async fn earnings(&self) -> Result<Earnings, AdapterError> {
        let me = self.identity().await?;
        let path = "/payment-api/v1/invoices";
        let url = self.client.url(path);
        let invoices: Vec<RawInvoice> = self.get(path).await?;
        let now = self.settings.clock.now();
        let mut platforms: BTreeMap<String, PlatformTotals> = BTreeMap::new();
        let mut overdue = 0;
        for (i, inv) in invoices.iter().enumerate() {
            // The list also holds invoices this node received as a requestor.
            if !inv.issuer_id.eq_ignore_ascii_case(&me) {
                continue;
            }
            let amount = parse_glm(&url, &format!("[{i}].amount"), &inv.amount)?;
            let (driver, network, token) = split_platform(&inv.payment_platform);
            let totals = platforms
                .entry(inv.payment_platform.clone())
                .or_insert_with(|| PlatformTotals {
                    platform: inv.payment_platform.clone(),
                    counts_as_earnings: MAINNETS.contains(&network.as_str()) && token == "glm",
                    driver,
                    network,
                    token,
                    pending: glm(0),
                    accepted: glm(0),
                    settled: glm(0),
                    unpaid_invoices: 0,
                });
            let add = |slot: &mut Money| -> Result<(), AdapterError> {
                *slot = slot
                    .checked_add(&amount)
                    .map_err(|e| AdapterError::Malformed {
                        endpoint: url.clone(),
                        what: format!("field `[{i}].amount`: {e}"),
                    })?;
                Ok(())
            };
            match inv.status.as_str() {
                "ISSUED" | "RECEIVED" => add(&mut totals.pending)?,
                "ACCEPTED" => add(&mut totals.accepted)?,
                "SETTLED" => add(&mut totals.settled)?,
                "REJECTED" | "FAILED" | "CANCELLED" => totals.unpaid_invoices += 1,
                other => {
                    return Err(AdapterError::Malformed {
                        endpoint: url.clone(),
                        what: format!(
                            "field `[{i}].status`: unknown invoice status `{other}` (invoice {})",
                            inv.invoice_id
                        ),
                    })
                }
            }
            let open = matches!(inv.status.as_str(), "ISSUED" | "RECEIVED" | "ACCEPTED");
            if open && inv.payment_due_date.is_some_and(|d| d < now) {
                overdue += 1;
            }
        }
        // timeout=0: the endpoint long-polls for 5 s by default.
        let path = "/payment-api/v1/payments?timeout=0";
        let url = self.client.url(path);
        let payments: Vec<RawPayment> = self.get(path).await?;
        let mut paid_out = glm(0);
        let mut count = 0;
        let mut last = None;
        for (i, p) in payments.iter().enumerate() {
            if !p.payee_id.eq_ignore_ascii_case(&me) {
                continue;
            }
            let amount = parse_glm(&url, &format!("[{i}].amount"), &p.amount)?;
            let (_, network, token) = split_platform(&p.payment_platform);
            if !(MAINNETS.contains(&network.as_str()) && token == "glm") {
                continue;
            }
            paid_out = paid_out
                .checked_add(&amount)
                .map_err(|e| AdapterError::Malformed {
                    endpoint: url.clone(),
                    what: format!("field `[{i}].amount`: {e}"),
                })?;
            count += 1;
            last = last.max(Some(p.timestamp));
        }
        Ok(Earnings {
            identity: me,
            platforms: platforms.into_values().collect(),
            paid_out,
            payments: count,
            last_payment_at: last,
            overdue_invoices: overdue,
        })
    }

    /// Reasons from `GET /payment-api/v1/payments/status` (`[]` when the drivers are fine).
    pub async fn payment_driver_reasons(&self) -> Result<Vec<String>, AdapterError> {
        let statuses: Vec<RawDriverStatus> = self.get("/payment-api/v1/payments/status").await?;
        Ok(statuses
            .iter()
            .map(|s| {
                let on = format!(
                    "payment driver {} on {}",
                    s.driver.as_deref().unwrap_or("?"),
                    s.network.as_deref().unwrap_or("?")
                );
                match s.kind.as_str() {
                    "InsufficientGas" => format!(
                        "{on} lacks gas (needs about {} of the network's gas token)",
                        s.needed_gas_est.as_deref().unwrap_or("?")
                    ),
                    "InsufficientToken" => format!(
                        "{on} lacks GLM (needs about {})",
                        s.needed_token_est.as_deref().unwrap_or("?")
                    ),
                    "CantSign" => format!("{on} cannot sign: the yagna identity is locked"),
                    "RpcError" => {
                        format!("{on} cannot reach its RPC endpoints: payments are delayed")
                    }
                    "TxStuck" => format!("{on} has a stuck transaction"),
                    "InvalidChainId" => format!("{on} reports an invalid chain id"),
                    other => format!("{on} reports {other}"),
                }
            })
            .collect())
    }

    /// `GET /market-api/v1/offers`: how many offers ya-provider has subscribed.
    pub async fn offer_count(&self) -> Result<usize, AdapterError> {
        let offers: Vec<serde_json::Value> = self.get("/market-api/v1/offers").await?;
        Ok(offers.len())
    }

    /// Provider agreements made in the last hour (`/market-api/v1/agreements`).
    pub async fn agreements_last_hour(&self) -> Result<usize, AdapterError> {
        let since = self.settings.clock.now() - chrono::Duration::hours(1);
        let path = format!(
            "/market-api/v1/agreements?afterDate={}",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        let agreements: Vec<RawAgreement> = self.get(&path).await?;
        // Filtered here too: older yagna versions may ignore afterDate (unverified).
        Ok(agreements
            .iter()
            .filter(|a| {
                a.timestamp >= since
                    && a.role.as_deref().is_none_or(|r| r == "Provider")
                    && !a.id.is_empty()
            })
            .count())
    }

    /// The first event of `GET /activity-api/v1/_monitor` (server-sent events): a snapshot of the
    /// current activities. The stream stays open, so we read until the first blank line.
    pub async fn activities(&self) -> Result<ActivitySnapshot, AdapterError> {
        let url = self.client.url("/activity-api/v1/_monitor");
        let timeout = self.settings.timeout;
        let read = async {
            let mut req = self
                .stream
                .get(&url)
                .header(reqwest::header::ACCEPT, "text/event-stream");
            if let Some(k) = &self.settings.app_key {
                let mut v =
                    reqwest::header::HeaderValue::from_str(&format!("Bearer {}", k.expose()))
                        .map_err(|_| AdapterError::Unauthorized {
                            endpoint: url.clone(),
                            hint: format!(
                                "the app key is not a valid header value; {APP_KEY_HINT}"
                            ),
                        })?;
                v.set_sensitive(true);
                req = req.header(reqwest::header::AUTHORIZATION, v);
            }
            let unreachable = |e: reqwest::Error| {
                let mut reason = String::from("connection failed");
                let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
                while let Some(s) = source {
                    reason = s.to_string();
                    source = s.source();
                }
                AdapterError::Unreachable {
                    endpoint: url.clone(),
                    reason,
                }
            };
            let mut resp = req.send().await.map_err(unreachable)?;
            let status = resp.status();
            if status == reqwest::StatusCode::UNAUTHORIZED
                || status == reqwest::StatusCode::FORBIDDEN
            {
                return Err(AdapterError::Unauthorized {
                    endpoint: url.clone(),
                    hint: format!("HTTP {}; {APP_KEY_HINT}", status.as_u16()),
                });
            }
            if !status.is_success() {
                return Err(AdapterError::Malformed {
                    endpoint: url.clone(),
                    what: format!("HTTP {}", status.as_u16()),
                });
            }
            let mut buf: Vec<u8> = Vec::new();
            loop {
                let text = String::from_utf8_lossy(&buf).replace("\r\n", "\n");
                if let Some(end) = text.find("\n\n") {
                    let data: Vec<&str> = text[..end]
                        .lines()
                        .filter_map(|l| l.strip_prefix("data:"))
                        .map(str::trim_start)
                        .collect();
                    if !data.is_empty() {
                        return Ok(data.join("\n").into_bytes());
                    }
                    // A comment or keep-alive block: skip it.
                    buf = text.as_bytes()[end + 2..].to_vec();
                    continue;
                }
                if buf.len() > 4 * 1024 * 1024 {
                    return Err(AdapterError::Malformed {
                        endpoint: url.clone(),
                        what: "first event larger than 4 MiB".to_owned(),
                    });
                }
                match resp.chunk().await.map_err(unreachable)? {
                    Some(chunk) => buf.extend_from_slice(&chunk),
                    None => {
                        // The stream ended without a blank line: take what came.
                        let text = String::from_utf8_lossy(&buf).into_owned();
                        let data: Vec<&str> = text
                            .lines()
                            .filter_map(|l| l.strip_prefix("data:"))
                            .map(str::trim_start)
                            .collect();
                        if data.is_empty() {
                            return Err(AdapterError::Malformed {
                                endpoint: url.clone(),
                                what: "the event stream ended without a `data:` event".to_owned(),
                            });
                        }
                        return Ok(data.join("\n").into_bytes());
                    }
                }
            }
        };
        let body =
            tokio::time::timeout(timeout, read)
                .await
                .map_err(|_| AdapterError::Timeout {
                    endpoint: url.clone(),
                    after: timeout,
                })??;
        let raw: RawMonitorEvent = decode(&url, &body)?;
        let mut activities = Vec::new();
        for (i, a) in raw.activities.into_iter().enumerate() {
            let usage = a.usage.unwrap_or_default();
            for (k, v) in &usage {
                if !v.is_finite() || *v < 0.0 {
                    return Err(AdapterError::Malformed {
                        endpoint: url.clone(),
                        what: format!(
                            "field `activities[{i}].usage.{k}`: {v} is not a usage counter"
                        ),
                    });
                }
            }
            activities.push(Activity {
                id: a.id,
                state: a.state,
                exe_unit: a.exe_unit,
                agreement_id: a.agreement_id,
                usage,
            });
        }
        let running = activities
            .iter()
            .filter(|a| a.state != "Terminated")
            .count();
        let unresponsive = activities
            .iter()
            .filter(|a| a.state == "Unresponsive")
            .count();
        Ok(ActivitySnapshot {
            ts: raw.ts,
            activities,
            running,
            unresponsive,
        })
    }

    fn data_dir(&self) -> Option<PathBuf> {
        self.settings.data_dir.clone()
    }

    /// Runs ya-provider with `args`; `Cli::Absent` when the executable is not installed.
    async fn cli(&self, args: &[&str]) -> Result<Cli, AdapterError> {
        let exe = &self.settings.ya_provider;
        let mut cmd = tokio::process::Command::new(exe);
        cmd.args(args)
            .kill_on_drop(true)
            .stdin(std::process::Stdio::null());
        if let Some(dir) = &self.settings.data_dir {
            cmd.env("DATA_DIR", dir);
        }
        let what = format!("`{} {}`", exe.display(), args.join(" "));
        let out = match tokio::time::timeout(self.settings.timeout, cmd.output()).await {
            Err(_) => {
                return Err(AdapterError::Timeout {
                    endpoint: what,
                    after: self.settings.timeout,
                })
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Cli::Absent),
            Ok(Err(e)) => {
                return Err(AdapterError::Unsupported {
                    what: format!("{what} could not run: {e}"),
                })
            }
            Ok(Ok(out)) => out,
        };
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let line = err
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_owned();
            return Err(AdapterError::Unsupported {
                what: format!("{what} failed ({}): {line}", out.status),
            });
        }
        Ok(Cli::Output(
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
    }

    fn file(&self, name: &str) -> Result<PathBuf, AdapterError> {
        self.data_dir().map(|d| d.join(name)).ok_or_else(|| AdapterError::Unsupported {
            what: format!("{}: ya-provider is not installed at `{}` and no data directory is known for {name}", self.node, self.settings.ya_provider.display()),
        })
    }

    /// The active hardware profile, from `ya-provider profile list/active` or `hardware.json`.
    pub async fn profile(&self) -> Result<ActiveProfile, AdapterError> {
        let p = match self.cli(&["profile", "active"]).await? {
            Cli::Output(active) => {
                let endpoint = "`ya-provider profile active`";
                let name: String = decode(endpoint, active.trim().as_bytes())?;
                let Cli::Output(list) = self.cli(&["profile", "list"]).await? else {
                    return Err(AdapterError::Unsupported {
                        what: "ya-provider disappeared between two calls".to_owned(),
                    });
                };
                let endpoint = "`ya-provider profile list`";
                let mut profiles: BTreeMap<String, HardwareProfile> =
                    decode(endpoint, list.trim().as_bytes())?;
                let resources = profiles
                    .remove(&name)
                    .ok_or_else(|| AdapterError::Malformed {
                        endpoint: endpoint.to_owned(),
                        what: format!("the active profile `{name}` is not listed"),
                    })?;
                check_profile(endpoint, &name, &resources)?;
                ActiveProfile {
                    name,
                    resources,
                    source: "cli".to_owned(),
                }
            }
            Cli::Absent => {
                let path = self.file("hardware.json")?;
                let (name, resources) = read_hardware_json(&path).await?;
                ActiveProfile {
                    name,
                    resources,
                    source: path.display().to_string(),
                }
            }
        };
        *self.last_profile.lock().unwrap_or_else(|e| e.into_inner()) = Some(p.resources.clone());
        Ok(p)
    }

    /// The pricing presets, from `ya-provider --json preset list/active` or `presets.json`.
    pub async fn presets(&self) -> Result<Vec<Preset>, AdapterError> {
        match self.cli(&["--json", "preset", "list"]).await? {
            Cli::Output(list) => {
                let raw: Vec<RawPreset> =
                    decode("`ya-provider --json preset list`", list.trim().as_bytes())?;
                let active: Vec<String> = match self.cli(&["--json", "preset", "active"]).await? {
                    Cli::Output(a) => {
                        decode("`ya-provider --json preset active`", a.trim().as_bytes())?
                    }
                    Cli::Absent => Vec::new(),
                };
                normalize_presets("`ya-provider --json preset list`", raw, &active)
            }
            Cli::Absent => {
                let path = self.file("presets.json")?;
                let endpoint = path.display().to_string();
                let text = tokio::fs::read(&path)
                    .await
                    .map_err(|e| AdapterError::Unsupported {
                        what: format!("cannot read {endpoint}: {e}"),
                    })?;
                let v: serde_json::Value = decode(&endpoint, &text)?;
                if v.get("ver").and_then(|x| x.as_str()) != Some("V1") {
                    // V0 files (no `ver`) are converted by ya-provider itself; guessing their
                    // layout here would risk reading prices wrongly.
                    return Err(AdapterError::Malformed { endpoint, what: "field `ver`: only V1 presets files are read; run ya-provider once to convert".to_owned() });
                }
                #[derive(Deserialize)]
                struct V1 {
                    active: Vec<String>,
                    presets: Vec<RawPreset>,
                }
                let f: V1 = decode(&endpoint, &text)?;
                normalize_presets(&endpoint, f.presets, &f.active)
            }
        }
    }

    /// Sets the prices of `presets` (per hour, as golemsp takes them) through
    /// `ya-provider preset update`, or `presets.json` without the CLI, and reads them back.
    /// ya-provider re-publishes changed presets by itself; running activities keep their price.
    pub async fn update_preset_prices(
        &self,
        presets: &[&str],
        cpu_per_hour: &Money,
        env_per_hour: &Money,
        start_price: &Money,
    ) -> Result<Vec<Preset>, AdapterError> {
        for m in [cpu_per_hour, env_per_hour, start_price] {
            if m.token != Token::Glm || m.amount < 0 {
                return Err(AdapterError::Unsupported {
                    what: format!(
                        "{}: a price must be a non-negative GLM amount, not {m}",
                        self.node
                    ),
                });
            }
        }
        let cpu = per_second_text(cpu_per_hour);
        let env = per_second_text(env_per_hour);
        let start = trim_decimal(start_price.to_decimal_string());
        let mut args: Vec<String> =
            vec!["preset".into(), "update".into(), "--no-interactive".into()];
        for p in presets {
            args.extend(["--name".to_owned(), (*p).to_owned()]);
        }
        args.extend([
            "--pricing".to_owned(),
            "linear".to_owned(),
            "--price".to_owned(),
            format!("CPU={cpu}"),
            "--price".to_owned(),
            format!("Duration={env}"),
            "--price".to_owned(),
            format!("Init price={start}"),
        ]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        if let Cli::Absent = self.cli(&argv).await? {
            let path = self.file("presets.json")?;
            edit_json(&path, |v| {
                let list = v
                    .get_mut("presets")
                    .and_then(|p| p.as_array_mut())
                    .ok_or("field `presets` is not a list")?;
                for p in list.iter_mut() {
                    if p.get("name")
                        .and_then(|n| n.as_str())
                        .is_some_and(|n| presets.contains(&n))
                    {
                        p["pricing-model"] = "linear".into();
                        p["initial-price"] = json_number(&start)?;
                        let coeffs = p
                            .get_mut("usage-coeffs")
                            .and_then(|c| c.as_object_mut())
                            .ok_or("field `usage-coeffs` is not an object")?;
                        coeffs.insert("golem.usage.cpu_sec".into(), json_number(&cpu)?);
                        coeffs.insert("golem.usage.duration_sec".into(), json_number(&env)?);
                    }
                }
                Ok(())
            })
            .await?;
        }
        let all = self.presets().await?;
        Ok(all
            .into_iter()
            .filter(|p| presets.contains(&p.name.as_str()))
            .collect())
    }
}

/// GLM per hour → GLM per second as a decimal string (24 places, rounded half up).
fn per_second_text(per_hour: &Money) -> String {
    let scaled = per_hour.rescale(24).map(|m| m.amount).unwrap_or(0);
    let per_second = (scaled + 1800) / 3600;
    trim_decimal(Money::new(Token::Glm, per_second, 24).to_decimal_string())
}

/// `"0.000100"` → `"0.0001"`, `"2.000"` → `"2"`; integers are left alone.
fn trim_decimal(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

fn json_number(text: &str) -> Result<serde_json::Value, &'static str> {
    serde_json::from_str::<serde_json::Number>(text)
        .map(serde_json::Value::Number)
        .map_err(|_| "a price is not a JSON number")
}

async fn read_hardware_json(path: &Path) -> Result<(String, HardwareProfile), AdapterError> {
    #[derive(Deserialize)]
    struct Hardware {
        active: String,
        profiles: BTreeMap<String, HardwareProfile>,
    }
    let endpoint = path.display().to_string();
    let text = tokio::fs::read(path)
        .await
        .map_err(|e| AdapterError::Unsupported {
            what: format!("cannot read {endpoint}: {e}"),
        })?;
    let mut h: Hardware = decode(&endpoint, &text)?;
    let p = h
        .profiles
        .remove(&h.active)
        .ok_or_else(|| AdapterError::Malformed {
            endpoint: endpoint.clone(),
            what: format!(
                "field `active`: profile `{}` is not in `profiles`",
                h.active
            ),
        })?;
    check_profile(&endpoint, &format!("profiles.{}", h.active), &p)?;
    Ok((h.active, p))
}

/// Rewrites a ya-provider JSON file (no comments to lose) through a temporary file, so
/// ya-provider's file watcher never sees half a file.
async fn edit_json(
    path: &Path,
    f: impl FnOnce(&mut serde_json::Value) -> Result<(), &'static str>,
) -> Result<(), AdapterError> {
    let endpoint = path.display().to_string();
    let text = tokio::fs::read(path)
        .await
        .map_err(|e| AdapterError::Unsupported {
            what: format!("cannot read {endpoint}: {e}"),
        })?;
    let mut v: serde_json::Value = decode(&endpoint, &text)?;
    f(&mut v).map_err(|what| AdapterError::Malformed {
        endpoint: endpoint.clone(),
        what: what.to_owned(),
    })?;
    let out = serde_json::to_string_pretty(&v).map_err(|e| AdapterError::Malformed {
        endpoint: endpoint.clone(),
        what: e.to_string(),
    })?;
    let tmp = path.with_extension("json.orcha-tmp");
    tokio::fs::write(&tmp, out)
        .await
        .map_err(|e| AdapterError::Unsupported {
            what: format!("cannot write {}: {e}", tmp.display()),
        })?;
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(|e| AdapterError::Unsupported {
            what: format!("cannot replace {endpoint}: {e}"),
        })
}

/// Total RAM from /proc/meminfo (Linux, where the provider runs); `None` elsewhere.
fn total_memory_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
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
        if let Err(e) = self.version().await {
            return e.as_health();
        }
        if let Err(e) = self.identity().await {
            return e.as_health();
        }
        let mut reasons = Vec::new();
        match self.offer_count().await {
            Ok(0) => reasons.push("ya-provider publishes no offers: it is not running or not configured, so no jobs can arrive".to_owned()),
            Ok(_) => {}
            Err(e) => reasons.push(format!("offers could not be read: {e}")),
        }
        match self.payment_driver_reasons().await {
            Ok(r) => reasons.extend(r),
            Err(e) => reasons.push(format!("payment driver status could not be read: {e}")),
        }
        match self.earnings().await {
            Ok(e) if e.overdue_invoices > 0 => reasons.push(format!(
                "{} invoices are past their payment due date without being settled: the requestor is not paying",
                e.overdue_invoices
            )),
            Ok(_) => {}
            Err(e) => reasons.push(format!("invoices could not be read: {e}")),
        }
        match self.activities().await {
            Ok(s) if s.unresponsive > 0 => {
                reasons.push(format!("{} activities are unresponsive", s.unresponsive))
            }
            Ok(_) => {}
            Err(e) => reasons.push(format!("activities could not be read: {e}")),
        }
        if reasons.is_empty() {
            HealthStatus::Healthy
        } else {
            HealthStatus::Degraded(reasons)
        }
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
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
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
        let knob = |s: &str| Knob::ProtocolSetting(format!("ya-provider profile {s}"));
        let round_down = |v: u64, step: u64| v - v % step;
        vec![
            Capability {
                resource: ResourceKind::Cpu,
                knob: knob("cpu_threads"),
                min: 1000,
                max: threads * 1000,
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
                max: total_memory_bytes().map_or(u64::MAX - u64::MAX % MIB, |b| round_down(b, MIB)),
                step: MIB,
                restart_required: false,
                restart_cost: cost.clone(),
                preconditions: preconditions.clone(),
            },
            Capability {
                resource: ResourceKind::Disk,
                knob: knob("storage_gib"),
                min: GIB,
                // Free space of the data-dir partition is not measured here; ya-provider caps it.
                max: u64::MAX - u64::MAX % GIB,
                step: GIB,
                restart_required: false,
                restart_cost: cost,
                preconditions,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_convert_exactly_on_their_digits() {
        assert_eq!(
            per_hour("x", "f", 6.944444444444445e-06)
                .unwrap()
                .to_decimal_string(),
            "0.025000000000000002"
        );
        assert_eq!(
            per_hour("x", "f", 0.0001).unwrap().to_decimal_string(),
            "0.360000000000000000"
        );
        assert_eq!(
            per_second_text(&Money::parse_decimal("0.025", Token::Glm, 18).unwrap()),
            "0.000006944444444444444444"
        );
        assert_eq!(
            per_second_text(&Money::parse_decimal("0.36", Token::Glm, 18).unwrap()),
            "0.0001"
        );
        assert_eq!(mib_to_gib_text(1024), "1");
        assert_eq!(mib_to_gib_text(1536), "1.5");
        assert_eq!(mib_to_gib_text(1), "0.0009765625");
        assert_eq!(
            split_platform("erc20-polygon-glm"),
            ("erc20".into(), "polygon".into(), "glm".into())
        );
    }
}
