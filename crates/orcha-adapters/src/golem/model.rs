//! Golem readings after normalization: earnings, activities, presets and the active hardware profile.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use orcha_core::{AdapterError, EarningsKind, Money};
use serde::Serialize;

use super::normalize::glm;
use super::wire::HardwareProfile;
use crate::probe::ser_money;

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
