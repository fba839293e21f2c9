//! Apply: change the nodes' knobs for a plan that passed evaluation — never otherwise.
//!
//! One transaction per plan: an audit row for every node is written before anything changes;
//! nodes are changed one by one through their enforcement backends, each write read back; on
//! any failure the nodes already changed (the failing one included) are rolled back to the
//! allocation they had, the rollback is recorded and an alert raised, so no node is left
//! half-configured. Restarts go through the node's own mechanism and its health is checked after.

use std::collections::BTreeMap;
use std::time::Duration;

use orcha_core::event::StepOutcome;
use orcha_core::{HealthStatus, NodeId, ResourceKind};
use orcha_enforce::{EnforceError, Limits};
use serde_json::Value;

use super::evaluate::Evaluation;
pub use super::routes::{routes, Routes};
use crate::actor::Actor;
use crate::dto::{AlertDto, AmountsMap, AppliedResultDto, Event, NodeApplyDto, RollbackDto};
use crate::policy::{amounts_from_json, amounts_json, Amounts};
use crate::state::{AppState, NodeRuntime};
use crate::timeout::bounded;

/// Outer bound of one backend call; restarts bring their own, longer ones.
const BACKEND_TIMEOUT: Duration = Duration::from_secs(30);
const RESTART_TIMEOUT: Duration = Duration::from_secs(360);

/// One node's part of a transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeChange {
    pub node: NodeId,
    /// The last good allocation, restored on rollback.
    pub before: Amounts,
    pub after: Amounts,
    pub restart: bool,
}

/// How a transaction ended.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyReport {
    /// `applied` or `rolled_back`.
    pub status: &'static str,
    pub detail: String,
    pub applied_result: AppliedResultDto,
    pub rollback: Option<RollbackDto>,
}

/// Why `enforce` stopped, and which resources it had already written (those need restoring).
struct Partial {
    error: String,
    written: Vec<ResourceKind>,
}

impl From<String> for Partial {
    fn from(error: String) -> Self {
        Partial {
            error,
            written: Vec::new(),
        }
    }
}

/// Writes `amounts` to a node through its backends; returns what was read back and whether the
/// node was restarted.
async fn enforce(
    state: &AppState,
    node: &NodeRuntime,
    amounts: &Amounts,
    restart: bool,
) -> Result<(Limits, bool), Partial> {
    let routes = routes(state, node);
    // Only knobs are written: a resource a backend merely reads (one the node's adapter refuses
    // to have limited, like a staked Streamr node's bandwidth) keeps whatever it has.
    let amounts: Amounts = amounts
        .iter()
        .filter(|(k, _)| routes.knobs.contains_key(k))
        .map(|(k, v)| (*k, *v))
        .collect();
    let amounts = &amounts;
    let mut read = Limits::new();
    let unrouted: Vec<&str> = amounts
        .keys()
        .filter(|k| !routes.backends.iter().any(|(_, r)| r.contains(k)))
        .map(|k| k.as_str())
        .collect();
    if !unrouted.is_empty() {
        return Err(format!(
            "{}: no backend enforces {}",
            node.config.id,
            unrouted.join(", ")
        )
        .into());
    }
    for (backend, resources) in &routes.backends {
        let part: Limits = amounts
            .iter()
            .filter(|(k, _)| resources.contains(k))
            .map(|(k, v)| (*k, *v))
            .collect();
        if part.is_empty() {
            continue;
        }
        match bounded(BACKEND_TIMEOUT, backend.name(), backend.apply(&part)).await {
            Ok(got) => read.extend(part.keys().filter_map(|k| got.get(k).map(|v| (*k, *v)))),
            Err(e) => {
                // A refusal or a failed write may still have changed part of this backend's
                // resources (a mismatch read back is a write that happened), so only a refusal
                // counts as untouched.
                let mut written: Vec<ResourceKind> = read.keys().copied().collect();
                if !matches!(
                    e,
                    EnforceError::Refused { .. } | EnforceError::Unsupported { .. }
                ) {
                    written.extend(part.keys().copied());
                }
                return Err(Partial {
                    error: format!("{} via {}: {e}", node.config.id, backend.name()),
                    written,
                });
            }
        }
    }
    let all: Vec<ResourceKind> = read.keys().copied().collect();
    if !restart {
        return Ok((read, false));
    }
    let Some(r) = &routes.restarter else {
        // Knob-only and native nodes are restarted by their operator; the value is in place.
        return Ok((read, false));
    };
    bounded(RESTART_TIMEOUT, "restart", r.restart())
        .await
        .map_err(|e| Partial {
            error: format!("{}: restart failed: {e}", node.config.id),
            written: all.clone(),
        })?;
    let health = tokio::time::timeout(BACKEND_TIMEOUT, node.adapter.health_check())
        .await
        .unwrap_or_else(|_| HealthStatus::Unreachable("no answer after the restart".to_owned()));
    if let HealthStatus::Unreachable(why) = health {
        return Err(Partial {
            error: format!("{}: unreachable after the restart: {why}", node.config.id),
            written: all,
        });
    }
    Ok((read, true))
}

