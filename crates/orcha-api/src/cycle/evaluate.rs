//! Evaluate: decide whether a proposed plan is worth its switching cost, and store the verdict.

use orcha_core::event::StepOutcome;
use orcha_store::{to_ms, DecisionRow};

use super::optimize::Plan;
use crate::dto::{ApiError, DecisionDto, Event};
use crate::state::AppState;

/// The verdict of one cycle, as stored in `decisions`.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub decision_id: i64,
    /// `apply`, `recommend` or `skip`.
    pub verdict: String,
    pub reason: String,
    pub plan: Option<Plan>,
}

pub async fn run(
    state: &AppState,
    cycle: i64,
    plan: Option<Plan>,
    why_no_plan: &str,
) -> Result<(StepOutcome, Evaluation), ApiError> {
    let (verdict, reason) = match &plan {
        None => (
            "skip",
            format!("no allocation plan: {why_no_plan}; nothing applied"),
        ),
        Some(_) => (
            "skip",
            "plan evaluation is not connected in this build; nothing applied".to_owned(),
        ),
    };
    let row = DecisionRow {
        cycle: Some(cycle),
        created_at: to_ms(state.clock.now()),
        verdict: verdict.to_owned(),
        reason: reason.clone(),
        ..Default::default()
    };
    let id = state
        .db({
            let row = row.clone();
            move |s| s.insert_decision(&row)
        })
        .await?;
    state.metrics.decisions.with_label_values(&[verdict]).inc();
    state.publish(Event::Decision(DecisionDto {
        id,
        cycle: Some(cycle),
        created_at: state.clock.now(),
        verdict: verdict.to_owned(),
        reason: reason.clone(),
        proposed_plan: None,
        expected_gain: None,
        switching_cost: None,
        applied_result: None,
        rollback: None,
    }));
    Ok((
        StepOutcome::Done(format!("{verdict}: {reason}")),
        Evaluation {
            decision_id: id,
            verdict: verdict.to_owned(),
            reason,
            plan,
        },
    ))
}
