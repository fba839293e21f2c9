//! Allocation: current vs proposed, approval by hand, per-node auto-apply, what-if.

use std::sync::Arc;

use orcha_core::NodeId;
use orcha_store::from_ms;

use super::parse_node;
use crate::actor::Actor;
use crate::dto::*;
use crate::state::AppState;

fn amounts_dto(v: Option<&serde_json::Value>) -> Vec<ResourceAmountDto> {
    v.and_then(|v| crate::policy::amounts_from_json(v).ok())
        .map(|a| amounts_list(&a))
        .unwrap_or_default()
}

fn amounts_list(a: &crate::policy::Amounts) -> Vec<ResourceAmountDto> {
    a.iter()
        .map(|(k, v)| ResourceAmountDto {
            resource: k.as_str().to_owned(),
            amount: v.to_string(),
        })
        .collect()
}

/// Whether a node's changes are applied without asking: the operator's switch, else the node's
/// `allocation.nodes` entry, else its protocol's `auto_apply`.
pub(super) fn auto_apply_of(state: &AppState, node: &crate::state::NodeRuntime) -> bool {
    let id = &node.config.id;
    state
        .allocation
        .auto_apply(id)
        .or(state
            .config
            .allocation
            .nodes
            .get(&id.to_string())
            .and_then(|n| n.auto_apply))
        .unwrap_or(node.config.auto_apply)
}

fn node_allocation_dto(
    v: &crate::policy::NodeVerdict,
    priced: bool,
    auto_apply: bool,
) -> NodeAllocationDto {
    NodeAllocationDto {
        node: v.node.clone(),
        auto_apply,
        current: amounts_list(&v.current),
        proposed: amounts_list(&v.proposed),
        changes: amounts_list(&v.changes),
        restart: v.restart,
        reasons: v.reasons.clone(),
        earnings_now_per_hour: priced.then(|| crate::policy::usd(v.earnings_now)),
        earnings_after_per_hour: priced.then(|| crate::policy::usd(v.earnings_after)),
    }
}

