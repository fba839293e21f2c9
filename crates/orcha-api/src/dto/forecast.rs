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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
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
    /// What the engine forecast: `rate` (hourly earnings) or `cumulative` (a running total whose
    /// increments were forecast). `None` for runs stored before the engine said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub series_kind: Option<String>,
    /// Rolling-origin backtest MASE of the chosen model (error / in-sample seasonal-naive-24
    /// error; lower is better).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub backtest_mase: Option<f64>,
    /// The better seasonal naive's (24 h or 168 h) MASE on the same backtest: the baseline the
    /// chosen model has to beat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub seasonal_naive_mase: Option<f64>,
    /// Share of backtest outcomes that fell inside the p10–p90 band (0–1; 0.8 is the promise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub interval_coverage: Option<f64>,
    /// How many daily backtest origins the scores rest on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub backtest_origins: Option<u32>,
    /// The engine's own sentence about its answer: why a baseline answered (too little
    /// history), or which models the combination holds and on how many origins it was chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub engine_note: Option<String>,
}

impl ForecastDto {
    /// Copies the engine's verdict on the run (kind, scores, coverage, its note) into the answer.
    pub fn with_run(mut self, run: Option<&orcha_store::ForecastRun>) -> Self {
        if let Some(r) = run {
            self.series_kind = r.series_kind.clone();
            self.backtest_mase = r.backtest_mase;
            self.seasonal_naive_mase = r.seasonal_naive_mase;
            self.interval_coverage = r.interval_coverage;
            self.backtest_origins = r.backtest_origins;
            self.engine_note = r.engine_note.clone();
        }
        self
    }
}
