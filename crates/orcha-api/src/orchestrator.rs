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

/// Starts the polling tasks and the cycle loop.
pub fn spawn(state: Arc<AppState>, cancel: CancellationToken) -> OrchestratorHandle {
    let mut tasks = JoinSet::new();
    for node in state.nodes.clone() {
        let (state, cancel) = (Arc::clone(&state), cancel.clone());
        tasks.spawn(async move {
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
        });
    }
    // The price refresher lives and stops with the loop, like the pollers.
    tasks.spawn(crate::prices::run(Arc::clone(&state), cancel.clone()));
    tasks.spawn(crate::fleet_metrics::run(
        Arc::clone(&state),
        cancel.clone(),
    ));
    let (state, cancel) = (Arc::clone(&state), cancel.clone());
    let cancel_for_handle = cancel.clone();
    tasks.spawn(async move {
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
    });
    OrchestratorHandle {
        cancel: cancel_for_handle,
        tasks,
    }
}