/// Current vs proposed allocation of every node, from the newest stored plan; before the first
/// plan, what is in force now.
pub async fn allocation(state: &Arc<AppState>) -> Result<AllocationDto, ApiError> {
    let rows = state.db(|s| s.decisions(50)).await?;
    let newest = rows.into_iter().find_map(|d| {
        let plan: serde_json::Value = serde_json::from_str(d.proposed_plan.as_deref()?).ok()?;
        Some((d, plan))
    });
    let Some((d, plan)) = newest else {
        let (budget, facts, _) = crate::cycle::optimize::gather(state, None).await;
        return Ok(AllocationDto {
            decision_id: None,
            created_at: None,
            verdict: None,
            reason: None,
            source: None,
            expected_gain: None,
            switching_cost: None,
            budget: amounts_list(&budget),
            nodes: facts
                .iter()
                .map(|f| NodeAllocationDto {
                    node: f.id.to_string(),
                    auto_apply: f.auto_apply,
                    current: amounts_list(&f.current),
                    proposed: Vec::new(),
                    changes: Vec::new(),
                    restart: false,
                    reasons: f.held_because.iter().cloned().collect(),
                    earnings_now_per_hour: None,
                    earnings_after_per_hour: None,
                })
                .collect(),
        });
    };
    let nodes = plan["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .map(|n| {
                    let id = n["node"].as_str().unwrap_or_default().to_owned();
                    let auto_apply = state.node(&id).is_some_and(|rt| auto_apply_of(state, rt));
                    NodeAllocationDto {
                        node: id,
                        auto_apply,
                        current: amounts_dto(n.get("current")),
                        proposed: amounts_dto(n.get("proposed")),
                        changes: amounts_dto(n.get("changes")),
                        restart: n["restart"].as_bool().unwrap_or(false),
                        reasons: n["reasons"]
                            .as_array()
                            .map(|r| {
                                r.iter()
                                    .filter_map(|s| s.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default(),
                        earnings_now_per_hour: n["earnings_now_per_hour"]
                            .as_str()
                            .map(str::to_owned),
                        earnings_after_per_hour: n["earnings_after_per_hour"]
                            .as_str()
                            .map(str::to_owned),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(AllocationDto {
        decision_id: Some(d.id),
        created_at: Some(from_ms(d.created_at)),
        verdict: Some(d.verdict),
        reason: Some(d.reason),
        source: plan["source"].as_str().map(str::to_owned),
        expected_gain: d.expected_gain,
        switching_cost: d.switching_cost,
        budget: amounts_dto(plan.get("budget")),
        nodes,
    })
}

/// Parses the amounts the operator typed; every resource and number is checked.
fn parse_amounts(
    field: &str,
    list: &[ResourceAmountDto],
) -> Result<crate::policy::Amounts, ApiError> {
    let mut out = crate::policy::Amounts::new();
    for a in list {
        let kind = orcha_core::ResourceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == a.resource)
            .ok_or_else(|| {
                ApiError::bad_field(
                    field,
                    format!(
                        "unknown resource `{}` (expected cpu, memory, disk or bandwidth)",
                        a.resource
                    ),
                )
            })?;
        let v: u64 = a.amount.trim().parse().map_err(|_| {
            ApiError::bad_field(
                field,
                format!(
                    "{} amount {:?} must be a whole number of {}",
                    a.resource,
                    a.amount,
                    kind.unit()
                ),
            )
        })?;
        out.insert(kind, v);
    }
    Ok(out)
}

/// The facts of every node with `proposed` replaced where the caller says, judged as if the
/// operator approved it.
async fn judge_proposal(
    state: &Arc<AppState>,
    proposed: &std::collections::BTreeMap<NodeId, crate::policy::Amounts>,
) -> (crate::cycle::plan::Plan, crate::policy::Verdict) {
    let (budget, mut facts, _) = crate::cycle::optimize::gather(state, None).await;
    for f in &mut facts {
        if let Some(p) = proposed.get(&f.id) {
            f.proposed.extend(p.iter().map(|(k, v)| (*k, *v)));
        }
        // "Too little history to fit" holds the optimizer's own moves, not the operator's: an
        // approved plan is the operator's decision. A node without a price stays held (its
        // change cannot be valued at all).
        if crate::cycle::optimize::fiat_price(state, f.id.protocol()).is_ok() {
            f.held_because = None;
            // Unfitted resources are valued at nothing gained or lost: the gain rule decides.
            f.curves.get_or_insert_with(Default::default);
        }
    }
    let plan = crate::cycle::plan::Plan {
        source: crate::policy::PlanSource::Operator,
        solver: "operator".to_owned(),
        note: None,
        budget,
        nodes: facts,
    };
    let v = crate::cycle::evaluate::judge(state, &plan, crate::policy::PlanSource::Operator);
    (plan, v)
}

/// Applies a recommended (dry-run) plan because the operator says so. The plan is judged again
/// against the nodes as they are now; preconditions, dwell time and the gain rule still hold.
pub async fn approve_plan(
    state: &Arc<AppState>,
    req: ApprovePlanRequest,
    actor: Actor,
) -> Result<ApplyResultDto, ApiError> {
    // Held from the judgement to the end of the apply, so no other apply changes the nodes
    // between the two; every await under it is part of this approval.
    let permit = state.apply_lock.lock().await;
    let id = req.decision_id;
    let recent = state.db(|s| s.decisions(200)).await?;
    let d = recent
        .iter()
        .find(|d| d.id == id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("no recent decision with id {id}")))?;
    // A recommended plan, or the rest of a plan that was applied only to the opted-in nodes.
    if d.verdict != "recommend" && d.verdict != "apply" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "decision {id} is `{}`; only a recommended plan can be approved",
                d.verdict
            ),
        ));
    }
    // Only the newest plan may be approved: an older one was made from readings a newer cycle has
    // replaced. Counting plans, not minutes, keeps this right when the demo's clock runs fast.
    if let Some(newer) = recent
        .iter()
        .find(|n| n.id > id && n.cycle.is_some() && n.proposed_plan.is_some())
    {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "decision {id} was replaced by a newer plan (decision {}); approve that one",
                newer.id
            ),
        ));
    }
    let plan: serde_json::Value = d
        .proposed_plan
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or_else(|| ApiError::new(ErrorCode::Conflict, format!("decision {id} has no plan")))?;
    let mut proposed = std::collections::BTreeMap::new();
    for n in plan["nodes"].as_array().into_iter().flatten() {
        let (Some(node), Some(p)) = (
            n["node"].as_str().and_then(|s| s.parse::<NodeId>().ok()),
            n.get("proposed")
                .and_then(|p| crate::policy::amounts_from_json(p).ok()),
        ) else {
            continue;
        };
        proposed.insert(node, p);
    }
    let (plan, v) = judge_proposal(state, &proposed).await;
    if v.kind != crate::policy::VerdictKind::Apply {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("plan {id} no longer passes: {}", v.reason),
        ));
    }
    let reason = format!("decision {id} approved by the operator; {}", v.reason);
    let new_id =
        crate::cycle::evaluate::record(state, None, "apply", &reason, Some((&plan, &v))).await?;
    let evaluation = crate::cycle::evaluate::Evaluation {
        decision_id: new_id,
        verdict: "apply".to_owned(),
        reason,
        plan: Some(plan),
        verdict_detail: Some(v),
    };
    let changes = crate::cycle::apply::changes_of(&evaluation);
    let report =
        crate::cycle::apply::transact_locked(state, &permit, new_id, actor.as_str(), &changes)
            .await;
    drop(permit);
    Ok(ApplyResultDto {
        decision_id: new_id,
        status: report.status.to_owned(),
        detail: report.detail,
    })
}

