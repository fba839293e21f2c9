//! Grass wire types: the dashboard API's tRPC payloads as they are, lenient because the API is undocumented.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

// Raw payloads (lenient: every field the community has seen is optional except the ones the
// adapter cannot do without).

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawUser {
    #[serde(default)]
    pub(super) user_id: Option<String>,
    #[serde(default)]
    pub(super) username: Option<String>,
    pub(super) total_points: f64,
    #[serde(default)]
    pub(super) total_uptime: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawDevice {
    #[serde(default)]
    pub(super) device_id: Option<String>,
    #[serde(default, rename = "type")]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) ip_address: Option<String>,
    pub(super) ip_score: f64,
    #[serde(default)]
    pub(super) multiplier: Option<f64>,
    #[serde(default)]
    pub(super) agg_uptime: Option<f64>,
    #[serde(default)]
    pub(super) last_connected_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawEpoch {
    #[serde(default)]
    pub(super) epoch_name: Option<String>,
    #[serde(default)]
    pub(super) stage: Option<Value>,
    #[serde(default)]
    pub(super) start_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(super) end_date: Option<DateTime<Utc>>,
    pub(super) total_points: f64,
    #[serde(default)]
    pub(super) reward_points: Option<f64>,
    #[serde(default)]
    pub(super) referral_points: Option<f64>,
    /// Names of the 2025 split (Uptime vs Network points) are guesses: no client that reads
    /// them could be identified.
    #[serde(default)]
    pub(super) uptime_points: Option<f64>,
    #[serde(default)]
    pub(super) network_points: Option<f64>,
    #[serde(default)]
    pub(super) total_uptime: Option<f64>,
    #[serde(default)]
    pub(super) modified: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
pub(super) struct RawEpochPage {
    pub(super) data: Vec<RawEpoch>,
}
