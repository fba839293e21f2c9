//! `orcha bench loop`: the real orchestrator run against the stepped simulator, scored against
//! holding still, the best static split and a perfect-foresight oracle.
//!
//! Everything but the node programs is the product itself: the adapters poll the simulator's
//! real API shapes over HTTP, every cycle collects, predicts (with the real ML engine unless
//! `--no-ml`), optimizes, evaluates with the operator's policy and applies through the real
//! knobs with auto-apply on for every node. Only time is fast: the simulator is stepped instead
//! of waited for. The simulator's ledger is what the loop achieved; holding still is the same
//! scenario replayed with no change; the oracle and the static policies come from the same truth.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use orcha_api::orchestrator::{poll_node, run_cycle};
use orcha_api::AppState;
use orcha_core::config::{Config, NodeEnforcement};
use orcha_core::event::CycleStep;
use orcha_sim::oracle::{replay, scenario_cycles};
use orcha_sim::{Scenario, SimConfig};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::{demo, startup};

/// What to run.
#[derive(Debug, Clone)]
pub struct LoopBenchOptions {
    pub scenario: PathBuf,
    /// Simulated days; default the scenario's own duration.
    pub days: Option<u64>,
    pub seed: Option<u64>,
    /// Run without the ML engine (the Rust fallback optimizer plans, and may apply).
    pub no_ml: bool,
    /// Scratch directory for the database, the simulator's files and the engine's models.
    pub work_dir: PathBuf,
}

/// The one JSON object `orcha bench loop --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct LoopBenchResult {
    pub scenario: String,
    pub days: f64,
    pub seed: u64,
    pub achieved_usd: f64,
    pub hold_usd: f64,
    pub equal_split_usd: f64,
    pub best_static_usd: f64,
    pub oracle_usd: f64,
    /// (achieved − hold) / (oracle − hold); `None` when the oracle cannot beat holding still.
    pub capture: Option<f64>,
    pub cycles: usize,
    pub changes_applied: usize,
    pub probes: usize,
    /// Cycles whose predict step the ML engine answered.
    pub ml_cycles: usize,
    pub ml_used: bool,
    pub wall_s: f64,
    /// Where the wall time went: stepping the simulator, polling the nodes, and each cycle step
    /// (from the same histogram `/metrics` serves), in seconds.
    pub seconds: TimeSpent,
}

/// Wall seconds by part of the loop.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TimeSpent {
    /// Replaying the hold-still policy, starting the simulator, the store and the ML engine.
    pub setup: f64,
    /// The oracle and the static policies, after the loop.
    pub scoring: f64,
    /// The whole loop (polls, cycles and what runs between them).
    pub loop_total: f64,
    /// Stopping the ML engine.
    pub engine_stop: f64,
    pub simulator: f64,
    pub polls: f64,
    pub steps: std::collections::BTreeMap<String, f64>,
}

/// Minutes between polls inside a cycle: the readings the cycle plans on.
const POLL_STEP_MINUTES: u64 = 30;

fn no_env(_: &str) -> Option<String> {
    None
}

