//! The apply journal: what an apply is about to change, so a crash mid-apply can be undone.
//!
//! `apply::transact` opens a `started` row (plan and each node's previous allocation) before it
//! touches any node and closes it `done` or `rolled_back` after the read-back. A `started` row
//! found at start-up is an apply the process died in; `apply::reconcile` undoes it.

use serde_json::Value;

use crate::policy::{amounts_json, Amounts};
use crate::state::AppState;

/// Records an apply before it starts; returns the journal row's id.
///
/// `changes` holds each node's id, its allocation before and the one being written.
pub async fn begin<'a>(
    state: &AppState,
    decision_id: i64,
    actor: &str,
    changes: impl Iterator<Item = (String, &'a Amounts, &'a Amounts)> + Clone,
) -> Result<i64, String> {
    let plan = by_node(changes.clone().map(|(n, _, after)| (n, after)));
    let previous = by_node(changes.map(|(n, before, _)| (n, before)));
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

fn by_node<'a>(amounts: impl Iterator<Item = (String, &'a Amounts)>) -> String {
    let m: serde_json::Map<String, Value> = amounts.map(|(n, a)| (n, amounts_json(a))).collect();
    Value::Object(m).to_string()
}
