//! Storj storagenode adapter: the local dashboard API (default `http://127.0.0.1:14002`, no auth).
//!
//! Endpoints, units and version drift are described in `shared/protocols/storj-golem.md` §1. The
//! API has no versioned contract, so every payload is decoded leniently (unknown fields ignored,
//! optional fields optional) but strictly where it matters: a missing or mistyped number is
//! `Malformed` naming its JSON path, never a silent zero.
//!
//! Units: disk and bandwidth in bytes, storage summaries in byte-hours, estimated payouts in US
//! cents (floats the node rounded to 2 places), paystubs and payout history in micro-USD.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use orcha_core::{
    AdapterError, AppliedAllocation, Capability, Clock, EarningsData, EarningsKind, HealthStatus,
    Knob, Money, NodeId, NodeInfo, ProtocolAdapter, ProtocolId, ResourceKind, ResourceMetrics,
    ResourceVector, RestartCost, Token,
};
use serde::{Deserialize, Deserializer, Serialize};

use crate::http::{Auth, JsonClient};
use crate::probe::{decode, float_to_decimal, ser_money};

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
/// No single node stores an exabyte; a larger byte count is a broken payload, not data.
const ABSURD_BYTES: u64 = 1_000_000_000_000_000_000;
/// Ten million dollars in micro-USD: more than any node earns in one period.
const ABSURD_MICRO_USD: i64 = 10_000_000_000_000;
/// Ten million dollars in cents.
const ABSURD_CENTS: f64 = 1_000_000_000.0;
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
            clock,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Raw payloads (only what we use; unknown fields are ignored on purpose).

/// Distinguishes a field that is absent (older node) from one that is `null`.
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDashboard {
    #[serde(rename = "nodeID")]
    node_id: String,
    #[serde(default)]
    wallet: Option<String>,
    #[serde(default)]
    wallet_features: Option<Vec<String>>,
    #[serde(default)]
    satellites: Option<Vec<RawSatelliteInfo>>,
    disk_space: RawDiskSpace,
    #[serde(default)]
    bandwidth: Option<RawBandwidth>,
    last_pinged: DateTime<Utc>,
    version: String,
    #[serde(default)]
    allowed_version: Option<String>,
    up_to_date: bool,
    #[serde(default)]
    started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    configured_port: Option<String>,
    #[serde(default)]
    quic_status: Option<String>,
    #[serde(default)]
    last_quic_pinged_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSatelliteInfo {
    id: String,
    url: String,
    #[serde(default)]
    disqualified: Option<DateTime<Utc>>,
    #[serde(default)]
    suspended: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "double_option")]
    vetted_at: Option<Option<DateTime<Utc>>>,
    #[serde(default)]
    current_storage_used: Option<u64>,
}

#[derive(Deserialize)]
struct RawDiskSpace {
    used: u64,
    available: u64,
    #[serde(default)]
    trash: u64,
    #[serde(default)]
    overused: u64,
    #[serde(default)]
    allocated: Option<u64>,
    #[serde(default)]
    reclaimable: Option<u64>,
}

