//! Evaluate: decide whether a proposed plan is worth its switching cost, and store the verdict.
//!
//! The rules live in `crate::policy` (pure); this step feeds them the plan and the node's
//! situation, and stores every verdict with its reason, the proposed plan per node, the expected
//! gain and the switching cost (decimal strings with their currency).

use orcha_core::event::StepOutcome;
use orcha_store::{to_ms, DecisionRow};
use serde_json::{json, Value};

use super::plan::Plan;
use crate::dto::{DecisionDto, Event};
use crate::error::DbError;
use crate::policy::{amounts_json, evaluate, usd, PlanSource, PolicyInput, Verdict};
use crate::state::AppState;

/// The verdict of one cycle, as stored in `decisions`.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub decision_id: i64,
    /// `apply`, `recommend` or `skip`.
    pub verdict: String,
    pub reason: String,
    pub plan: Option<Plan>,
    /// The policy's full answer, per node, when there was a plan.
    pub verdict_detail: Option<Verdict>,
}

/// The plan as stored in `decisions.proposed_plan` and shown to the operator.
pub fn plan_json(plan: &Plan, v: &Verdict) -> Value {
    json!({
        "source": plan.source.as_str(),
        "solver": plan.solver,
        "note": plan.note,
        "budget": amounts_json(&plan.budget),
        "nodes": v.nodes.iter().zip(&plan.nodes).map(|(n, f)| json!({
            "node": n.node,
            "auto_apply": f.auto_apply,
            "current": amounts_json(&n.current),
            "proposed": amounts_json(&n.proposed),
            "changes": amounts_json(&n.changes),
            "restart": n.restart,
            "reasons": n.reasons,
            // A node without curves has no fiat value: null ("no price"), never zero.
            "earnings_now_per_hour": f.curves.is_some().then(|| usd(n.earnings_now)),
            "earnings_after_per_hour": f.curves.is_some().then(|| usd(n.earnings_after)),
            "switching_cost": usd(n.switching_cost),
        })).collect::<Vec<_>>(),
    })
}

/// Runs the policy over a plan, as `source` says it came about.
pub fn judge(state: &AppState, plan: &Plan, source: PlanSource) -> Verdict {
    evaluate(&PolicyInput {
        now: state.clock.now(),
        settings: super::plan::settings(state),
        source,
        paused: state.paused(),
        budget: plan.budget.clone(),
        nodes: plan.nodes.clone(),
    })
}

/// Stores a decision and emits it; returns its id.
pub async fn record(
    state: &AppState,
    cycle: Option<i64>,
    verdict: &str,
    reason: &str,
    detail: Option<(&Plan, &Verdict)>,
) -> Result<i64, DbError> {
    let row = DecisionRow {
        cycle,
        created_at: to_ms(state.clock.now()),
        verdict: verdict.to_owned(),
        reason: reason.to_owned(),
        proposed_plan: detail.map(|(p, v)| plan_json(p, v).to_string()),
        expected_gain: detail.map(|(_, v)| usd(v.expected_gain)),
        switching_cost: detail.map(|(_, v)| usd(v.switching_cost)),
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
        cycle,
        created_at: state.clock.now(),
        verdict: verdict.to_owned(),
        reason: reason.to_owned(),
        proposed_plan: row.proposed_plan,
        expected_gain: row.expected_gain,
        switching_cost: row.switching_cost,
        applied_result: None,
        rollback: None,
    }));
    Ok(id)
}

pub async fn run(
    state: &AppState,
    cycle: i64,
    plan: Option<Plan>,
    why_no_plan: &str,
) -> Result<(StepOutcome, Evaluation), DbError> {
    let Some(plan) = plan else {
        let reason = format!("no allocation plan: {why_no_plan}; nothing applied");
        let id = record(state, Some(cycle), "skip", &reason, None).await?;
        return Ok((
            StepOutcome::Done(format!("skip: {reason}")),
            Evaluation {
                decision_id: id,
                verdict: "skip".to_owned(),
                reason,
                plan: None,
                verdict_detail: None,
            },
        ));
    };
    let v = judge(state, &plan, plan.source);
    let verdict = v.kind.as_str();
    let id = record(state, Some(cycle), verdict, &v.reason, Some((&plan, &v))).await?;
    Ok((
        StepOutcome::Done(format!("{verdict}: {}", v.reason)),
        Evaluation {
            decision_id: id,
            verdict: verdict.to_owned(),
            reason: v.reason.clone(),
            plan: Some(plan),
            verdict_detail: Some(v),
        },
    ))
}
