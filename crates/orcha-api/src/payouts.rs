//! Payout detection: each node's own record of payouts read and stored once per key.

use std::sync::Arc;
use std::time::Duration;

use orcha_core::{NodeId, PayoutEvent};

use crate::state::AppState;

/// What one read of every node's payout record found.
#[derive(Debug, Default)]
pub struct PayoutScan {
    /// Events stored for the first time, per node.
    pub added: Vec<(NodeId, PayoutEvent)>,
    /// Nodes whose record could not be read, and why (the record of what a node could not give).
    pub failed: Vec<(NodeId, String)>,
}

/// Reads every node's payout record (each read bounded by `timeout`) and stores what is new.
/// Idempotent: a second scan of the same record adds nothing.
pub async fn scan(state: &Arc<AppState>, timeout: Duration) -> PayoutScan {
    let mut out = PayoutScan::default();
    for node in &state.nodes {
        let id = node.config.id.clone();
        let read = tokio::time::timeout(timeout, node.adapter.payouts()).await;
        let events = match read {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => {
                out.failed.push((id, e.to_string()));
                continue;
            }
            Err(_) => {
                out.failed
                    .push((id, format!("no answer within {} s", timeout.as_secs())));
                continue;
            }
        };
        if events.is_empty() {
            continue;
        }
        let now = state.clock.now();
        let node_id = id.clone();
        match state
            .db(move |s| s.record_payouts(&node_id, &events, now))
            .await
        {
            Ok(added) => out.added.extend(added.into_iter().map(|e| (id.clone(), e))),
            Err(e) => out.failed.push((id, e.to_string())),
        }
    }
    out
}