#[derive(Deserialize)]
struct RawBandwidth {
    used: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAudits {
    audit_score: f64,
    suspension_score: f64,
    online_score: f64,
    #[serde(default)]
    satellite_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSatellites {
    #[serde(default)]
    storage_daily: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    bandwidth_daily: Option<Vec<serde_json::Value>>,
    storage_summary: f64,
    #[serde(default)]
    average_usage_bytes: Option<f64>,
    bandwidth_summary: u64,
    egress_summary: u64,
    ingress_summary: u64,
    #[serde(default)]
    earliest_joined_at: Option<DateTime<Utc>>,
    #[serde(default)]
    audits: Option<Vec<RawAudits>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawPriceModel {
    egress_bandwidth: i64,
    repair_bandwidth: i64,
    audit_bandwidth: i64,
    disk_space: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuditHistory {
    score: f64,
    #[serde(default)]
    windows: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSatellite {
    id: String,
    #[serde(default)]
    storage_daily: Option<Vec<serde_json::Value>>,
    storage_summary: f64,
    #[serde(default)]
    average_usage_bytes: Option<f64>,
    bandwidth_summary: u64,
    egress_summary: u64,
    ingress_summary: u64,
    #[serde(default)]
    current_storage_used: Option<u64>,
    audits: RawAudits,
    #[serde(default)]
    audit_history: Option<RawAuditHistory>,
    #[serde(default)]
    price_model: Option<RawPriceModel>,
    #[serde(default)]
    node_joined_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "double_option")]
    vetted_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPayoutMonth {
    egress_bandwidth: u64,
    egress_bandwidth_payout: f64,
    egress_repair_audit: u64,
    egress_repair_audit_payout: f64,
    disk_space: f64,
    disk_space_payout: f64,
    held_rate: f64,
    payout: f64,
    held: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEstimatedPayout {
    current_month: RawPayoutMonth,
    previous_month: RawPayoutMonth,
    current_month_expectations: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPaystub {
    satellite_id: String,
    period: String,
    usage_at_rest: f64,
    usage_get: i64,
    usage_put: i64,
    usage_get_repair: i64,
    usage_put_repair: i64,
    usage_get_audit: i64,
    comp_at_rest: i64,
    comp_get: i64,
    comp_put: i64,
    comp_get_repair: i64,
    comp_put_repair: i64,
    comp_get_audit: i64,
    surge_percent: i64,
    held: i64,
    owed: i64,
    disposed: i64,
    paid: i64,
    distributed: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPayoutHistory {
    #[serde(rename = "satelliteID")]
    satellite_id: String,
    #[serde(rename = "satelliteURL")]
    satellite_url: String,
    age: i64,
    earned: i64,
    surge: i64,
    surge_percent: i64,
    held: i64,
    held_percent: f64,
    after_held: i64,
    disposed: i64,
    paid: i64,
    #[serde(default)]
    receipt: Option<String>,
    #[serde(default)]
    is_exit_complete: bool,
    distributed: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHeldHistory {
    #[serde(rename = "satelliteID")]
    satellite_id: String,
    satellite_name: String,
    hold_for_first_period: i64,
    hold_for_second_period: i64,
    hold_for_third_period: i64,
    total_held: i64,
    total_disposed: i64,
    #[serde(default)]
    joined_at: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------------------------------------
// Normalized readings (what the rest of Orcha and the probe see; units in the field names).

/// `/api/sno/` after the version-drift rules of §1.3 are applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dashboard {
    pub node_id: String,
    pub wallet: Option<String>,
    /// `null` on the wire is an empty list.
    pub wallet_features: Vec<String>,
    pub version: String,
    pub allowed_version: Option<String>,
    pub up_to_date: bool,
    /// `None` on nodes older than the QUIC status (v1.37 reports nothing).
    pub quic_status: Option<String>,
    pub configured_port: Option<String>,
    pub last_pinged: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub last_quic_pinged_at: Option<DateTime<Utc>>,
    pub disk: DiskSpace,
    /// Ingress + egress this calendar month (UTC); `None` when the node omits it.
    pub bandwidth_used_month_bytes: Option<u64>,
    pub satellites: Vec<SatelliteStatus>,
}

/// Disk in bytes with one meaning across versions: `used_bytes` includes trash.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DiskSpace {
    /// `"allocated"` when the node reports `allocated` (v1.143+), else `"legacy"`.
    pub shape: &'static str,
    pub allocated_bytes: u64,
    pub used_bytes: u64,
    pub trash_bytes: u64,
    pub free_bytes: u64,
    pub overused_bytes: u64,
    /// Only v1.143+ reports it.
    pub reclaimable_bytes: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SatelliteStatus {
    pub id: String,
    pub url: String,
    pub disqualified_at: Option<DateTime<Utc>>,
    pub suspended_at: Option<DateTime<Utc>>,
    /// `Some(false)` while still vetting, `None` when the node is too old to say (< v1.131).
    pub vetted: Option<bool>,
    pub vetted_at: Option<DateTime<Utc>>,
    /// Only nodes before v1.122 report it.
    pub current_storage_used_bytes: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditScores {
    pub satellite_name: String,
    pub audit_score: f64,
    pub suspension_score: f64,
    pub online_score: f64,
}

/// `/api/sno/satellites`: month-to-date totals over all satellites, and scores per satellite.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Satellites {
    pub storage_days: usize,
    pub bandwidth_days: usize,
    pub storage_summary_byte_hours: f64,
    pub average_usage_bytes: Option<f64>,
    pub bandwidth_summary_bytes: u64,
    pub egress_summary_bytes: u64,
    pub ingress_summary_bytes: u64,
    pub earliest_joined_at: Option<DateTime<Utc>>,
    pub audits: Vec<AuditScores>,
}

/// Satellite prices in US cents per TB (per TB-month for disk).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PriceModel {
    #[serde(serialize_with = "ser_money")]
    pub egress_per_tb: Money,
    #[serde(serialize_with = "ser_money")]
    pub repair_per_tb: Money,
    #[serde(serialize_with = "ser_money")]
    pub audit_per_tb: Money,
    #[serde(serialize_with = "ser_money")]
    pub disk_per_tb_month: Money,
}

/// `/api/sno/satellite/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SatelliteDetail {
    pub id: String,
    pub storage_days: usize,
    pub storage_summary_byte_hours: f64,
    pub average_usage_bytes: Option<f64>,
    pub bandwidth_summary_bytes: u64,
    pub egress_summary_bytes: u64,
    pub ingress_summary_bytes: u64,
    pub current_storage_used_bytes: Option<u64>,
    pub audits: AuditScores,
    pub audit_history_score: Option<f64>,
    pub audit_history_windows: usize,
    pub price_model: Option<PriceModel>,
    pub node_joined_at: Option<DateTime<Utc>>,
    pub vetted: Option<bool>,
    pub vetted_at: Option<DateTime<Utc>>,
}

/// One month of `/api/sno/estimated-payout`; payouts are the node's cents, kept to 2 places.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PayoutMonth {
    pub egress_bytes: u64,
    #[serde(serialize_with = "ser_money")]
    pub egress_payout: Money,
    pub repair_audit_bytes: u64,
    #[serde(serialize_with = "ser_money")]
    pub repair_audit_payout: Money,
    pub disk_byte_months: f64,
    #[serde(serialize_with = "ser_money")]
    pub disk_payout: Money,
    pub held_rate_percent: f64,
    #[serde(serialize_with = "ser_money")]
    pub payout: Money,
    #[serde(serialize_with = "ser_money")]
    pub held: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EstimatedPayout {
    pub current_month: PayoutMonth,
    pub previous_month: PayoutMonth,
    /// Whole cents: the node's linear extrapolation of this month.
    #[serde(serialize_with = "ser_money")]
    pub current_month_expectations: Money,
}

/// One paystub (`/api/heldamount/paystubs/...`); money in micro-USD.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Paystub {
    pub satellite_id: String,
    pub period: String,
    pub usage_at_rest_byte_months: f64,
    pub usage_get_bytes: i64,
    pub usage_put_bytes: i64,
    pub usage_get_repair_bytes: i64,
    pub usage_put_repair_bytes: i64,
    pub usage_get_audit_bytes: i64,
    #[serde(serialize_with = "ser_money")]
    pub comp_at_rest: Money,
    #[serde(serialize_with = "ser_money")]
    pub comp_get: Money,
    #[serde(serialize_with = "ser_money")]
    pub comp_put: Money,
    #[serde(serialize_with = "ser_money")]
    pub comp_get_repair: Money,
    #[serde(serialize_with = "ser_money")]
    pub comp_put_repair: Money,
    #[serde(serialize_with = "ser_money")]
    pub comp_get_audit: Money,
    pub surge_percent: i64,
    #[serde(serialize_with = "ser_money")]
    pub held: Money,
    #[serde(serialize_with = "ser_money")]
    pub owed: Money,
    #[serde(serialize_with = "ser_money")]
    pub disposed: Money,
    #[serde(serialize_with = "ser_money")]
    pub paid: Money,
    #[serde(serialize_with = "ser_money")]
    pub distributed: Money,
}

/// One satellite's payout of one period (`/api/heldamount/payout-history/{period}`), micro-USD.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PayoutHistoryEntry {
    pub satellite_id: String,
    pub satellite_url: String,
    pub age_months: i64,
    #[serde(serialize_with = "ser_money")]
    pub earned: Money,
    #[serde(serialize_with = "ser_money")]
    pub surge: Money,
    pub surge_percent: i64,
    #[serde(serialize_with = "ser_money")]
    pub held: Money,
    pub held_percent: f64,
    #[serde(serialize_with = "ser_money")]
    pub after_held: Money,
    #[serde(serialize_with = "ser_money")]
    pub disposed: Money,
    #[serde(serialize_with = "ser_money")]
    pub paid: Money,
    pub receipt: Option<String>,
    pub is_exit_complete: bool,
    #[serde(serialize_with = "ser_money")]
    pub distributed: Money,
}

/// Held amounts of one satellite (`/api/heldamount/held-history`), micro-USD.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeldHistoryEntry {
    pub satellite_id: String,
    pub satellite_name: String,
    #[serde(serialize_with = "ser_money")]
    pub held_first_period: Money,
    #[serde(serialize_with = "ser_money")]
    pub held_second_period: Money,
    #[serde(serialize_with = "ser_money")]
    pub held_third_period: Money,
    #[serde(serialize_with = "ser_money")]
    pub total_held: Money,
    #[serde(serialize_with = "ser_money")]
    pub total_disposed: Money,
    /// `total_held - total_disposed`: what the satellite still holds back.
    #[serde(serialize_with = "ser_money")]
    pub still_held: Money,
    pub joined_at: Option<DateTime<Utc>>,
}

/// Everything the slow payout endpoints said, read together and cached.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PayoutSnapshot {
    pub fetched_at: DateTime<Utc>,
    pub estimated: EstimatedPayout,
    pub periods: Vec<String>,
    pub paystubs: Vec<Paystub>,
    pub latest_payout_history: Vec<PayoutHistoryEntry>,
    pub held_history: Vec<HeldHistoryEntry>,
}

impl PayoutSnapshot {
    /// The contract's figures: the running month's estimate (whole cents), what all closed
    /// periods earned (held + owed), what reached the wallet (distributed) and what is still held
    /// (micro-USD). "Unpaid" is not reported: the API has no balance, and deriving one from
    /// owed − distributed would be a guess about payout thresholds.
    pub fn figures(&self, endpoint: &str) -> Result<Vec<(EarningsKind, Money)>, AdapterError> {
        let sum = |what: &str, items: Vec<Money>| -> Result<Money, AdapterError> {
            items
                .iter()
                .try_fold(micro(0), |acc, m| acc.checked_add(m))
                .map_err(|e| AdapterError::Malformed {
                    endpoint: endpoint.to_owned(),
                    what: format!("{what}: {e}"),
                })
        };
        let lifetime = sum(
            "paystubs held + owed",
            self.paystubs
                .iter()
                .flat_map(|p| [p.held, p.owed])
                .collect(),
        )?;
        let paid = sum(
            "paystubs distributed",
            self.paystubs.iter().map(|p| p.distributed).collect(),
        )?;
        let held = sum(
            "held-history",
            self.held_history.iter().map(|h| h.still_held).collect(),
        )?;
        Ok(vec![
            (
                EarningsKind::CurrentPeriodEstimate,
                self.estimated.current_month_expectations,
            ),
            (EarningsKind::Lifetime, lifetime),
            (EarningsKind::PaidOut, paid),
            (EarningsKind::Held, held),
        ])
    }
}

fn micro(amount: i64) -> Money {
    Money::new(Token::Usd, i128::from(amount), 6)
}

// ---------------------------------------------------------------------------------------------
// Validation and conversion.

struct Check<'a> {
    endpoint: &'a str,
}

impl Check<'_> {
    fn bad(&self, field: &str, why: String) -> AdapterError {
        AdapterError::Malformed {
            endpoint: self.endpoint.to_owned(),
            what: format!("field `{field}`: {why}"),
        }
    }