async fn audit(
    state: &AppState,
    actor: &str,
    node: &NodeId,
    old: &Amounts,
    new: &Amounts,
) -> Result<(), String> {
    let at = state.clock.now();
    let (key, old, new) = (
        format!("allocation:{node}"),
        amounts_json(old).to_string(),
        amounts_json(new).to_string(),
    );
    let actor = actor.to_owned();
    state
        .db(move |s| s.audit_config(at, &actor, &key, Some(&old), Some(&new)))
        .await
        .map_err(|e| format!("audit log not writable: {}", e))
}

/// Proof that the caller holds the global apply lock (`AppState::apply_lock`): one apply at a
/// time, whoever started it.
pub type ApplyPermit<'a> = tokio::sync::MutexGuard<'a, ()>;

/// Applies `changes` node by node as one transaction (see the module docs), taking the apply
/// lock for its duration.
pub async fn transact(
    state: &AppState,
    decision_id: i64,
    actor: &str,
    changes: &[NodeChange],
) -> ApplyReport {
    let permit = state.apply_lock.lock().await;
    transact_locked(state, &permit, decision_id, actor, changes).await
}

/// `transact` for a caller that already holds the apply lock (it judged the plan under it).
pub async fn transact_locked(
    state: &AppState,
    _permit: &ApplyPermit<'_>,
    decision_id: i64,
    actor: &str,
    changes: &[NodeChange],
) -> ApplyReport {
    // The journal row comes before anything else: a crash from here on is undone at start-up.
    let entries = changes
        .iter()
        .map(|c| (c.node.to_string(), &c.before, &c.after));
    let journal_id = match super::journal::begin(state, decision_id, actor, entries).await {
        Ok(id) => id,
        Err(e) => return finish(state, decision_id, refused(e)).await,
    };
    let report = journaled(state, decision_id, actor, changes).await;
    let outcome = match report.status {
        "applied" => "done",
        other => other,
    };
    super::journal::finish(state, journal_id, outcome, &report.detail).await;
    report
}

/// `ORCHA_DEBUG_APPLY_PAUSE_MS`: a debug setting that holds every apply this many milliseconds
/// after each node's writes, so a crash in the middle of an apply can be staged (the SIGKILL
/// test in `orcha-server/tests/crash_apply.rs`). Unset or unparsable means no pause; it is never
/// needed in operation.
pub const DEBUG_APPLY_PAUSE_ENV: &str = "ORCHA_DEBUG_APPLY_PAUSE_MS";

