//! The apply journal: what an apply is about to change, so a crash mid-apply can be undone.
//!
//! `transact` opens a `started` row (plan and each node's previous allocation) before it touches
//! any node and closes it `done` or `rolled_back` after the read-back. A `started` row found at
//! start-up is an apply the process died in: its nodes are put back to the recorded previous
//! allocation through the same enforcement backends, the row is marked `reconciled` and audited.

use std::collections::BTreeMap;

use serde_json::Value;

use super::apply::{enforce_amounts, NodeChange};
use crate::actor::Actor;
use crate::policy::{amounts_from_json, amounts_json};
use crate::state::AppState;

/// Records an apply before it starts; returns the journal row's id.
pub async fn begin(
    state: &AppState,
    decision_id: i64,
    actor: &str,
    changes: &[NodeChange],
) -> Result<i64, String> {
    let plan = by_node(changes, |c| amounts_json(&c.after));
    let previous = by_node(changes, |c| amounts_json(&c.before));
    let (at, actor) = (state.clock.now(), actor.to_owned());
    state
        .db(move |s| s.journal_begin(at, Some(decision_id), &actor, &plan, &previous))
        .await
        .map_err(|e| format!("apply journal not writable: {e}"))
}

/// Closes a journal row; a failure is logged (the apply itself already finished).
pub async fn finish(state: &AppState, id: i64, outcome: &str, detail: &str) {
    let (at, outcome, detail) = (state.clock.now(), outcome.to_owned(), detail.to_owned());
    if let Err(e) = state
        .db(move |s| s.journal_finish(id, &outcome, at, &detail))
        .await
    {
        tracing::error!(journal = id, error = %e, "Could not close the apply journal row.");
    }
}

fn by_node(changes: &[NodeChange], f: impl Fn(&NodeChange) -> Value) -> String {
    let m: serde_json::Map<String, Value> =
        changes.iter().map(|c| (c.node.to_string(), f(c))).collect();
    Value::Object(m).to_string()
}

/// Rolls back every apply a crash left `started`; returns how many were reconciled.
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
            match enforce_amounts(state, node, &amounts).await {
                Ok(()) => restored.push(id.clone()),
                Err(e) => errors.push(e),
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