    fn bytes(&self, field: &str, v: u64) -> Result<u64, AdapterError> {
        if v > ABSURD_BYTES {
            return Err(self.bad(field, format!("{v} bytes is not plausible")));
        }
        Ok(v)
    }

    fn float_bytes(&self, field: &str, v: f64) -> Result<f64, AdapterError> {
        if !v.is_finite() || v < 0.0 || v > ABSURD_BYTES as f64 * 1e4 {
            return Err(self.bad(field, format!("{v} is not a plausible amount of bytes")));
        }
        Ok(v)
    }

    fn score(&self, field: &str, v: f64) -> Result<f64, AdapterError> {
        if !(0.0..=1.0).contains(&v) {
            return Err(self.bad(field, format!("score {v} is outside 0..1")));
        }
        Ok(v)
    }

    fn percent(&self, field: &str, v: f64) -> Result<f64, AdapterError> {
        if !(0.0..=100.0).contains(&v) {
            return Err(self.bad(field, format!("{v} is not a percentage")));
        }
        Ok(v)
    }

    /// A float in cents with 2 decimal places, as the node computes payouts.
    fn cents(&self, field: &str, v: f64) -> Result<Money, AdapterError> {
        if !v.is_finite() || !(0.0..ABSURD_CENTS).contains(&v) {
            return Err(self.bad(field, format!("{v} cents is not a plausible payout")));
        }
        let text = float_to_decimal(v, 2)
            .ok_or_else(|| self.bad(field, format!("{v} is not a number")))?;
        // Cents with 2 places are dollars with 4: 164.49 cents = 1.6449 USD.
        let m = Money::parse_decimal(&text, Token::Usd, 2)
            .map_err(|e| self.bad(field, e.to_string()))?;
        Ok(Money::new(Token::Usd, m.amount, 4))
    }

    fn micro(&self, field: &str, v: i64) -> Result<Money, AdapterError> {
        if !(0..=ABSURD_MICRO_USD).contains(&v) {
            return Err(self.bad(field, format!("{v} micro-USD is not a plausible amount")));
        }
        Ok(micro(v))
    }

    fn whole_cents(&self, field: &str, v: i64) -> Result<Money, AdapterError> {
        if !(0..=ABSURD_CENTS as i64).contains(&v) {
            return Err(self.bad(field, format!("{v} cents is not a plausible amount")));
        }
        Ok(Money::new(Token::Usd, i128::from(v), 2))
    }

    fn count(&self, field: &str, v: i64) -> Result<i64, AdapterError> {
        if v < 0 || v as u64 > ABSURD_BYTES {
            return Err(self.bad(field, format!("{v} is not a plausible count")));
        }
        Ok(v)
    }

    fn period(&self, field: &str, p: &str) -> Result<(), AdapterError> {
        let b = p.as_bytes();
        let ok = b.len() == 7
            && b[4] == b'-'
            && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
            && matches!(p[5..].parse::<u8>(), Ok(1..=12));
        if ok {
            Ok(())
        } else {
            Err(self.bad(field, format!("`{p}` is not a YYYY-MM period")))
        }
    }
}

