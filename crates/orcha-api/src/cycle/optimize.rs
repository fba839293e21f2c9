//! Optimize: turn forecasts into a proposed allocation of the machine budget.

use orcha_core::event::StepOutcome;

use super::predict::Forecasts;
use crate::state::AppState;

/// A proposed allocation; filled in by the optimizer integration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Per node, the proposed resource amounts.
    pub allocations: std::collections::BTreeMap<orcha_core::NodeId, orcha_core::ResourceVector>,
}

/// Without forecasts there is nothing to optimize over.
// Steps share one async shape so `run_cycle` drives them alike, even one that awaits nothing yet.
#[allow(clippy::unused_async)]
pub async fn run(
    _state: &AppState,
    _cycle: i64,
    forecasts: Option<&Forecasts>,
    why_no_forecast: &str,
) -> (StepOutcome, Option<Plan>) {
    match forecasts {
        None => (
            StepOutcome::Skipped(format!("no forecast to optimize over ({why_no_forecast})")),
            None,
        ),
        Some(_) => (
            StepOutcome::Skipped("the optimizer is not connected in this build".to_owned()),
            None,
        ),
    }
}
