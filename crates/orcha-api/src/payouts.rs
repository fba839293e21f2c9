//! Payout detection: each node's own record of payouts read and stored once per key.

use std::sync::Arc;
use std::time::Duration;

use orcha_core::{NodeId, PayoutEvent};
use tokio_util::sync::CancellationToken;

use crate::dto::AlertNotificationDto;
use crate::state::AppState;

/// How often the payout records are read again: payouts are monthly (Storj) or batched (Golem).
const RESCAN: Duration = Duration::from_secs(3600);
/// One node's payout record may take long: Storj's payout endpoints take ~30 s on real nodes.
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// The task the orchestrator runs: a first read at start (the backfill on first connect), then
/// one every hour; each new payout announced when the operator opted in.
pub async fn run(state: Arc<AppState>, cancel: CancellationToken) {
    let mut prices_due = state.clock.now();
    loop {
        // Past prices once a day: the export and the fiat history value each figure at its day.
        let now = state.clock.now();
        if now >= prices_due {
            let from = now - chrono::Duration::days(crate::price_history::MAX_DAYS_BACK);
            let done = tokio::select! {
                _ = cancel.cancelled() => break,
                d = crate::price_history::backfill(&state, from, now) => d,
            };
            for (asset, why) in &done.gaps {
                tracing::info!(asset = %asset, reason = %why, "Past prices could not be read.");
            }
            prices_due = now + chrono::Duration::hours(24);
        }
        let scan = tokio::select! {
            _ = cancel.cancelled() => break,
            s = scan(&state, READ_TIMEOUT) => s,
        };
        for (node, e) in &scan.added {
            crate::alerts::notify_payout(&state, payout_note(node, e, state.clock.now()), &e.key);
        }
        for (node, why) in &scan.failed {
            tracing::info!(node = %node, reason = %why, "A node's payout record could not be read.");
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(RESCAN) => {}
        }
    }
}

/// The notification of one payout: what, how much, when, and the reference.
pub fn payout_note(
    node: &NodeId,
    e: &PayoutEvent,
    now: chrono::DateTime<chrono::Utc>,
) -> AlertNotificationDto {
    let what = match e.kind {
        orcha_core::PayoutKind::Payout => "paid out",
        orcha_core::PayoutKind::Held => "held back",
        orcha_core::PayoutKind::Released => "released from the held amount",
    };
    AlertNotificationDto {
        state: "event".to_owned(),
        id: None,
        rule: "payout".to_owned(),
        severity: "info".to_owned(),
        node: Some(node.to_string()),
        message: format!(
            "{node}: {} {} {what} on {}{}",
            e.amount.to_decimal_string(),
            e.amount.token.as_str().to_ascii_uppercase(),
            e.at.format("%Y-%m-%d"),
            e.reference
                .as_deref()
                .map(|r| format!(" (reference {r})"))
                .unwrap_or_default()
        ),
        at: now,
    }
}

/// What one read of every node's payout record found.
#[derive(Debug, Default)]
pub struct PayoutScan {
    /// Events stored for the first time, per node.
    pub added: Vec<(NodeId, PayoutEvent)>,
    /// Earned periods (the history backfill) stored for the first time.
    pub periods_added: usize,
    /// Nodes whose record could not be read, and why (the record of what a node could not give).
    pub failed: Vec<(NodeId, String)>,
}

/// Reads every node's payout record (each read bounded by `timeout`) and stores what is new.
/// Idempotent: a second scan of the same record adds nothing.
pub async fn scan(state: &Arc<AppState>, timeout: Duration) -> PayoutScan {
    scan_nodes(state, None, timeout, &mut |_| {}).await
}

/// What one node's read gave: reported after each node, for progress (the `money-scan` event,
/// `orcha backfill`'s bar) and the per-node summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeScanned {
    pub node: NodeId,
    /// Nodes read so far, of `total`.
    pub done: u32,
    pub total: u32,
    /// Payout events and earned periods of this node stored for the first time.
    pub payouts_added: usize,
    pub periods_added: usize,
    /// What this node could not provide, and why.
    pub gaps: Vec<String>,
}