fn normalize_dashboard(endpoint: &str, raw: RawDashboard) -> Result<Dashboard, AdapterError> {
    let c = Check { endpoint };
    let d = &raw.disk_space;
    c.bytes("diskSpace.used", d.used)?;
    c.bytes("diskSpace.available", d.available)?;
    c.bytes("diskSpace.trash", d.trash)?;
    c.bytes("diskSpace.overused", d.overused)?;
    let disk = match d.allocated {
        // v1.143+: `used` already includes trash and `available` is what is left.
        Some(allocated) => DiskSpace {
            shape: "allocated",
            allocated_bytes: c.bytes("diskSpace.allocated", allocated)?,
            used_bytes: d.used,
            trash_bytes: d.trash,
            free_bytes: d.available,
            overused_bytes: d.overused,
            reclaimable_bytes: d
                .reclaimable
                .map(|r| c.bytes("diskSpace.reclaimable", r))
                .transpose()?,
        },
        // Before v1.143 `available` is the allocation itself and `used` excludes trash.
        None => {
            let used = d.used + d.trash;
            DiskSpace {
                shape: "legacy",
                allocated_bytes: d.available,
                used_bytes: used,
                trash_bytes: d.trash,
                free_bytes: d.available.saturating_sub(used),
                overused_bytes: d.overused,
                reclaimable_bytes: None,
            }
        }
    };
    let satellites = raw
        .satellites
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let used = s
                .current_storage_used
                .map(|u| c.bytes(&format!("satellites[{i}].currentStorageUsed"), u))
                .transpose()?;
            Ok(SatelliteStatus {
                id: s.id,
                url: s.url,
                disqualified_at: s.disqualified,
                suspended_at: s.suspended,
                vetted: s.vetted_at.map(|v| v.is_some()),
                vetted_at: s.vetted_at.flatten(),
                current_storage_used_bytes: used,
            })
        })
        .collect::<Result<Vec<_>, AdapterError>>()?;
    let bandwidth = raw
        .bandwidth
        .map(|b| c.bytes("bandwidth.used", b.used))
        .transpose()?;
    Ok(Dashboard {
        node_id: raw.node_id,
        wallet: raw.wallet,
        wallet_features: raw.wallet_features.unwrap_or_default(),
        version: raw.version,
        allowed_version: raw.allowed_version,
        up_to_date: raw.up_to_date,
        quic_status: raw.quic_status,
        configured_port: raw.configured_port,
        last_pinged: raw.last_pinged,
        started_at: raw.started_at,
        last_quic_pinged_at: raw.last_quic_pinged_at,
        disk,
        bandwidth_used_month_bytes: bandwidth,
        satellites,
    })
}

fn normalize_audits(
    c: &Check<'_>,
    prefix: &str,
    a: RawAudits,
) -> Result<AuditScores, AdapterError> {
    Ok(AuditScores {
        audit_score: c.score(&format!("{prefix}.auditScore"), a.audit_score)?,
        suspension_score: c.score(&format!("{prefix}.suspensionScore"), a.suspension_score)?,
        online_score: c.score(&format!("{prefix}.onlineScore"), a.online_score)?,
        satellite_name: a.satellite_name,
    })
}

fn normalize_satellites(endpoint: &str, raw: RawSatellites) -> Result<Satellites, AdapterError> {
    let c = Check { endpoint };
    let audits = raw
        .audits
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, a)| normalize_audits(&c, &format!("audits[{i}]"), a))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Satellites {
        storage_days: raw.storage_daily.map_or(0, |v| v.len()),
        bandwidth_days: raw.bandwidth_daily.map_or(0, |v| v.len()),
        storage_summary_byte_hours: c.float_bytes("storageSummary", raw.storage_summary)?,
        average_usage_bytes: raw
            .average_usage_bytes
            .map(|v| c.float_bytes("averageUsageBytes", v))
            .transpose()?,
        bandwidth_summary_bytes: c.bytes("bandwidthSummary", raw.bandwidth_summary)?,
        egress_summary_bytes: c.bytes("egressSummary", raw.egress_summary)?,
        ingress_summary_bytes: c.bytes("ingressSummary", raw.ingress_summary)?,
        earliest_joined_at: raw.earliest_joined_at,
        audits,
    })
}

fn normalize_satellite(endpoint: &str, raw: RawSatellite) -> Result<SatelliteDetail, AdapterError> {
    let c = Check { endpoint };
    let price_model = raw
        .price_model
        .map(|p| -> Result<PriceModel, AdapterError> {
            Ok(PriceModel {
                egress_per_tb: c.whole_cents("priceModel.EgressBandwidth", p.egress_bandwidth)?,
                repair_per_tb: c.whole_cents("priceModel.RepairBandwidth", p.repair_bandwidth)?,
                audit_per_tb: c.whole_cents("priceModel.AuditBandwidth", p.audit_bandwidth)?,
                disk_per_tb_month: c.whole_cents("priceModel.DiskSpace", p.disk_space)?,
            })
        })
        .transpose()?;
    let (history_score, windows) = match raw.audit_history {
        Some(h) => (
            Some(c.score("auditHistory.score", h.score)?),
            h.windows.map_or(0, |w| w.len()),
        ),
        None => (None, 0),
    };
    Ok(SatelliteDetail {
        id: raw.id,
        storage_days: raw.storage_daily.map_or(0, |v| v.len()),
        storage_summary_byte_hours: c.float_bytes("storageSummary", raw.storage_summary)?,
        average_usage_bytes: raw
            .average_usage_bytes
            .map(|v| c.float_bytes("averageUsageBytes", v))
            .transpose()?,
        bandwidth_summary_bytes: c.bytes("bandwidthSummary", raw.bandwidth_summary)?,
        egress_summary_bytes: c.bytes("egressSummary", raw.egress_summary)?,
        ingress_summary_bytes: c.bytes("ingressSummary", raw.ingress_summary)?,
        current_storage_used_bytes: raw
            .current_storage_used
            .map(|v| c.bytes("currentStorageUsed", v))
            .transpose()?,
        audits: normalize_audits(&c, "audits", raw.audits)?,
        audit_history_score: history_score,
        audit_history_windows: windows,
        price_model,
        node_joined_at: raw.node_joined_at,
        vetted: raw.vetted_at.map(|v| v.is_some()),
        vetted_at: raw.vetted_at.flatten(),
    })
}

