//! Storj readings after normalization: what the rest of Orcha and the probe see, units in the field names.

use chrono::{DateTime, Utc};
use orcha_core::{AdapterError, EarnedPeriod, EarningsKind, Money, PayoutEvent, PayoutKind, Token};
use serde::Serialize;

use crate::probe::ser_money;

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
    /// The contract's figures: what the running month has accrued so far (`currentMonth.payout`,
    /// storage + egress + repair/audit, cents to 2 places) and the part of it held back
    /// (`currentMonth.held`); the node's end-of-month projection (`currentMonthExpectations`,
    /// whole cents) as an estimate only; what all closed periods earned (held + owed), what
    /// reached the wallet (distributed) and what is still held (micro-USD). "Unpaid" is not
    /// reported: the API has no balance, and deriving one from owed − distributed would be a
    /// guess about payout thresholds.
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
                EarningsKind::CurrentPeriodAccrued,
                self.estimated.current_month.payout,
            ),
            (
                EarningsKind::CurrentPeriodHeld,
                self.estimated.current_month.held,
            ),
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

impl PayoutSnapshot {
    /// Each paystub's money movements: paid to the wallet (`distributed`), held back (`held`)
    /// and held money returned (`disposed`), one event per satellite, period and kind, zero
    /// amounts left out. A paystub has no date; the satellites pay early in the next month, so
    /// the event is dated the first instant of the month after the period (the detail says so).
    /// The receipt (transaction reference) is known only for the latest period's payout history.
    pub fn payout_events(&self) -> Vec<PayoutEvent> {
        let mut out = Vec::new();
        for p in &self.paystubs {
            let Some(at) = month_after(&p.period) else {
                continue;
            };
            let receipt = self
                .latest_payout_history
                .iter()
                .find(|h| {
                    h.satellite_id == p.satellite_id && Some(&p.period) == self.periods.last()
                })
                .and_then(|h| h.receipt.clone());
            for (kind, amount, what) in [
                (PayoutKind::Payout, p.distributed, "distributed"),
                (PayoutKind::Held, p.held, "held"),
                (PayoutKind::Released, p.disposed, "disposed"),
            ] {
                if amount.amount == 0 {
                    continue;
                }
                out.push(PayoutEvent {
                    key: format!("storj:{}:{}:{what}", p.satellite_id, p.period),
                    kind,
                    amount,
                    at,
                    reference: match kind {
                        PayoutKind::Payout => receipt
                            .clone()
                            .or_else(|| Some(format!("paystub {} {}", p.period, p.satellite_id))),
                        _ => Some(format!("paystub {} {}", p.period, p.satellite_id)),
                    },
                    detail: format!(
                        "paystub `{what}` of period {} from satellite {}; dated the start of the next month (paystubs carry no date)",
                        p.period, p.satellite_id
                    ),
                });
            }
        }
        out
    }
}

impl PayoutSnapshot {
    /// What each closed period earned per satellite: the paystub's held + owed (after surge),
    /// the same sum the `lifetime` figure adds up.
    pub fn earned_periods(&self) -> Vec<EarnedPeriod> {
        self.paystubs
            .iter()
            .filter_map(|p| {
                let end = month_after(&p.period)?;
                let start =
                    chrono::NaiveDate::parse_from_str(&format!("{}-01", p.period), "%Y-%m-%d")
                        .ok()?
                        .and_hms_opt(0, 0, 0)?
                        .and_utc();
                Some(EarnedPeriod {
                    key: format!("storj:{}:{}", p.satellite_id, p.period),
                    start,
                    end,
                    amount: p.held.checked_add(&p.owed).ok()?,
                    source: format!("paystub {} {}", p.period, p.satellite_id),
                })
            })
            .collect()
    }
}

/// `2024-07` → 2024-08-01T00:00:00Z.
fn month_after(period: &str) -> Option<DateTime<Utc>> {
    let first = chrono::NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").ok()?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some(next.and_hms_opt(0, 0, 0)?.and_utc())
}

pub(super) fn micro(amount: i64) -> Money {
    Money::new(Token::Usd, i128::from(amount), 6)
}
