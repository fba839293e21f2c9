//! The API operations: one async function each, over DTOs, returning `ApiError` on failure.
//!
//! REST routes (`orcha-server`) and Tauri commands (`src-tauri`) call these and nothing else.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use orcha_core::secret::{SecretKey, Sensitive};
use orcha_core::{EarningsKind, NodeId};
use orcha_store::{from_ms, AlertRow, DecisionRow, Resolution};

use crate::dto::*;
use crate::state::AppState;

pub mod settings;
pub use settings::{alert_secret_status, settings, update_settings};

mod forecast;
pub use forecast::forecast;

mod prices;
pub use prices::{earnings_totals, prices};

fn parse_node(state: &AppState, field: &str, id: &str) -> Result<NodeId, ApiError> {
    let node: NodeId = id
        .parse()
        .map_err(|e: orcha_core::domain::IdError| ApiError::bad_field(field, e.to_string()))?;
    if state.node(id).is_none() {
        return Err(ApiError::not_found(format!("no node `{id}` is configured")));
    }
    Ok(node)
}

fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), ApiError> {
    if to <= from {
        return Err(ApiError::bad_field(
            "to",
            format!("`to` ({to}) must be after `from` ({from})"),
        ));
    }
    if to - from > chrono::Duration::days(3660) {
        return Err(ApiError::bad_field(
            "from",
            "the range may span at most ten years",
        ));
    }
    Ok(())
}

pub async fn status(state: &Arc<AppState>) -> Result<StatusDto, ApiError> {
    let (mut healthy, mut degraded, mut unreachable) = (0, 0, 0);
    for n in &state.nodes {
        match n.live().health.map(|(h, _)| h.state_name()) {
            Some("healthy") => healthy += 1,
            Some("degraded") => degraded += 1,
            Some("unreachable") => unreachable += 1,
            _ => {}
        }
    }
    let last_cycle = latest_cycle(state).await?;
    Ok(StatusDto {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        demo: state.demo,
        paused: state.paused(),
        ml: state.ml_status(),
        nodes_total: state.nodes.len() as u32,
        nodes_healthy: healthy,
        nodes_degraded: degraded,
        nodes_unreachable: unreachable,
        next_cycle_at: state.next_cycle_at(),
        last_cycle,
        now: state.clock.now(),
        restart_required: settings::restart_required(state),
    })
}

pub async fn latest_cycle(state: &Arc<AppState>) -> Result<Option<CycleDto>, ApiError> {
    let found = state
        .db(|s| {
            let Some((id, started, finished)) = s.latest_cycle()? else {
                return Ok(None);
            };
            Ok(Some((id, started, finished, s.cycle_steps(id)?)))
        })
        .await?;
    Ok(found.map(|(id, started, finished, steps)| CycleDto {
        id,
        started_at: from_ms(started),
        finished_at: finished.map(from_ms),
        steps: steps
            .into_iter()
            .map(|r| StepDto {
                cycle: r.cycle,
                step: r.step,
                status: r.status,
                detail: r.detail,
                at: from_ms(r.finished_at),
            })
            .collect(),
    }))
}

pub async fn nodes(state: &Arc<AppState>) -> Result<Vec<NodeDto>, ApiError> {
    let mut out = Vec::with_capacity(state.nodes.len());
    for n in &state.nodes {
        let id = n.config.id.clone();
        let earnings = state.db(move |s| s.latest_earnings(&id)).await?;
        let live = n.live();
        out.push(NodeDto {
            id: n.config.id.to_string(),
            protocol: n.config.id.protocol().as_str().to_owned(),
            name: n.config.id.name().to_owned(),
            endpoint: n.config.api_endpoint.clone(),
            auto_apply: auto_apply_of(state, n),
            version: live.version.clone(),
            health: match &live.health {
                Some((h, at)) => HealthDto::from_status(h, Some(*at)),
                None => HealthDto::from_status(&orcha_core::HealthStatus::Unknown, None),
            },
            last_poll: live.last_poll.clone(),
            earnings: earnings
                .iter()
                .map(|(k, m, at)| EarningsFigureDto::new(*k, m, *at))
                .collect(),
            resources: metric_values(&live.metrics),
            capabilities: n
                .adapter
                .capabilities()
                .iter()
                .map(CapabilityDto::from)
                .collect(),
        });
    }
    Ok(out)
}

pub async fn series(state: &Arc<AppState>, q: SeriesQuery) -> Result<SeriesDto, ApiError> {
    let node = parse_node(state, "node", &q.node)?;
    check_range(q.from, q.to)?;
    if q.metric.is_empty() || q.metric.len() > 64 {
        return Err(ApiError::bad_field(
            "metric",
            "metric must be 1-64 characters",
        ));
    }
    let resolution = Resolution::for_range(q.from, q.to);
    let (metric, from, to) = (q.metric.clone(), q.from, q.to);
    let points = state
        .db(move |s| s.samples(&node, &metric, from, to, resolution))
        .await?;
    Ok(SeriesDto {
        node: q.node,
        metric: q.metric,
        resolution: match resolution {
            Resolution::Raw => "raw",
            Resolution::Minute => "minute",
            Resolution::Hour => "hour",
        }
        .to_owned(),
        points: points
            .into_iter()
            .map(|p| PointDto {
                ts: p.ts,
                value: p.value,
                min: p.min,
                max: p.max,
            })
            .collect(),
    })
}