fn normalize_month(c: &Check<'_>, p: &str, m: RawPayoutMonth) -> Result<PayoutMonth, AdapterError> {
    Ok(PayoutMonth {
        egress_bytes: c.bytes(&format!("{p}.egressBandwidth"), m.egress_bandwidth)?,
        egress_payout: c.cents(
            &format!("{p}.egressBandwidthPayout"),
            m.egress_bandwidth_payout,
        )?,
        repair_audit_bytes: c.bytes(&format!("{p}.egressRepairAudit"), m.egress_repair_audit)?,
        repair_audit_payout: c.cents(
            &format!("{p}.egressRepairAuditPayout"),
            m.egress_repair_audit_payout,
        )?,
        disk_byte_months: c.float_bytes(&format!("{p}.diskSpace"), m.disk_space)?,
        disk_payout: c.cents(&format!("{p}.diskSpacePayout"), m.disk_space_payout)?,
        held_rate_percent: c.percent(&format!("{p}.heldRate"), m.held_rate)?,
        payout: c.cents(&format!("{p}.payout"), m.payout)?,
        held: c.cents(&format!("{p}.held"), m.held)?,
    })
}

fn normalize_estimated(
    endpoint: &str,
    raw: RawEstimatedPayout,
) -> Result<EstimatedPayout, AdapterError> {
    let c = Check { endpoint };
    Ok(EstimatedPayout {
        current_month: normalize_month(&c, "currentMonth", raw.current_month)?,
        previous_month: normalize_month(&c, "previousMonth", raw.previous_month)?,
        current_month_expectations: c
            .whole_cents("currentMonthExpectations", raw.current_month_expectations)?,
    })
}

fn normalize_paystub(c: &Check<'_>, i: usize, p: RawPaystub) -> Result<Paystub, AdapterError> {
    let f = |name: &str| format!("[{i}].{name}");
    c.period(&f("period"), &p.period)?;
    Ok(Paystub {
        usage_at_rest_byte_months: c.float_bytes(&f("usageAtRest"), p.usage_at_rest)?,
        usage_get_bytes: c.count(&f("usageGet"), p.usage_get)?,
        usage_put_bytes: c.count(&f("usagePut"), p.usage_put)?,
        usage_get_repair_bytes: c.count(&f("usageGetRepair"), p.usage_get_repair)?,
        usage_put_repair_bytes: c.count(&f("usagePutRepair"), p.usage_put_repair)?,
        usage_get_audit_bytes: c.count(&f("usageGetAudit"), p.usage_get_audit)?,
        comp_at_rest: c.micro(&f("compAtRest"), p.comp_at_rest)?,
        comp_get: c.micro(&f("compGet"), p.comp_get)?,
        comp_put: c.micro(&f("compPut"), p.comp_put)?,
        comp_get_repair: c.micro(&f("compGetRepair"), p.comp_get_repair)?,
        comp_put_repair: c.micro(&f("compPutRepair"), p.comp_put_repair)?,
        comp_get_audit: c.micro(&f("compGetAudit"), p.comp_get_audit)?,
        surge_percent: c.count(&f("surgePercent"), p.surge_percent)?,
        held: c.micro(&f("held"), p.held)?,
        owed: c.micro(&f("owed"), p.owed)?,
        disposed: c.micro(&f("disposed"), p.disposed)?,
        paid: c.micro(&f("paid"), p.paid)?,
        distributed: c.micro(&f("distributed"), p.distributed)?,
        satellite_id: p.satellite_id,
        period: p.period,
    })
}

fn normalize_payout_history(
    c: &Check<'_>,
    i: usize,
    p: RawPayoutHistory,
) -> Result<PayoutHistoryEntry, AdapterError> {
    let f = |name: &str| format!("[{i}].{name}");
    Ok(PayoutHistoryEntry {
        age_months: c.count(&f("age"), p.age)?,
        earned: c.micro(&f("earned"), p.earned)?,
        surge: c.micro(&f("surge"), p.surge)?,
        surge_percent: c.count(&f("surgePercent"), p.surge_percent)?,
        held: c.micro(&f("held"), p.held)?,
        held_percent: c.percent(&f("heldPercent"), p.held_percent)?,
        after_held: c.micro(&f("afterHeld"), p.after_held)?,
        disposed: c.micro(&f("disposed"), p.disposed)?,
        paid: c.micro(&f("paid"), p.paid)?,
        distributed: c.micro(&f("distributed"), p.distributed)?,
        receipt: p.receipt.filter(|r| !r.is_empty()),
        is_exit_complete: p.is_exit_complete,
        satellite_id: p.satellite_id,
        satellite_url: p.satellite_url,
    })
}

fn normalize_held(
    c: &Check<'_>,
    i: usize,
    h: RawHeldHistory,
) -> Result<HeldHistoryEntry, AdapterError> {
    let f = |name: &str| format!("[{i}].{name}");
    if h.total_disposed > h.total_held {
        return Err(c.bad(
            &f("totalDisposed"),
            format!("{} exceeds totalHeld {}", h.total_disposed, h.total_held),
        ));
    }
    Ok(HeldHistoryEntry {
        held_first_period: c.micro(&f("holdForFirstPeriod"), h.hold_for_first_period)?,
        held_second_period: c.micro(&f("holdForSecondPeriod"), h.hold_for_second_period)?,
        held_third_period: c.micro(&f("holdForThirdPeriod"), h.hold_for_third_period)?,
        total_held: c.micro(&f("totalHeld"), h.total_held)?,
        total_disposed: c.micro(&f("totalDisposed"), h.total_disposed)?,
        still_held: micro(h.total_held - h.total_disposed),
        joined_at: h.joined_at,
        satellite_id: h.satellite_id,
        satellite_name: h.satellite_name,
    })
}

// ---------------------------------------------------------------------------------------------
// Payout cache: the payout endpoints take ~28 s on real nodes, longer than a poll may take.

#[derive(Default)]
struct PayoutState {
    snapshot: Option<Arc<PayoutSnapshot>>,
    fetched_at: Option<tokio::time::Instant>,
    refreshing: bool,
    last_error: Option<AdapterError>,
    /// When the last read failed; a failing node is not asked again on every poll.
    failed_at: Option<tokio::time::Instant>,
}

struct PayoutCache {
    state: Mutex<PayoutState>,
    /// Bumped after every finished refresh, so waiters know when to look again.
    done: tokio::sync::watch::Sender<u64>,
}

