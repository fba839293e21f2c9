//! Predict: ask the ML engine for the next 24 hours of earnings per node.
//!
//! Without the engine nothing is predicted and nothing downstream is invented: the step says
//! "ML engine unavailable" and the cycle goes on to record that no plan exists.

use std::collections::BTreeMap;

use orcha_core::event::{DomainEvent, StepOutcome};
use orcha_core::NodeId;

use crate::state::AppState;

/// One node's forecast of its earnings rate, in the node's own token per hour.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeForecast {
    /// The model the engine chose (`lstm`, `seasonal_naive_24`, `ets`, …).
    pub model: String,
    /// Hourly p10, p50 and p90 for the horizon.
    pub p10: Vec<f64>,
    pub p50: Vec<f64>,
    pub p90: Vec<f64>,
    /// Rolling-origin backtest MASE of the chosen model and of the seasonal-naive baseline.
    pub mase: Option<f64>,
    pub baseline_mase: Option<f64>,
}

/// Forecasts of every node the engine could forecast.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Forecasts {
    pub per_node: BTreeMap<NodeId, NodeForecast>,
}

/// Checks the engine and, when it answers, forecasts every node with enough history.
pub async fn run(state: &AppState, _cycle: i64) -> (StepOutcome, Option<Forecasts>) {
    let ml = state.ml.health().await;
    let available = ml.is_ok();
    let detail = match &ml {
        Ok(h) => format!(
            "ML engine {} ({})",
            h.status,
            h.version
                .clone()
                .unwrap_or_else(|| "unknown version".into())
        ),
        Err(e) => format!("ML engine unavailable: {e}"),
    };
    if state.set_ml_status(available, detail.clone()) {
        state.publish_domain(&DomainEvent::MlStatus {
            available,
            detail: detail.clone(),
            at: state.clock.now(),
        });
    }
    if !available {
        return (StepOutcome::Skipped(detail), None);
    }
    // The forecast request lands with the ML engine integration; until then the step says so.
    (
        StepOutcome::Skipped(
            "forecasting is not connected to the ML engine in this build".to_owned(),
        ),
        None,
    )
}
