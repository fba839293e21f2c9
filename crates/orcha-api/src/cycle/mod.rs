//! The optimization cycle: collect → predict → optimize → evaluate → apply → monitor.
//!
//! Each step is a module with one `run` function that returns its `StepOutcome` and whatever the
//! next step needs. `run_cycle` records every outcome in the store and emits it as an event, so
//! the operator can always see what the cycle did and why it stopped where it stopped.

pub mod apply;
pub mod belief;
pub mod demand;
pub mod engine_plan;
pub mod evaluate;
pub mod journal;
pub mod monitor;
pub mod optimize;
pub mod plan;
pub mod predict;
pub mod response;
pub mod routes;

use std::sync::Arc;
use std::time::Instant;

use orcha_core::event::{CycleStep, DomainEvent, StepOutcome};
use orcha_store::{to_ms, CycleStepRow};

use crate::error::DbError;
use crate::state::AppState;

/// Runs one optimization cycle and returns its id. Every step is recorded and emitted.
pub async fn run_cycle(state: &Arc<AppState>, trigger: &str) -> Result<i64, DbError> {
    let started_at = state.clock.now();
    let cycle = state.db(move |s| s.begin_cycle(started_at)).await?;
    state.metrics.cycles.with_label_values(&[trigger]).inc();
    tracing::info!(cycle, trigger, "Optimization cycle started.");

    // 1. Collect: every node in parallel; each poll is bounded by its own timeouts.
    let t = Instant::now();
    let polls = futures::future::join_all(state.nodes.iter().map(|n| async move {
        let outcome = crate::poll::poll_node(state, n).await;
        crate::alerts::after_poll(state, n, &outcome).await;
        outcome
    }))
    .await;
    let ok = polls.iter().filter(|p| p.ok).count();
    let collect = if state.nodes.is_empty() {
        StepOutcome::Skipped("no node is configured".to_owned())
    } else if ok == 0 {
        StepOutcome::Failed(format!("no node answered (0 of {})", polls.len()))
    } else {
        StepOutcome::Done(format!("{ok} of {} nodes answered", polls.len()))
    };
    record_step(state, cycle, CycleStep::Collect, collect, t).await;

    let t = Instant::now();
    let (outcome, forecasts) = predict::run(state, cycle).await;
    let why = outcome.detail().to_owned();
    record_step(state, cycle, CycleStep::Predict, outcome, t).await;

    let t = Instant::now();
    let (outcome, plan) = optimize::run(state, cycle, forecasts.as_ref(), &why).await;
    let why = outcome.detail().to_owned();
    record_step(state, cycle, CycleStep::Optimize, outcome, t).await;

    let t = Instant::now();
    let (outcome, evaluation) = evaluate::run(state, cycle, plan, &why).await?;
    record_step(state, cycle, CycleStep::Evaluate, outcome, t).await;

    let t = Instant::now();
    let outcome = apply::run(state, cycle, &evaluation).await;
    record_step(state, cycle, CycleStep::Apply, outcome, t).await;

    let t = Instant::now();
    let outcome = monitor::run(state, cycle, forecasts.as_ref()).await;
    record_step(state, cycle, CycleStep::Monitor, outcome, t).await;

    let finished = state.clock.now();
    state.db(move |s| s.finish_cycle(cycle, finished)).await?;
    crate::alerts::after_cycle(state, cycle).await;
    tracing::info!(cycle, "Optimization cycle finished.");
    Ok(cycle)
}

async fn record_step(
    state: &AppState,
    cycle: i64,
    step: CycleStep,
    outcome: StepOutcome,
    started: Instant,
) {
    state
        .metrics
        .cycle_step_duration
        .with_label_values(&[step.as_str()])
        .observe(started.elapsed().as_secs_f64());
    let at = state.clock.now();
    let row = CycleStepRow {
        cycle,
        step: step.as_str().to_owned(),
        status: outcome.status().to_owned(),
        detail: outcome.detail().to_owned(),
        finished_at: to_ms(at),
    };
    if let Err(e) = state.db(move |s| s.record_cycle_step(&row)).await {
        tracing::error!(cycle, step = step.as_str(), error = %e, "Could not record a cycle step.");
    }
    state.publish_domain(&DomainEvent::CycleStep {
        cycle,
        step,
        outcome,
        at,
    });
}