/// Reads the payout endpoints on a detached task, so a caller cancelled by the orchestrator's
/// poll timeout does not cancel the read: the next poll finds the result in the cache.
async fn fetch_payouts(
    client: &JsonClient,
    clock: &dyn Clock,
) -> Result<PayoutSnapshot, AdapterError> {
    let estimated = normalize_estimated(
        &client.url("/api/sno/estimated-payout"),
        get(client, "/api/sno/estimated-payout").await?,
    )?;
    let periods_path = "/api/heldamount/periods";
    let periods_url = client.url(periods_path);
    let mut periods: Vec<String> = get(client, periods_path).await?;
    let c = Check {
        endpoint: &periods_url,
    };
    for (i, p) in periods.iter().enumerate() {
        c.period(&format!("[{i}]"), p)?;
    }
    periods.sort();
    periods.dedup();
    let (paystubs, history) = match (periods.first(), periods.last()) {
        (Some(first), Some(last)) => {
            let path = format!("/api/heldamount/paystubs/{first}/{last}");
            let url = client.url(&path);
            let c = Check { endpoint: &url };
            let raw: Vec<RawPaystub> = get(client, &path).await?;
            let stubs = raw
                .into_iter()
                .enumerate()
                .map(|(i, p)| normalize_paystub(&c, i, p))
                .collect::<Result<Vec<_>, _>>()?;
            let path = format!("/api/heldamount/payout-history/{last}");
            let url = client.url(&path);
            let c = Check { endpoint: &url };
            let raw: Vec<RawPayoutHistory> = get(client, &path).await?;
            let hist = raw
                .into_iter()
                .enumerate()
                .map(|(i, p)| normalize_payout_history(&c, i, p))
                .collect::<Result<Vec<_>, _>>()?;
            (stubs, hist)
        }
        // A node younger than one payout period has no paystubs yet: measured zero, not unknown.
        _ => (Vec::new(), Vec::new()),
    };
    let path = "/api/heldamount/held-history";
    let url = client.url(path);
    let c = Check { endpoint: &url };
    let raw: Vec<RawHeldHistory> = get(client, path).await?;
    let held_history = raw
        .into_iter()
        .enumerate()
        .map(|(i, h)| normalize_held(&c, i, h))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PayoutSnapshot {
        fetched_at: clock.now(),
        estimated,
        periods,
        paystubs,
        latest_payout_history: history,
        held_history,
    })
}