pub async fn earnings_history(
    state: &Arc<AppState>,
    q: EarningsHistoryQuery,
) -> Result<EarningsHistoryDto, ApiError> {
    let node = parse_node(state, "node", &q.node)?;
    check_range(q.from, q.to)?;
    let kind: EarningsKind = q
        .kind
        .parse()
        .map_err(|e: String| ApiError::bad_field("kind", e))?;
    let (from, to) = (q.from, q.to);
    let points = state
        .db(move |s| s.earnings_history(&node, kind, from, to))
        .await?;
    Ok(EarningsHistoryDto {
        node: q.node,
        kind: q.kind,
        points: points
            .iter()
            .map(|(at, m)| EarningsPointDto {
                at: *at,
                amount: m.into(),
            })
            .collect(),
    })
}

fn decision_dto(d: DecisionRow) -> DecisionDto {
    DecisionDto {
        id: d.id,
        cycle: d.cycle,
        created_at: from_ms(d.created_at),
        verdict: d.verdict,
        reason: d.reason,
        proposed_plan: d.proposed_plan,
        expected_gain: d.expected_gain,
        switching_cost: d.switching_cost,
        applied_result: d.applied_result,
        rollback: d.rollback,
    }
}

pub async fn decisions(state: &Arc<AppState>, limit: u32) -> Result<Vec<DecisionDto>, ApiError> {
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_field(
            "limit",
            "limit must be between 1 and 1000",
        ));
    }
    Ok(state
        .db(move |s| s.decisions(limit))
        .await?
        .into_iter()
        .map(decision_dto)
        .collect())
}

pub fn alert_dto(a: AlertRow) -> AlertDto {
    AlertDto {
        id: a.id,
        node: a.node,
        rule: a.rule,
        severity: a.severity,
        message: a.message,
        opened_at: from_ms(a.opened_at),
        cleared_at: a.cleared_at.map(from_ms),
        acknowledged_at: a.acknowledged_at.map(from_ms),
    }
}

pub async fn alerts(state: &Arc<AppState>, q: AlertQuery) -> Result<Vec<AlertDto>, ApiError> {
    Ok(state
        .db(move |s| s.alerts(q.include_cleared, 500))
        .await?
        .into_iter()
        .map(alert_dto)
        .collect())
}

pub async fn acknowledge_alert(state: &Arc<AppState>, id: i64) -> Result<(), ApiError> {
    let at = state.clock.now();
    if state.db(move |s| s.acknowledge_alert(id, at)).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "no unacknowledged alert with id {id}"
        )))
    }
}

/// Asks the orchestrator to run a cycle now; it runs in the loop, not in the request.
// Every operation is async so both front doors wrap them the same way.
#[allow(clippy::unused_async)]
pub async fn run_cycle_now(state: &Arc<AppState>) -> Result<(), ApiError> {
    state.cycle_now.notify_one();
    Ok(())
}

pub async fn set_paused(state: &Arc<AppState>, req: PauseRequest) -> Result<StatusDto, ApiError> {
    let at = state.clock.now();
    let (old, new) = (state.paused().to_string(), req.paused.to_string());
    // Recorded before it takes effect: the audit log is what restores the switch on restart.
    state
        .db(move |s| s.audit_config(at, "operator", "automation.paused", Some(&old), Some(&new)))
        .await?;
    state.set_paused(req.paused);
    state.publish(Event::Automation(AutomationEventDto {
        paused: req.paused,
        at,
    }));
    status(state).await
}

/// Credentials are named `<node id>/<kind>`; only kinds Orcha uses are accepted.
const SECRET_KINDS: [&str; 4] = ["app_key", "token", "api_key", "info_key"];

fn secret_key(state: &AppState, key: &str) -> Result<SecretKey, ApiError> {
    // The price feed's CoinGecko key is the one credential that belongs to no node.
    if key == crate::prices::SECRET_KEY {
        return Ok(SecretKey(key.to_owned()));
    }
    let (node, kind) = key.split_once('/').ok_or_else(|| {
        ApiError::bad_field(
            "key",
            format!("`{key}` must look like `<protocol>:<name>/<kind>`"),
        )
    })?;
    node.parse::<NodeId>()
        .map_err(|e| ApiError::bad_field("key", e.to_string()))?;
    if !SECRET_KINDS.contains(&kind) {
        return Err(ApiError::bad_field(
            "key",
            format!(
                "unknown credential kind `{kind}` (expected one of {})",
                SECRET_KINDS.join(", ")
            ),
        ));
    }
    let _ = state;
    Ok(SecretKey(key.to_owned()))
}

