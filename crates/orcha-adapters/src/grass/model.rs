//! Grass readings after normalization: the user, devices, the latest epoch and one snapshot of them.

use chrono::{DateTime, Utc};
use orcha_core::Money;
use serde::Serialize;

use super::normalize::ser_opt_money;

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
