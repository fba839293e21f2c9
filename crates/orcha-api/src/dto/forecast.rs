//! The earnings forecast of one node: the hourly p10/p50/p90 band the dashboard draws.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::MoneyDto;

/// `GET /api/v1/forecast?node=…&hours=…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ForecastQuery {
    pub node: String,
    /// How many coming hours to return (1–168); the engine forecasts 24.
    #[serde(default = "default_hours")]
    #[ts(optional)]
    pub hours: Option<u32>,
}

fn default_hours() -> Option<u32> {
    Some(24)
}

/// One forecasted hour: the node's earnings in its own token during that hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ForecastPointDto {
    /// The start of the hour.
    pub hour: DateTime<Utc>,
    pub p10: MoneyDto,
    pub p50: MoneyDto,
    pub p90: MoneyDto,
}

/// The newest stored forecast of a node, from the current hour on. Always an estimate; without
/// one, `points` is empty and `note` says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ForecastDto {
    pub node: String,
    /// When the forecast was made; `None` when there is none.
    pub made_at: Option<DateTime<Utc>>,
    /// The model the ML engine chose (`lstm`, `ets`, `seasonal_naive_24`, …).
    pub model: Option<String>,
    /// The saved LSTM's version (`lstm@3`) or the engine's version.
    pub model_version: Option<String>,
    /// Always true: forecasts are estimates, never promises.
    pub estimate: bool,
    pub points: Vec<ForecastPointDto>,
    /// Why there are fewer points than asked for, or empty.
    pub note: String,
}