async fn get<T: serde::de::DeserializeOwned>(
    client: &JsonClient,
    path: &str,
) -> Result<T, AdapterError> {
    let body = client.get_bytes(path).await?;
    decode(&client.url(path), &body)
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

impl StorjAdapter {
    pub fn new(node: NodeId, settings: StorjSettings) -> Result<Self, AdapterError> {
        if node.protocol() != ProtocolId::Storj {
            return Err(AdapterError::Unsupported {
                what: format!("{node} is not a storj node"),
            });
        }
        // The console API has no auth; a 401 means something else answers on this port.
        let hint = "the storagenode dashboard API needs no credentials: check that the endpoint is the node's console address";
        let client = JsonClient::new(&settings.endpoint, settings.timeout, Auth::None, hint)?;
        let payout_client = JsonClient::new(
            &settings.endpoint,
            settings.payout_timeout,
            Auth::None,
            hint,
        )?;
        let (done, _) = tokio::sync::watch::channel(0);
        Ok(StorjAdapter {
            node,
            client,
            payout_client,
            settings,
            payouts: Arc::new(PayoutCache {
                state: Mutex::new(PayoutState::default()),
                done,
            }),
            last: Mutex::new(LastSeen::default()),
        })
    }

    fn last(&self) -> std::sync::MutexGuard<'_, LastSeen> {
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `GET /api/sno/`, normalized across versions.
    pub async fn dashboard(&self) -> Result<Dashboard, AdapterError> {
        let path = "/api/sno/";
        let d = normalize_dashboard(&self.client.url(path), get(&self.client, path).await?)?;
        let mut last = self.last();
        last.used_bytes = Some(d.disk.used_bytes);
        last.allocated_bytes = Some(d.disk.allocated_bytes);
        Ok(d)
    }

    /// `GET /api/sno/satellites`.
    pub async fn satellites(&self) -> Result<Satellites, AdapterError> {
        let path = "/api/sno/satellites";
        normalize_satellites(&self.client.url(path), get(&self.client, path).await?)
    }

    /// `GET /api/sno/satellite/{id}` (404 if the satellite is not in the trust pool).
    pub async fn satellite(&self, id: &str) -> Result<SatelliteDetail, AdapterError> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AdapterError::Unsupported {
                what: format!("`{id}` is not a satellite id"),
            });
        }
        let path = format!("/api/sno/satellite/{id}");
        normalize_satellite(&self.client.url(&path), get(&self.client, &path).await?)
    }

    /// `GET /api/sno/estimated-payout`, uncached (slow on real nodes: prefer `payouts`).
    pub async fn estimated_payout(&self) -> Result<EstimatedPayout, AdapterError> {
        let path = "/api/sno/estimated-payout";
        normalize_estimated(
            &self.payout_client.url(path),
            get(&self.payout_client, path).await?,
        )
    }

    /// `GET /api/heldamount/paystubs/{period}`, uncached.
    pub async fn paystubs(&self, period: &str) -> Result<Vec<Paystub>, AdapterError> {
        let path = format!("/api/heldamount/paystubs/{period}");
        let url = self.payout_client.url(&path);
        let c = Check { endpoint: &url };
        c.period("period", period)?;
        let raw: Vec<RawPaystub> = get(&self.payout_client, &path).await?;
        raw.into_iter()
            .enumerate()
            .map(|(i, p)| normalize_paystub(&c, i, p))
            .collect()
    }

    /// `GET /api/heldamount/payout-history/{period}`, uncached.
    pub async fn payout_history(
        &self,
        period: &str,
    ) -> Result<Vec<PayoutHistoryEntry>, AdapterError> {
        let path = format!("/api/heldamount/payout-history/{period}");
        let url = self.payout_client.url(&path);
        let c = Check { endpoint: &url };
        c.period("period", period)?;
        let raw: Vec<RawPayoutHistory> = get(&self.payout_client, &path).await?;
        raw.into_iter()
            .enumerate()
            .map(|(i, p)| normalize_payout_history(&c, i, p))
            .collect()
    }

    /// `GET /api/heldamount/held-history`, uncached.
    pub async fn held_history(&self) -> Result<Vec<HeldHistoryEntry>, AdapterError> {
        let path = "/api/heldamount/held-history";
        let url = self.payout_client.url(path);
        let c = Check { endpoint: &url };
        let raw: Vec<RawHeldHistory> = get(&self.payout_client, path).await?;
        raw.into_iter()
            .enumerate()
            .map(|(i, h)| normalize_held(&c, i, h))
            .collect()
    }

    /// `GET /api/heldamount/periods`, uncached.
    pub async fn periods(&self) -> Result<Vec<String>, AdapterError> {
        let path = "/api/heldamount/periods";
        let url = self.payout_client.url(path);
        let periods: Vec<String> = get(&self.payout_client, path).await?;
        let c = Check { endpoint: &url };
        for (i, p) in periods.iter().enumerate() {
            c.period(&format!("[{i}]"), p)?;
        }
        Ok(periods)
    }

    /// The cached payout figures. A fresh cache is returned at once; a stale one is returned
    /// while a refresh runs in the background; with no cache the call waits for the first read.
    pub async fn payouts(&self) -> Result<Arc<PayoutSnapshot>, AdapterError> {
        let mut done = self.payouts.done.subscribe();
        let (stale, spawn) = {
            let mut st = self.payouts.state.lock().unwrap_or_else(|e| e.into_inner());
            let fresh = st
                .fetched_at
                .is_some_and(|t| t.elapsed() < self.settings.payout_poll_interval);
            if let (true, Some(s)) = (fresh, &st.snapshot) {
                return Ok(s.clone());
            }
            // After a failure, wait before reading the slow endpoints again (at most 5 minutes,
            // or the payout interval if shorter), answering with what we have meanwhile.
            let retry_after = self
                .settings
                .payout_poll_interval
                .min(Duration::from_secs(300));
            if !st.refreshing && st.failed_at.is_some_and(|t| t.elapsed() < retry_after) {
                return match (&st.snapshot, &st.last_error) {
                    (Some(s), _) => Ok(s.clone()),
                    (None, Some(e)) => Err(e.clone()),
                    (None, None) => Err(AdapterError::Unreachable {
                        endpoint: self.payout_client.url("/api/sno/estimated-payout"),
                        reason: "the last payout read failed".to_owned(),
                    }),
                };
            }
            let spawn = !st.refreshing;
            st.refreshing = true;
            (st.snapshot.clone(), spawn)
        };
        if spawn {
            let cache = self.payouts.clone();
            let client = self.payout_client.clone();
            let clock = self.settings.clock.clone();
            tokio::spawn(async move {
                let result = fetch_payouts(&client, clock.as_ref()).await;
                let generation = {
                    let mut st = cache.state.lock().unwrap_or_else(|e| e.into_inner());
                    match result {
                        Ok(s) => {
                            st.snapshot = Some(Arc::new(s));
                            st.fetched_at = Some(tokio::time::Instant::now());
                            st.last_error = None;
                            st.failed_at = None;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "storj payout endpoints could not be read");
                            st.last_error = Some(e);
                            st.failed_at = Some(tokio::time::Instant::now());
                        }
                    }
                    st.refreshing = false;
                    *cache.done.borrow() + 1
                };
                cache.done.send_replace(generation);
            });
        }
        if let Some(s) = stale {
            return Ok(s);
        }
        let _ = done.changed().await;
        let st = self.payouts.state.lock().unwrap_or_else(|e| e.into_inner());
        match (&st.snapshot, &st.last_error) {
            (Some(s), _) => Ok(s.clone()),
            (None, Some(e)) => Err(e.clone()),
            (None, None) => Err(AdapterError::Unreachable {
                endpoint: self.payout_client.url("/api/sno/estimated-payout"),
                reason: "the payout read ended without a result".to_owned(),
            }),
        }
    }

    /// Sentences for everything `/api/sno/` says is wrong, judged at `now`.
    pub fn dashboard_reasons(d: &Dashboard, now: DateTime<Utc>) -> Vec<String> {
        let mut reasons = Vec::new();
        let port = d.configured_port.as_deref().unwrap_or("28967");
        let silent = now.signed_duration_since(d.last_pinged).num_minutes();
        if d.last_pinged.year() < 2000 {
            reasons.push(format!(
                "no satellite has contacted the node since it started: check that port {port}/tcp is forwarded to it"
            ));
        } else if silent > OFFLINE_AFTER_MINUTES {
            reasons.push(format!(
                "no satellite has contacted the node for {silent} minutes (offline after {OFFLINE_AFTER_MINUTES}): check that port {port}/tcp is forwarded and the node runs"
            ));
        }
        if d.quic_status.as_deref() == Some("Misconfigured") {
            reasons.push(format!(
                "QUIC is misconfigured: UDP port {port} is not reachable from outside"
            ));
        }
        if !d.up_to_date {
            reasons.push(format!(
                "version {} is below the minimum allowed {}: update the node, satellites may refuse it",
                d.version,
                d.allowed_version.as_deref().unwrap_or("(unknown)")
            ));
        }
        for s in &d.satellites {
            if let Some(t) = s.disqualified_at {
                reasons.push(format!(
                    "disqualified on {} since {} (permanent)",
                    s.url,
                    t.to_rfc3339()
                ));
            }
            if let Some(t) = s.suspended_at {
                reasons.push(format!(
                    "suspended on {} since {}: fix the cause within the 7-day grace period or be disqualified",
                    s.url,
                    t.to_rfc3339()
                ));
            }
        }
        if d.disk.overused_bytes > 0 {
            reasons.push(format!(
                "the node uses {} bytes more than allocated: it accepts no uploads until data is deleted or the allocation grows",
                d.disk.overused_bytes
            ));
        } else if d.disk.free_bytes == 0 {
            reasons.push("the disk allocation is full: the node accepts no new uploads".to_owned());
        }
        reasons
    }

    /// Sentences for scores below the warning levels.
    pub fn score_reasons(s: &Satellites) -> Vec<String> {
        let mut reasons = Vec::new();
        for a in &s.audits {
            let name = if a.satellite_name.is_empty() {
                "a satellite"
            } else {
                &a.satellite_name
            };
            if a.audit_score < WARN_AUDIT {
                reasons.push(format!(
                    "audit score on {name} is {:.4} (disqualification below 0.96): check the disk for lost or corrupt pieces",
                    a.audit_score
                ));
            }
            if a.suspension_score < WARN_SUSPENSION {
                reasons.push(format!(
                    "suspension score on {name} is {:.4} (suspension below 0.6): check the node log for failed audits",
                    a.suspension_score
                ));
            }
            if a.online_score < WARN_ONLINE {
                reasons.push(format!(
                    "online score on {name} is {:.4} (suspension below 0.6): keep the node online",
                    a.online_score
                ));
            }
        }
        reasons
    }

    fn config_yaml(&self) -> Result<&Path, AdapterError> {
        self.settings.config_yaml.as_deref().ok_or_else(|| AdapterError::Unsupported {
            what: format!("{}: no config.yaml is configured (protocols.storj.config_yaml), so the disk allocation cannot be changed", self.node),
        })
    }
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
        write_atomically(&path, &edited).await?;
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
            "leave about 10 % of the disk free; Orcha does not measure the disk size, and the node silently lowers an allocation that does not fit".to_owned(),
            "the new value applies only after the operator restarts the node (docker stop -t 300, or restart the service)".to_owned(),
            "in docker, the STORAGE environment value overrides config.yaml and must be changed by re-creating the container".to_owned(),
        ];
        if used.is_none() {
            preconditions.push("the space in use is not known yet (no successful poll)".to_owned());
        }
        vec![Capability {
            resource: ResourceKind::Disk,
            knob: Knob::ProtocolSetting(KEY.to_owned()),
            min: MIN_ALLOCATION_BYTES.max(floor),
            max: u64::MAX - u64::MAX % ALLOCATION_STEP_BYTES,
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

// ---------------------------------------------------------------------------------------------
// config.yaml: edited as text so comments, order and every other key survive.

fn file_error(path: &Path, what: &str, e: &std::io::Error) -> AdapterError {
    AdapterError::Unsupported {
        what: format!("cannot {what} {}: {e}", path.display()),
    }
}

async fn write_atomically(path: &Path, text: &str) -> Result<(), AdapterError> {
    let tmp = path.with_extension("yaml.orcha-tmp");
    tokio::fs::write(&tmp, text)
        .await
        .map_err(|e| file_error(&tmp, "write", &e))?;
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(|e| file_error(path, "replace", &e))
}

/// The value part of a `storage.allocated-disk-space:` line, without quotes or a trailing comment.
fn value_of(line: &str) -> Option<&str> {
    let rest = line
        .trim_start()
        .strip_prefix(KEY)?
        .trim_start()
        .strip_prefix(':')?;
    let rest = match rest.find(" #") {
        Some(i) => &rest[..i],
        None => rest,
    };
    Some(rest.trim().trim_matches(|c| c == '"' || c == '\''))
}

/// The configured allocation, or `None` when the key is absent or only commented out.
pub fn read_allocated_disk_space(text: &str) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(value_of)
        .map(str::to_owned)
}

/// Replaces the value on the (uncommented) key's line, keeping its indentation and any trailing
/// comment, or appends the key when the file does not set it. Line endings are kept.
pub fn set_allocated_disk_space(text: &str, value: &str) -> String {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut done = false;
    let mut out: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        let ending = &line[body.len()..];
        if !done && !body.trim_start().starts_with('#') && value_of(body).is_some() {
            let indent = &body[..body.len() - body.trim_start().len()];
            let comment = body.find(" #").map(|i| &body[i..]).unwrap_or("");
            out.push(format!("{indent}{KEY}: {value}{comment}{ending}"));
            done = true;
        } else {
            out.push(line.to_owned());
        }
    }
    let mut s = out.concat();
    if !done {
        if !s.is_empty() && !s.ends_with('\n') {
            s.push_str(newline);
        }
        s.push_str(&format!("{KEY}: {value}{newline}"));
    }
    s
}

