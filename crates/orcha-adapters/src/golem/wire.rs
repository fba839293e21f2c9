//! Golem wire types: yagna's REST payloads and the provider's `hardware.json`/`presets.json` as they are.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub(super) struct RawRelease {
    pub(super) version: String,
}

#[derive(Deserialize)]
pub(super) struct RawVersion {
    pub(super) current: RawRelease,
    #[serde(default)]
    pub(super) pending: Option<RawRelease>,
}

#[derive(Deserialize)]
pub(super) struct RawMe {
    pub(super) identity: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawInvoice {
    pub(super) invoice_id: String,
    pub(super) issuer_id: String,
    pub(super) payment_platform: String,
    pub(super) amount: String,
    #[serde(default)]
    pub(super) payment_due_date: Option<DateTime<Utc>>,
    pub(super) status: String,
    #[serde(default)]
    pub(super) timestamp: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawPayment {
    #[serde(default)]
    pub(super) payment_id: Option<String>,
    pub(super) payee_id: String,
    pub(super) payment_platform: String,
    pub(super) amount: String,
    pub(super) timestamp: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawDriverStatus {
    pub(super) kind: String,
    #[serde(default)]
    pub(super) driver: Option<String>,
    #[serde(default)]
    pub(super) network: Option<String>,
    #[serde(default)]
    pub(super) needed_gas_est: Option<String>,
    #[serde(default)]
    pub(super) needed_token_est: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawAgreement {
    pub(super) id: String,
    pub(super) timestamp: DateTime<Utc>,
    #[serde(default)]
    pub(super) role: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawActivity {
    pub(super) id: String,
    pub(super) state: String,
    #[serde(default)]
    pub(super) usage: Option<BTreeMap<String, f64>>,
    #[serde(default)]
    pub(super) exe_unit: Option<String>,
    #[serde(default)]
    pub(super) agreement_id: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawMonitorEvent {
    pub(super) ts: DateTime<Utc>,
    pub(super) activities: Vec<RawActivity>,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
pub struct HardwareProfile {
    pub cpu_threads: u64,
    pub mem_gib: f64,
    pub storage_gib: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawPreset {
    pub(super) name: String,
    pub(super) exeunit_name: String,
    pub(super) pricing_model: String,
    pub(super) initial_price: f64,
    pub(super) usage_coeffs: BTreeMap<String, f64>,
}