/// Turns auto-apply on or off for one node until the app restarts; audited.
pub async fn set_auto_apply(
    state: &Arc<AppState>,
    req: AutoApplyRequest,
    actor: Actor,
) -> Result<AutoApplyRequest, ApiError> {
    let node = parse_node(state, "node", &req.node)?;
    let before = state
        .node(&req.node)
        .is_some_and(|rt| auto_apply_of(state, rt));
    let at = state.clock.now();
    let (key, old, new) = (
        format!("auto_apply:{node}"),
        before.to_string(),
        req.enabled.to_string(),
    );
    // The audit row comes first: it is also what restores the switch after a restart, so a
    // switch that could not be recorded is not flipped.
    state
        .db(move |s| s.audit_config(at, actor.as_str(), &key, Some(&old), Some(&new)))
        .await?;
    state.allocation.set_auto_apply(&node, req.enabled);
    Ok(req)
}

/// Values an allocation the operator edited, without applying it.
pub async fn what_if(state: &Arc<AppState>, req: WhatIfRequest) -> Result<WhatIfDto, ApiError> {
    if req.nodes.is_empty() || req.nodes.len() > 64 {
        return Err(ApiError::bad_field("nodes", "give 1 to 64 nodes"));
    }
    let mut proposed = std::collections::BTreeMap::new();
    for n in &req.nodes {
        let id = parse_node(state, "nodes", &n.node)?;
        proposed.insert(id, parse_amounts("nodes", &n.amounts)?);
    }
    let (plan, v) = judge_proposal(state, &proposed).await;
    Ok(WhatIfDto {
        verdict: if v.kind == crate::policy::VerdictKind::Apply {
            "apply"
        } else {
            "skip"
        }
        .to_owned(),
        reason: v.reason.clone(),
        horizon_hours: state.config.allocation.horizon_hours,
        expected_gain: crate::policy::usd(v.expected_gain),
        switching_cost: crate::policy::usd(v.switching_cost),
        nodes: v
            .nodes
            .iter()
            .zip(&plan.nodes)
            .map(|(n, f)| node_allocation_dto(n, f.curves.is_some(), f.auto_apply))
            .collect(),
    })
}
