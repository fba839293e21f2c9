//! Apply: change the nodes' knobs for a plan that passed evaluation — never otherwise.

use orcha_core::event::StepOutcome;

use super::evaluate::Evaluation;
use crate::state::AppState;

// Steps share one async shape so `run_cycle` drives them alike, even one that awaits nothing yet.
#[allow(clippy::unused_async)]
pub async fn run(state: &AppState, _cycle: i64, evaluation: &Evaluation) -> StepOutcome {
    if state.paused() {
        return StepOutcome::Skipped("automation is paused by the operator".to_owned());
    }
    if evaluation.verdict != "apply" {
        return StepOutcome::Skipped(format!(
            "verdict is {}: nothing to apply",
            evaluation.verdict
        ));
    }
    StepOutcome::Skipped("applying plans is not connected in this build".to_owned())
}