/// Whole terabytes or whole gigabytes, the way Storj's own config writes sizes.
pub fn format_size(bytes: u64) -> String {
    if bytes.is_multiple_of(1_000_000_000_000) {
        format!("{}.00 TB", bytes / 1_000_000_000_000)
    } else if bytes.is_multiple_of(1_000_000_000) {
        format!("{}.00 GB", bytes / 1_000_000_000)
    } else {
        format!("{bytes} B")
    }
}

/// Parses a Storj `memory.Size` ("1.00 TB", "2.5TB", "931GiB", "500000000000"), exactly.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = (t[..split].trim(), t[split..].trim().to_ascii_uppercase());
    let mult: u128 = match unit.as_str() {
        "" | "B" => 1,
        "KB" | "K" => 1_000,
        "MB" | "M" => 1_000_000,
        "GB" | "G" => 1_000_000_000,
        "TB" | "T" => 1_000_000_000_000,
        "PB" | "P" => 1_000_000_000_000_000,
        "KIB" => 1 << 10,
        "MIB" => 1 << 20,
        "GIB" => 1 << 30,
        "TIB" => 1 << 40,
        "PIB" => 1 << 50,
        _ => return None,
    };
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let int: u128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let frac: u128 = if frac_part.is_empty() {
        0
    } else {
        frac_part.parse().ok()?
    };
    let scale = 10u128.checked_pow(u32::try_from(frac_part.len()).ok()?)?;
    let bytes = int
        .checked_mul(mult)?
        .checked_add(frac.checked_mul(mult)? / scale)?;
    u64::try_from(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_exactly() {
        assert_eq!(parse_size("1.00 TB"), Some(1_000_000_000_000));
        assert_eq!(parse_size("2.5TB"), Some(2_500_000_000_000));
        assert_eq!(parse_size("500GB"), Some(500_000_000_000));
        assert_eq!(parse_size("1 TiB"), Some(1 << 40));
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("1 XB"), None);
        assert_eq!(format_size(2_500_000_000_000), "2500.00 GB");
        assert_eq!(format_size(3_000_000_000_000), "3.00 TB");
    }

    #[test]
    fn only_the_live_key_is_edited() {
        let text = "# storage\n# storage.allocated-disk-space: 9 TB\n  storage.allocated-disk-space: 1.00 TB # mine\nother: 1\n";
        let out = set_allocated_disk_space(text, "2.00 TB");
        assert_eq!(
            out,
            "# storage\n# storage.allocated-disk-space: 9 TB\n  storage.allocated-disk-space: 2.00 TB # mine\nother: 1\n"
        );
        assert_eq!(read_allocated_disk_space(&out).as_deref(), Some("2.00 TB"));
        let appended = set_allocated_disk_space("a: 1\r\nb: 2", "600.00 GB");
        assert_eq!(
            appended,
            "a: 1\r\nb: 2\r\nstorage.allocated-disk-space: 600.00 GB\r\n"
        );
    }
}