async fn debug_pause() {
    let ms = std::env::var(DEBUG_APPLY_PAUSE_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(ms) = ms.filter(|ms| *ms > 0) {
        tracing::warn!(ms, "{DEBUG_APPLY_PAUSE_ENV} is set: holding the apply");
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

fn refused(e: String) -> ApplyReport {
    ApplyReport {
        status: "refused",
        detail: e.clone(),
        applied_result: AppliedResultDto {
            actor: None,
            at: None,
            error: Some(e),
            failed_node: None,
            nodes: None,
            status: "refused".to_owned(),
        },
        rollback: None,
    }
}

async fn journaled(
    state: &AppState,
    decision_id: i64,
    actor: &str,
    changes: &[NodeChange],
) -> ApplyReport {
    let started = state.clock.now();
    // The audit rows come first: if they cannot be written, nothing is touched.
    for c in changes {
        if let Err(e) = audit(state, actor, &c.node, &c.before, &c.after).await {
            return finish(state, decision_id, refused(e)).await;
        }
    }
    let mut done: Vec<(&NodeChange, NodeApplyDto)> = Vec::new();
    let mut failure: Option<(usize, String, Vec<ResourceKind>)> = None;
    for (i, c) in changes.iter().enumerate() {
        let Some(node) = state.node(&c.node.to_string()) else {
            failure = Some((
                i,
                format!("{} is not configured any more", c.node),
                Vec::new(),
            ));
            break;
        };
        let enforced = enforce(state, node, &c.after, c.restart).await;
        debug_pause().await;
        match enforced {
            Ok((read, restarted)) => done.push((
                c,
                NodeApplyDto {
                    after: amounts_map(&read),
                    before: amounts_map(&c.before),
                    restart_pending: c.restart && !restarted,
                    restarted,
                },
            )),
            Err(p) => {
                failure = Some((i, p.error, p.written));
                break;
            }
        }
    }
    let mut nodes = BTreeMap::new();
    for (c, v) in &done {
        nodes.insert(c.node.to_string(), v.clone());
    }
    let Some((failed_at, error, written)) = failure else {
        let detail = format!("applied to {} nodes", done.len());
        return finish(
            state,
            decision_id,
            ApplyReport {
                status: "applied",
                detail,
                applied_result: AppliedResultDto {
                    actor: Some(actor.to_owned()),
                    at: Some(started.to_rfc3339()),
                    error: None,
                    failed_node: None,
                    nodes: Some(nodes),
                    status: "applied".to_owned(),
                },
                rollback: None,
            },
        )
        .await;
    };
    // Roll back, newest first, every node touched — of the failing node only what it had
    // written before it failed.
    let failed = &changes[failed_at];
    let mut restored = BTreeMap::new();
    let mut restore_errors = Vec::new();
    let failed_part = NodeChange {
        node: failed.node.clone(),
        before: failed
            .before
            .iter()
            .filter(|(k, _)| written.contains(k))
            .map(|(k, v)| (*k, *v))
            .collect(),
        after: failed
            .after
            .iter()
            .filter(|(k, _)| written.contains(k))
            .map(|(k, v)| (*k, *v))
            .collect(),
        restart: false,
    };
    let touched: Vec<&NodeChange> = done
        .iter()
        .map(|(c, _)| *c)
        .chain((!failed_part.before.is_empty()).then_some(&failed_part))
        .collect();
    for c in touched.iter().rev() {
        let _ = audit(state, "rollback", &c.node, &c.after, &c.before).await;
        let Some(node) = state.node(&c.node.to_string()) else {
            continue;
        };
        let was_restarted = done.iter().any(|(d, v)| d.node == c.node && v.restarted);
        match enforce(state, node, &c.before, was_restarted).await {
            Ok((read, _)) => {
                restored.insert(c.node.to_string(), amounts_map(&read));
            }
            Err(p) => restore_errors.push(p.error),
        }
    }
    let message = if restore_errors.is_empty() {
        format!(
            "applying the allocation failed ({error}); rolled back {} node(s) to their last good allocation",
            restored.len()
        )
    } else {
        format!(
            "applying the allocation failed ({error}) and the rollback failed too: {}; check these nodes by hand",
            restore_errors.join("; ")
        )
    };
    raise_alert(
        state,
        &failed.node,
        if restore_errors.is_empty() {
            "warning"
        } else {
            "critical"
        },
        &message,
    )
    .await;
    finish(
        state,
        decision_id,
        ApplyReport {
            status: "rolled_back",
            detail: message,
            applied_result: AppliedResultDto {
                actor: Some(actor.to_owned()),
                at: Some(started.to_rfc3339()),
                error: Some(error),
                failed_node: Some(failed.node.to_string()),
                nodes: Some(nodes),
                status: "rolled_back".to_owned(),
            },
            rollback: Some(RollbackDto {
                errors: restore_errors,
                restored,
            }),
        },
    )
    .await
}

async fn raise_alert(state: &AppState, node: &NodeId, severity: &str, message: &str) {
    let at = state.clock.now();
    let (n, sev, msg) = (node.to_string(), severity.to_owned(), message.to_owned());
    let opened = state
        .db(move |s| s.open_alert(Some(&n), "allocation_rollback", &sev, &msg, at))
        .await;
    match opened {
        Ok(Some(id)) => state.publish(Event::Alert(AlertDto {
            id,
            node: Some(node.to_string()),
            rule: "allocation_rollback".to_owned(),
            severity: severity.to_owned(),
            message: message.to_owned(),
            opened_at: at,
            cleared_at: None,
            acknowledged_at: None,
        })),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "Could not open the rollback alert."),
    }
    tracing::warn!(node = %node, "{message}");
}

async fn finish(state: &AppState, decision_id: i64, report: ApplyReport) -> ApplyReport {
    // Serializing these plain structs cannot fail; an empty text would only lose the record.
    let applied = serde_json::to_string(&report.applied_result).unwrap_or_default();
    let rollback = report
        .rollback
        .as_ref()
        .map(|r| serde_json::to_string(r).unwrap_or_default());
    if let Err(e) = state
        .db(move |s| s.update_decision_result(decision_id, Some(&applied), rollback.as_deref()))
        .await
    {
        tracing::error!(error = %e, "Could not record the apply result.");
    }
    report
}

/// Amounts keyed by resource name, as the decision's result records them.
fn amounts_map(a: &Amounts) -> AmountsMap {
    a.iter().map(|(k, v)| (k.as_str().to_owned(), *v)).collect()
}

/// The changes of an evaluated plan, ready for `transact`.
pub fn changes_of(evaluation: &Evaluation) -> Vec<NodeChange> {
    evaluation
        .verdict_detail
        .as_ref()
        .map(|v| {
            v.changed()
                .filter_map(|n| {
                    Some(NodeChange {
                        node: n.node.parse().ok()?,
                        before: n
                            .current
                            .iter()
                            .filter(|(k, _)| n.changes.contains_key(k))
                            .map(|(k, v)| (*k, *v))
                            .collect(),
                        after: n.changes.clone(),
                        restart: n.restart,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

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
    let changes = changes_of(evaluation);
    if changes.is_empty() {
        return StepOutcome::Skipped("the plan changes nothing".to_owned());
    }
    let permit = state.apply_lock.lock().await;
    let report = transact_locked(
        state,
        &permit,
        evaluation.decision_id,
        Actor::Orchestrator.as_str(),
        &changes,
    )
    .await;
    drop(permit);
    match report.status {
        "applied" => StepOutcome::Done(report.detail),
        _ => StepOutcome::Failed(report.detail),
    }
}

/// Rolls back every apply a crash left `started` in the journal (`super::journal`) to the
/// previous allocation it recorded, through the same backends; marks it `reconciled`, audited.
/// Returns how many were reconciled.
///
/// Takes the apply lock, so it never races a live apply.
pub async fn reconcile(state: &AppState) -> usize {
    let _permit = state.apply_lock.lock().await;
    let open = match state.db(|s| s.journal(Some("started"), 100)).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!(error = %e, "Could not read the apply journal.");
            return 0;
        }
    };
    let mut n = 0;
    for row in open {
        let previous: BTreeMap<String, Value> =
            serde_json::from_str(&row.previous).unwrap_or_default();
        let mut errors = Vec::new();
        let mut restored = Vec::new();
        for (id, amounts) in &previous {
            let (Some(node), Ok(amounts)) = (state.node(id), amounts_from_json(amounts)) else {
                errors.push(format!(
                    "{id}: not configured or unreadable previous allocation"
                ));
                continue;
            };
            // Written back without a restart: the knobs' values are what matter, and a restart
            // the crashed apply never did is not owed.
            match enforce(state, node, &amounts, false).await {
                Ok(_) => restored.push(id.clone()),
                Err(p) => errors.push(p.error),
            }
        }
        let detail = if errors.is_empty() {
            format!(
                "interrupted apply rolled back at start-up: {} node(s) restored",
                restored.len()
            )
        } else {
            format!(
                "interrupted apply: restored {} node(s); failed: {}",
                restored.len(),
                errors.join("; ")
            )
        };
        tracing::warn!(journal = row.id, "{detail}");
        let at = state.clock.now();
        let (key, d) = (format!("apply_journal:{}", row.id), detail.clone());
        let audited = state
            .db(move |s| {
                s.audit_config(
                    at,
                    Actor::Orchestrator.as_str(),
                    &key,
                    Some("started"),
                    Some("reconciled"),
                )?;
                s.journal_finish(row.id, "reconciled", at, &d)
            })
            .await;
        if let Err(e) = audited {
            tracing::error!(journal = row.id, error = %e, "Could not record the reconciliation.");
        }
        n += 1;
    }
    n
}
