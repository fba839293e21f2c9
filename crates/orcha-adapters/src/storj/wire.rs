//! Storj wire types: the dashboard API's JSON exactly as the node sends it, decoded leniently.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

// Raw payloads (only what we use; unknown fields are ignored on purpose).

/// Distinguishes a field that is absent (older node) from one that is `null`.
pub(super) fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawDashboard {
    #[serde(rename = "nodeID")]
    pub(super) node_id: String,
    #[serde(default)]
    pub(super) wallet: Option<String>,
    #[serde(default)]
    pub(super) wallet_features: Option<Vec<String>>,
    #[serde(default)]
    pub(super) satellites: Option<Vec<RawSatelliteInfo>>,
    pub(super) disk_space: RawDiskSpace,
    #[serde(default)]
    pub(super) bandwidth: Option<RawBandwidth>,
    pub(super) last_pinged: DateTime<Utc>,
    pub(super) version: String,
    #[serde(default)]
    pub(super) allowed_version: Option<String>,
    pub(super) up_to_date: bool,
    #[serde(default)]
    pub(super) started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(super) configured_port: Option<String>,
    #[serde(default)]
    pub(super) quic_status: Option<String>,
    #[serde(default)]
    pub(super) last_quic_pinged_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawSatelliteInfo {
    pub(super) id: String,
    pub(super) url: String,
    #[serde(default)]
    pub(super) disqualified: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(super) suspended: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "double_option")]
    pub(super) vetted_at: Option<Option<DateTime<Utc>>>,
    #[serde(default)]
    pub(super) current_storage_used: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct RawDiskSpace {
    pub(super) used: u64,
    pub(super) available: u64,
    #[serde(default)]
    pub(super) trash: u64,
    #[serde(default)]
    pub(super) overused: u64,
    #[serde(default)]
    pub(super) allocated: Option<u64>,
    #[serde(default)]
    pub(super) reclaimable: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct RawBandwidth {
    pub(super) used: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawAudits {
    pub(super) audit_score: f64,
    pub(super) suspension_score: f64,
    pub(super) online_score: f64,
    #[serde(default)]
    pub(super) satellite_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawSatellites {
    #[serde(default)]
    pub(super) storage_daily: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub(super) bandwidth_daily: Option<Vec<serde_json::Value>>,
    pub(super) storage_summary: f64,
    #[serde(default)]
    pub(super) average_usage_bytes: Option<f64>,
    pub(super) bandwidth_summary: u64,
    pub(super) egress_summary: u64,
    pub(super) ingress_summary: u64,
    #[serde(default)]
    pub(super) earliest_joined_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(super) audits: Option<Vec<RawAudits>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RawPriceModel {
    pub(super) egress_bandwidth: i64,
    pub(super) repair_bandwidth: i64,
    pub(super) audit_bandwidth: i64,
    pub(super) disk_space: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawAuditHistory {
    pub(super) score: f64,
    #[serde(default)]
    pub(super) windows: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawSatellite {
    pub(super) id: String,
    #[serde(default)]
    pub(super) storage_daily: Option<Vec<serde_json::Value>>,
    pub(super) storage_summary: f64,
    #[serde(default)]
    pub(super) average_usage_bytes: Option<f64>,
    pub(super) bandwidth_summary: u64,
    pub(super) egress_summary: u64,
    pub(super) ingress_summary: u64,
    #[serde(default)]
    pub(super) current_storage_used: Option<u64>,
    pub(super) audits: RawAudits,
    #[serde(default)]
    pub(super) audit_history: Option<RawAuditHistory>,
    #[serde(default)]
    pub(super) price_model: Option<RawPriceModel>,
    #[serde(default)]
    pub(super) node_joined_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "double_option")]
    pub(super) vetted_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawPayoutMonth {
    pub(super) egress_bandwidth: u64,
    pub(super) egress_bandwidth_payout: f64,
    pub(super) egress_repair_audit: u64,
    pub(super) egress_repair_audit_payout: f64,
    pub(super) disk_space: f64,
    pub(super) disk_space_payout: f64,
    pub(super) held_rate: f64,
    pub(super) payout: f64,
    pub(super) held: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawEstimatedPayout {
    pub(super) current_month: RawPayoutMonth,
    pub(super) previous_month: RawPayoutMonth,
    pub(super) current_month_expectations: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawPaystub {
    pub(super) satellite_id: String,
    pub(super) period: String,
    pub(super) usage_at_rest: f64,
    pub(super) usage_get: i64,
    pub(super) usage_put: i64,
    pub(super) usage_get_repair: i64,
    pub(super) usage_put_repair: i64,
    pub(super) usage_get_audit: i64,
    pub(super) comp_at_rest: i64,
    pub(super) comp_get: i64,
    pub(super) comp_put: i64,
    pub(super) comp_get_repair: i64,
    pub(super) comp_put_repair: i64,
    pub(super) comp_get_audit: i64,
    pub(super) surge_percent: i64,
    pub(super) held: i64,
    pub(super) owed: i64,
    pub(super) disposed: i64,
    pub(super) paid: i64,
    pub(super) distributed: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawPayoutHistory {
    #[serde(rename = "satelliteID")]
    pub(super) satellite_id: String,
    #[serde(rename = "satelliteURL")]
    pub(super) satellite_url: String,
    pub(super) age: i64,
    pub(super) earned: i64,
    pub(super) surge: i64,
    pub(super) surge_percent: i64,
    pub(super) held: i64,
    pub(super) held_percent: f64,
    pub(super) after_held: i64,
    pub(super) disposed: i64,
    pub(super) paid: i64,
    #[serde(default)]
    pub(super) receipt: Option<String>,
    #[serde(default)]
    pub(super) is_exit_complete: bool,
    pub(super) distributed: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawHeldHistory {
    #[serde(rename = "satelliteID")]
    pub(super) satellite_id: String,
    pub(super) satellite_name: String,
    pub(super) hold_for_first_period: i64,
    pub(super) hold_for_second_period: i64,
    pub(super) hold_for_third_period: i64,
    pub(super) total_held: i64,
    pub(super) total_disposed: i64,
    #[serde(default)]
    pub(super) joined_at: Option<DateTime<Utc>>,
}