/// [`scan`] of one node (`only`) or all, calling `progress` after each node is read.
pub async fn scan_nodes(
    state: &Arc<AppState>,
    only: Option<&NodeId>,
    timeout: Duration,
    progress: &mut (dyn FnMut(&NodeScanned) + Send),
) -> PayoutScan {
    let mut out = PayoutScan::default();
    let nodes: Vec<_> = state
        .nodes
        .iter()
        .filter(|n| only.is_none_or(|id| &n.config.id == id))
        .collect();
    let total = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
    for (i, node) in nodes.into_iter().enumerate() {
        let (gaps_before, added_before, periods_before) =
            (out.failed.len(), out.added.len(), out.periods_added);
        read_node(state, node, timeout, &mut out).await;
        let step = NodeScanned {
            node: node.config.id.clone(),
            done: u32::try_from(i + 1).unwrap_or(u32::MAX),
            total,
            payouts_added: out.added.len() - added_before,
            periods_added: out.periods_added - periods_before,
            gaps: out.failed[gaps_before..]
                .iter()
                .map(|(_, why)| why.clone())
                .collect(),
        };
        state.publish(crate::dto::Event::MoneyScan(
            crate::dto::MoneyScanEventDto {
                node: Some(step.node.to_string()),
                done: step.done,
                total,
                added: out.added_count(),
                gap: step.gaps.iter().cloned().reduce(|a, b| format!("{a}; {b}")),
                finished: false,
            },
        ));
        progress(&step);
    }
    state.publish(crate::dto::Event::MoneyScan(
        crate::dto::MoneyScanEventDto {
            node: None,
            done: total,
            total,
            added: out.added_count(),
            gap: None,
            finished: true,
        },
    ));
    out
}

impl PayoutScan {
    fn added_count(&self) -> u32 {
        u32::try_from(self.added.len() + self.periods_added).unwrap_or(u32::MAX)
    }
}

/// One node's payout record and past periods, into the store; what it cannot give goes to
/// `out.failed`.
async fn read_node(
    state: &Arc<AppState>,
    node: &crate::state::NodeRuntime,
    timeout: Duration,
    out: &mut PayoutScan,
) {
    let id = node.config.id.clone();
    // The history backfill reads the same records (Storj's cached paystubs, Golem's invoices)
    // or the operator's subgraph; what a node cannot give is recorded, not guessed.
    match tokio::time::timeout(timeout, node.adapter.earnings_history()).await {
        Ok(Ok(periods)) if !periods.is_empty() => {
            let (n, now) = (id.clone(), state.clock.now());
            match state
                .db(move |s| s.record_earned_periods(&n, &periods, now))
                .await
            {
                Ok(k) => out.periods_added += k,
                Err(e) => out.failed.push((id.clone(), format!("history: {e}"))),
            }
        }
        Ok(Ok(_)) => {}
        Ok(Err(e)) => out.failed.push((id.clone(), format!("history: {e}"))),
        Err(_) => out.failed.push((
            id.clone(),
            format!("history: no answer within {} s", timeout.as_secs()),
        )),
    }
    let events = match tokio::time::timeout(timeout, node.adapter.payouts()).await {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => {
            out.failed.push((id, format!("payouts: {e}")));
            return;
        }
        Err(_) => {
            out.failed.push((
                id,
                format!("payouts: no answer within {} s", timeout.as_secs()),
            ));
            return;
        }
    };
    if events.is_empty() {
        return;
    }
    let (node_id, now) = (id.clone(), state.clock.now());
    match state
        .db(move |s| s.record_payouts(&node_id, &events, now))
        .await
    {
        Ok(added) => out.added.extend(added.into_iter().map(|e| (id.clone(), e))),
        Err(e) => out.failed.push((id, format!("payouts: {e}"))),
    }
}
