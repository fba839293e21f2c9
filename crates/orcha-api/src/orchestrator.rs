//! The orchestrator loop: per-node polling tasks and the six-step optimization cycle.
//!
//! Each node is polled by its own task on its own interval (the poll itself is `crate::poll`),
//! so one slow or broken node never stalls another. The cycle (collect → predict →
//! optimize → evaluate → apply → monitor) runs every `optimization_interval` or on demand; every
//! step is recorded in the store and emitted as an event (the steps live in `crate::cycle`). Shutdown is two-phase: cancel, wait
//! for the tasks up to a deadline, then abort what is left.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use crate::cycle::run_cycle;
pub use crate::poll::PollOutcome;
use crate::state::{AppState, NodeRuntime};
use crate::supervisor::{supervise, Backoff};

/// Polls one node once and runs the alert rules on the outcome: what every poll task does.
pub async fn poll_node(state: &AppState, node: &NodeRuntime) -> PollOutcome {
    let outcome = crate::poll::poll_node(state, node).await;
    crate::alerts::after_poll(state, node, &outcome).await;
    outcome
}

/// The running loop's tasks; dropping it does not stop them, `shutdown` does.
pub struct OrchestratorHandle {
    cancel: CancellationToken,
    tasks: JoinSet<()>,
}

impl OrchestratorHandle {
    /// Cancels every task, waits up to `deadline` for them to finish, then aborts the rest.
    pub async fn shutdown(mut self, deadline: Duration) {
        self.cancel.cancel();
        let drained = tokio::time::timeout(deadline, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                left = self.tasks.len(),
                "Tasks did not stop in time; aborting them."
            );
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
    }
}

/// Starts the polling tasks, the price feed and the cycle loop, each under a supervisor that
/// restarts it after a panic (see `crate::supervisor`).
pub fn spawn(state: Arc<AppState>, cancel: CancellationToken) -> OrchestratorHandle {
    spawn_with(state, cancel, Backoff::default())
}

/// `spawn` with a chosen restart back-off (tests use a short one).
pub fn spawn_with(
    state: Arc<AppState>,
    cancel: CancellationToken,
    backoff: Backoff,
) -> OrchestratorHandle {
    let mut tasks = JoinSet::new();
    let metrics = state.metrics.clone();
    for node in state.nodes.clone() {
        let (s, c) = (Arc::clone(&state), cancel.clone());
        tasks.spawn(supervise(
            format!("poll:{}", node.config.id),
            metrics.clone(),
            cancel.clone(),
            backoff,
            move || poll_loop(Arc::clone(&s), Arc::clone(&node), c.clone()),
        ));
    }
    // The price refresher lives and stops with the loop, like the pollers.
    let (s, c) = (Arc::clone(&state), cancel.clone());
    tasks.spawn(supervise(
        "prices".to_owned(),
        metrics.clone(),
        cancel.clone(),
        backoff,
        move || crate::prices::run(Arc::clone(&s), c.clone()),
    ));
    // The fleet's earnings gauges: the same figures the Earnings screen shows, for Prometheus.
    let (s, c) = (Arc::clone(&state), cancel.clone());
    tasks.spawn(supervise(
        "fleet_metrics".to_owned(),
        metrics.clone(),
        cancel.clone(),
        backoff,
        move || crate::fleet_metrics::run(Arc::clone(&s), c.clone()),
    ));
    // Scheduled backups (`backup.interval_hours`, followed live from Settings; idle while 0).
    let (s, c) = (Arc::clone(&state), cancel.clone());
    tasks.spawn(supervise(
        "backup".to_owned(),
        metrics.clone(),
        cancel.clone(),
        backoff,
        move || crate::backups::run(Arc::clone(&s), c.clone()),
    ));
    // #20: the nodes' payout records, read at start (backfill) and hourly, stored once.
    let (s, c) = (Arc::clone(&state), cancel.clone());
    tasks.spawn(supervise(
        "payouts".to_owned(),
        metrics.clone(),
        cancel.clone(),
        backoff,
        move || crate::payouts::run(Arc::clone(&s), c.clone()),
    ));
    let (s, c) = (Arc::clone(&state), cancel.clone());
    tasks.spawn(supervise(
        "cycle".to_owned(),
        metrics,
        cancel.clone(),
        backoff,
        move || cycle_loop(Arc::clone(&s), c.clone()),
    ));
    OrchestratorHandle { cancel, tasks }
}

async fn poll_loop(state: Arc<AppState>, node: Arc<NodeRuntime>, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(node.config.poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = poll_node(&state, &node) => {}
                }
            }
        }
    }
}

async fn cycle_loop(state: Arc<AppState>, cancel: CancellationToken) {
    // An apply the process (or this task) died in is undone before anything else is decided.
    crate::cycle::apply::reconcile(&state).await;
    let period = Duration::from_secs(state.config.orchestrator.optimization_interval);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick fires at once; let the pollers deliver a first reading before a cycle.
    tick.tick().await;
    loop {
        state.set_next_cycle_at(Some(
            state.clock.now() + chrono::Duration::from_std(period).unwrap_or_default(),
        ));
        let trigger = tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => "interval",
            _ = state.cycle_now.notified() => "manual",
        };
        let run = run_cycle(&state, trigger);
        tokio::select! {
            _ = cancel.cancelled() => break,
            r = run => if let Err(e) = r {
                tracing::error!(error = %e, "Optimization cycle failed.");
            }
        }
    }
    state.set_next_cycle_at(None);
}