/// Runs the loop over the scenario and scores it.
pub async fn run(options: &LoopBenchOptions) -> Result<LoopBenchResult> {
    let started = Instant::now();
    let mut scenario = Scenario::load(&options.scenario)
        .with_context(|| format!("cannot load the scenario {}", options.scenario.display()))?;
    if let Some(days) = options.days {
        scenario.duration_minutes = days.max(1) * 24 * 60;
    }
    if let Some(seed) = options.seed {
        scenario.seed = seed;
    }
    let cycles = scenario_cycles(&scenario);
    if cycles == 0 {
        bail!(
            "{}: the scenario is shorter than one cycle ({} minutes)",
            options.scenario.display(),
            scenario.cycle_minutes
        );
    }
    let name = scenario.name.clone();
    let hold_usd = replay(&scenario, &[], cycles);
    std::fs::create_dir_all(&options.work_dir)
        .with_context(|| format!("cannot create {}", options.work_dir.display()))?;

    let sim_config = SimConfig::stepped(scenario.clone(), options.work_dir.join("sim"));
    let mut base = Config::default();
    // Jobs lost when a profile changes are part of the switching cost the policy weighs.
    base.protocols.golem.allow_interrupt = true;
    base.allocation.fallback_auto_apply = options.no_ml;
    base.orchestrator.data_dir = options.work_dir.display().to_string();
    for node in ["storj:main", "golem:main", "streamr:main", "grass:main"] {
        base.allocation.nodes.insert(
            node.into(),
            NodeEnforcement {
                auto_apply: Some(true),
                ..NodeEnforcement::default()
            },
        );
    }
    let d = demo::start(
        &base,
        &options.work_dir,
        Some(sim_config),
        &demo::DemoOptions::default(),
    )
    .await?;
    let assembly = startup::assemble(
        d.config.clone(),
        Arc::clone(&d.secrets),
        &no_env,
        Arc::clone(&d.clock),
        true,
    )?;
    let state = assembly.state;
    let cancel = CancellationToken::new();
    let engine = if options.no_ml {
        None
    } else {
        // The engine is found as the app finds it (ORCHA_ML_COMMAND, the venv beside the binary).
        let env = |k: &str| std::env::var(k).ok();
        let task = startup::start_ml_engine(&state, &env, cancel.clone());
        wait_for_engine(&state).await?;
        task
    };

    let setup = started.elapsed().as_secs_f64();
    let result = drive(&state, &d.sim, &scenario, cycles).await;
    let loop_total = started.elapsed().as_secs_f64() - setup;
    cancel.cancel();
    if let Some(task) = engine {
        // The supervisor stops the engine on cancel; don't wait for ever on a stuck one.
        let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
    }
    let engine_stop = started.elapsed().as_secs_f64() - setup - loop_total;
    let (ml_cycles, probes, mut seconds) = result?;
    seconds.setup = setup;
    seconds.loop_total = loop_total;
    seconds.engine_stop = engine_stop;
    let t = Instant::now();
    for step in CycleStep::ALL {
        let name = step.as_str();
        if let Ok(h) = state
            .metrics
            .cycle_step_duration
            .get_metric_with_label_values(&[name])
        {
            seconds.steps.insert(name.to_owned(), h.get_sample_sum());
        }
    }
    let score = d.sim.score();
    // The simulator's history opens with the starting allocation, which no cycle applied.
    let changes_applied = d
        .sim
        .history()
        .iter()
        .filter(|c| c.cause != "start")
        .count();
    d.sim.shutdown().await;
    seconds.scoring = t.elapsed().as_secs_f64();
    let achieved_usd = score.achieved_usd.unwrap_or(0.0);
    let capture = (score.oracle_usd - hold_usd > 1e-9)
        .then(|| (achieved_usd - hold_usd) / (score.oracle_usd - hold_usd));
    Ok(LoopBenchResult {
        scenario: name,
        days: (cycles as u64 * scenario.cycle_minutes) as f64 / (24.0 * 60.0),
        seed: scenario.seed,
        achieved_usd,
        hold_usd,
        equal_split_usd: score.equal_split_usd,
        best_static_usd: score.best_static_usd,
        oracle_usd: score.oracle_usd,
        capture,
        cycles,
        changes_applied,
        probes,
        ml_cycles,
        ml_used: ml_cycles > 0,
        wall_s: started.elapsed().as_secs_f64(),
        seconds,
    })
}

/// Polls every node each `POLL_STEP_MINUTES` of simulated time and runs a cycle at every cycle
/// boundary. Returns how many cycles the ML engine predicted for, and how many decisions were
/// labelled as probes, and the time spent stepping and polling.
async fn drive(
    state: &Arc<AppState>,
    sim: &orcha_sim::SimHandle,
    scenario: &Scenario,
    cycles: usize,
) -> Result<(usize, usize, TimeSpent)> {
    let mut spent = TimeSpent::default();
    let polls_per_cycle = (scenario.cycle_minutes / POLL_STEP_MINUTES).max(1);
    let step = scenario.cycle_minutes / polls_per_cycle;
    let mut ml_cycles = 0;
    for cycle in 0..cycles {
        for _ in 0..polls_per_cycle {
            let t = Instant::now();
            sim.step(chrono::Duration::minutes(step as i64))
                .await
                .context("the simulator could not step")?;
            spent.simulator += t.elapsed().as_secs_f64();
            let t = Instant::now();
            for n in &state.nodes {
                poll_node(state, n).await;
            }
            spent.polls += t.elapsed().as_secs_f64();
        }
        // The first cycle has no history to plan on; the loop still runs it, as the app would.
        run_cycle(state, "bench")
            .await
            .with_context(|| format!("cycle {cycle} failed"))?;
        if state.ml_status().available {
            ml_cycles += 1;
        }
    }
    let decisions = state
        .db(|s| s.decisions(100_000))
        .await
        .context("cannot read the decisions")?;
    let probes = decisions
        .iter()
        .filter(|d| d.reason.contains("probe"))
        .count();
    Ok((ml_cycles, probes, spent))
}

async fn wait_for_engine(state: &Arc<AppState>) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if state.ml_status().available {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!(
        "the ML engine did not become available in 120 s ({}); run with --no-ml to bench the fallback",
        state.ml_status().detail
    )
}