pub async fn secret_status(
    state: &Arc<AppState>,
    key: String,
) -> Result<SecretStatusDto, ApiError> {
    let k = secret_key(state, &key)?;
    let secrets = Arc::clone(&state.secrets);
    let stored = tokio::task::spawn_blocking(move || secrets.get(&k))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?
        .is_some();
    Ok(SecretStatusDto { key, stored })
}

pub async fn set_secret(
    state: &Arc<AppState>,
    req: SetSecretRequest,
) -> Result<SecretStatusDto, ApiError> {
    let k = secret_key(state, &req.key)?;
    store_secret(state, req.key, k, req.value).await
}

/// Checks a credential, writes it to the keyring and audits that it changed (never its value).
async fn store_secret(
    state: &Arc<AppState>,
    key: String,
    k: SecretKey,
    value: String,
) -> Result<SecretStatusDto, ApiError> {
    let value = value.trim().to_owned();
    if value.is_empty() {
        return Err(ApiError::bad_field("value", "the credential is empty"));
    }
    if value.len() > 4096 || value.chars().any(char::is_control) {
        return Err(ApiError::bad_field(
            "value",
            "the credential must be at most 4096 printable characters",
        ));
    }
    let secrets = Arc::clone(&state.secrets);
    tokio::task::spawn_blocking(move || secrets.set(&k, Sensitive::new(value)))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let (at, audit_key) = (state.clock.now(), format!("secret:{key}"));
    state
        .db(move |s| s.audit_config(at, "operator", &audit_key, None, Some("<stored>")))
        .await?;
    Ok(SecretStatusDto { key, stored: true })
}

/// Removes a credential from the keyring and audits it.
async fn remove_secret(
    state: &Arc<AppState>,
    key: String,
    k: SecretKey,
) -> Result<SecretStatusDto, ApiError> {
    let secrets = Arc::clone(&state.secrets);
    tokio::task::spawn_blocking(move || secrets.delete(&k))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let (at, audit_key) = (state.clock.now(), format!("secret:{key}"));
    state
        .db(move |s| s.audit_config(at, "operator", &audit_key, Some("<stored>"), None))
        .await?;
    Ok(SecretStatusDto { key, stored: false })
}

pub async fn delete_secret(
    state: &Arc<AppState>,
    key: String,
) -> Result<SecretStatusDto, ApiError> {
    let k = secret_key(state, &key)?;
    remove_secret(state, key, k).await
}

// ---------------------------------------------------------------------------------------------
// Allocation: current vs proposed, approval by hand, per-node auto-apply, what-if.

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
fn auto_apply_of(state: &AppState, node: &crate::state::NodeRuntime) -> bool {
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
) -> (crate::cycle::optimize::Plan, crate::policy::Verdict) {
    let (budget, mut facts, _) = crate::cycle::optimize::gather(state, None).await;
    for f in &mut facts {
        if let Some(p) = proposed.get(&f.id) {
            f.proposed.extend(p.iter().map(|(k, v)| (*k, *v)));
        }
    }
    let plan = crate::cycle::optimize::Plan {
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
) -> Result<ApplyResultDto, ApiError> {
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
    let report = crate::cycle::apply::transact(state, new_id, "operator", &changes).await;
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
        .db(move |s| s.audit_config(at, "operator", &key, Some(&old), Some(&new)))
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

/// Every alert channel: configured or not, last success and last error (never a credential).
pub async fn alert_channels(state: &Arc<AppState>) -> Result<Vec<AlertChannelDto>, ApiError> {
    Ok(crate::alerts::channel_status(state).await)
}

/// Sends a test alert to every configured channel and reports how each one did.
pub async fn send_test_alert(state: &Arc<AppState>) -> Result<Vec<AlertChannelDto>, ApiError> {
    crate::alerts::send_test(state).await
}

/// Channel credentials are named `alerts:<channel>/<kind>` (e.g. `alerts:telegram/token`).
fn alert_secret_key(key: &str) -> Result<SecretKey, ApiError> {
    crate::alerts::channels::secret_key(key).ok_or_else(|| {
        ApiError::bad_field(
            "key",
            format!(
                "`{key}` is not an alert channel credential (expected alerts:<{}>)",
                crate::alerts::channels::CHANNEL_SECRETS.join("|")
            ),
        )
    })
}

/// Stores an alert channel credential in the keyring; audited without its value.
pub async fn set_alert_secret(
    state: &Arc<AppState>,
    req: SetSecretRequest,
) -> Result<SecretStatusDto, ApiError> {
    let k = alert_secret_key(&req.key)?;
    store_secret(state, req.key, k, req.value).await
}

/// Removes an alert channel credential from the keyring; audited.
pub async fn delete_alert_secret(
    state: &Arc<AppState>,
    key: String,
) -> Result<SecretStatusDto, ApiError> {
    let k = alert_secret_key(&key)?;
    remove_secret(state, key, k).await
}
