//! The closed loop against the simulator: a demand surge on Golem makes one cycle move cores to
//! Golem when the operator opted into auto-apply, and only recommend it in dry-run mode.
//!
//! Everything is real except the node programs: the simulator serves yagna's API and a fake
//! `ya-provider` over a real `hardware.json`, Orcha's adapters poll it over HTTP, the Rust
//! fallback optimizer plans (no ML engine here, so `fallback_auto_apply` is on), the policy
//! judges, and the knob backend writes the profile the simulator then reads back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Duration;
use orcha_api::orchestrator::{poll_node, run_cycle};
use orcha_api::AppState;
use orcha_core::config::{Config, NodeEnforcement};
use orcha_core::ProtocolId;
use orcha_server::demo::{self, DemoOptions};
use orcha_server::startup;
use orcha_sim::model::Regime;
use orcha_sim::{Scenario, SimConfig, SimHandle};

fn env(_: &str) -> Option<String> {
    None
}

/// Minutes of simulated time before the surge: Golem has no jobs at all until then.
const SURGE_AT: u64 = 24 * 60;

struct Run {
    state: Arc<AppState>,
    sim: SimHandle,
    _dir: tempfile::TempDir,
}

async fn start(auto_apply: bool) -> Run {
    start_with(auto_apply, "0.05", |_, _| {}).await
}

/// `margin_usd`: what a plan must gain over its switching cost before it is applied; `adjust`
/// changes the scenario and the operator's config last.
async fn start_with(
    auto_apply: bool,
    margin_usd: &str,
    adjust: impl FnOnce(&mut Scenario, &mut Config),
) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut scenario = Scenario::minimal();
    scenario.market.regimes = vec![
        Regime {
            protocol: ProtocolId::Golem,
            start_minute: 0,
            end_minute: SURGE_AT,
            multiplier: 0.0,
            label: "no demand".into(),
        },
        Regime {
            protocol: ProtocolId::Golem,
            start_minute: SURGE_AT,
            end_minute: 10 * 24 * 60,
            multiplier: 6.0,
            label: "surge".into(),
        },
    ];
    // One thread to start with: the Golem knob's range ends at this machine's core count.
    scenario.initial.golem_cpu_threads = 1.0;
    // A surge worth a restart: this provider's preset charges 1 GLM per CPU-hour (a premium
    // preset). At golemsp's default 0.025 GLM/h a day of surge on a few more threads earns less
    // than the policy's margin, and holding still is then the right answer
    // (docs/economics.md, Golem).
    scenario.economics.golem.cpu_glm_per_hour = 1.0;
    let mut base = Config::default();
    // During a surge jobs never stop arriving; the operator accepts interrupting them (the lost
    // job is part of the switching cost the policy weighs).
    base.protocols.golem.allow_interrupt = true;
    let a = &mut base.allocation;
    // The scenario's machine, not this test box's, is what Orcha may hand out.
    a.grant_cpu_cores = 8.0;
    a.grant_memory_mib = 16 * 1024;
    a.grant_disk_gib = 4000;
    a.fiat_per_token.insert("glm".into(), "0.25".into());
    a.fiat_per_token.insert("data".into(), "0.02".into());
    // No ML engine runs in this test; the Rust optimizer's plans may be applied.
    a.fallback_auto_apply = true;
    a.min_dwell_secs = 0;
    a.margin_usd = margin_usd.to_owned();
    a.nodes.insert(
        "golem:main".into(),
        NodeEnforcement {
            auto_apply: Some(auto_apply),
            ..NodeEnforcement::default()
        },
    );
    adjust(&mut scenario, &mut base);
    let mut sim_config = SimConfig::stepped(scenario, dir.path().join("sim"));
    // Start at a month's beginning: Storj extrapolates the month's payout from the days since
    // the 1st, which only reads true for a node that ran all of them.
    sim_config.start = Some(
        chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .to_utc(),
    );
    let d = demo::start(&base, dir.path(), Some(sim_config), &DemoOptions::default())
        .await
        .unwrap();
    let assembly = startup::assemble(
        d.config.clone(),
        Arc::clone(&d.secrets),
        &env,
        Arc::clone(&d.clock),
        true,
    )
    .unwrap();
    Run {
        state: assembly.state,
        sim: d.sim,
        _dir: dir,
    }
}

/// Steps the simulator `hours` in 30-minute steps, polling every node after each step.
async fn advance(run: &Run, hours: u32) {
    for _ in 0..hours * 2 {
        run.sim.step(Duration::minutes(30)).await.unwrap();
        for n in &run.state.nodes {
            poll_node(&run.state, n).await;
        }
    }
}

/// The newest decision's verdict and reason.
async fn last_decision(state: &Arc<AppState>) -> (String, String, Option<String>) {
    let rows = state.db(|s| s.decisions(1)).await.unwrap();
    let d = rows.first().expect("a decision was recorded").clone();
    let reason = format!(
        "{} (applied: {:?}; rollback: {:?})",
        d.reason, d.applied_result, d.rollback
    );
    (d.verdict, reason, d.proposed_plan)
}

fn golem_cores(run: &Run) -> f64 {
    run.sim.allocation().golem_cpu_threads
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_golem_surge_moves_cores_in_auto_mode_within_one_cycle() {
    let run = start(true).await;
    advance(&run, 20).await;
    let before = golem_cores(&run);
    run_cycle(&run.state, "test").await.unwrap();
    let (verdict, reason, _) = last_decision(&run.state).await;
    assert_ne!(verdict, "apply", "no jobs, nothing to gain: {reason}");
    assert_eq!(golem_cores(&run), before, "Golem untouched without demand");

    // The surge starts at hour 24; six hours of it show Golem renting every thread it offers.
    advance(&run, 10).await;
    run_cycle(&run.state, "test").await.unwrap();
    let (verdict, reason, plan) = last_decision(&run.state).await;
    assert_eq!(
        verdict, "apply",
        "the surge pays for the change: {reason}; plan {plan:?}"
    );
    let after = golem_cores(&run);
    assert!(
        after > before,
        "Golem got more cores: {before} -> {after} ({reason}; plan {plan:?})"
    );
    let changes = run.sim.history();
    assert!(
        !changes.is_empty(),
        "the simulator saw the profile change through ya-provider"
    );
    run.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_dry_run_the_same_surge_is_only_recommended() {
    let run = start(false).await;
    advance(&run, 30).await;
    let before = golem_cores(&run);
    run_cycle(&run.state, "test").await.unwrap();
    let (verdict, reason, plan) = last_decision(&run.state).await;
    assert_eq!(verdict, "recommend", "dry-run only recommends: {reason}");
    assert!(
        reason.contains("golem:main") && reason.contains("not opted into auto-apply"),
        "the reason names the node and why: {reason}"
    );
    let plan = plan.expect("the recommended plan is stored");
    assert!(plan.contains("golem:main"), "plan names Golem: {plan}");
    assert_eq!(golem_cores(&run), before, "nothing was applied");
    run.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_approves_a_recommended_plan_but_not_an_old_one() {
    // 4.5 cores between Golem (1, not opted in) and Streamr (2, opted in; it needs one): the
    // surge plan takes Streamr down to its floor and gives Golem more. Streamr's part gains
    // nothing on its own, so the whole plan waits for the operator (a partial apply that only
    // shrank Streamr would be a change for nothing; `policy.rs` covers partial applies).
    let run = start_with(false, "0.05", |scenario, c| {
        // The simulated machine is what the demo grants (demo mode sets the grant from it).
        scenario.budget.cpu_threads = 4.5;
        c.allocation
            .nodes
            .entry("streamr:main".into())
            .or_default()
            .auto_apply = Some(true);
    })
    .await;
    advance(&run, 30).await;
    run_cycle(&run.state, "test").await.unwrap();
    let rows = run.state.db(|s| s.decisions(1)).await.unwrap();
    let partial = rows.first().expect("a decision").clone();
    assert_eq!(partial.verdict, "recommend", "{}", partial.reason);
    assert!(
        partial
            .reason
            .contains("golem:main not opted into auto-apply"),
        "Golem's part waits for the operator: {}",
        partial.reason
    );
    let plan: serde_json::Value =
        serde_json::from_str(partial.proposed_plan.as_deref().unwrap_or("{}")).unwrap();
    let streamr_cpu = plan["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| n["node"] == "streamr:main")
        .and_then(|n| n["proposed"]["cpu"].as_u64())
        .unwrap_or(0);
    assert!(
        (1300..2000).contains(&streamr_cpu),
        "Streamr is planned down, never under its floor (1 thread + 25 %): {plan}"
    );
    assert_eq!(
        run.sim.allocation().streamr_cpu_threads,
        2.0,
        "nothing applied yet"
    );
    let golem_before = golem_cores(&run);

    let approved = orcha_api::ops::approve_plan(
        &run.state,
        orcha_api::dto::ApprovePlanRequest {
            decision_id: partial.id,
        },
        orcha_api::Actor::Api,
    )
    .await
    .expect("the rest of the plan can be approved");
    assert_eq!(approved.status, "applied", "{:?}", approved.detail);
    advance(&run, 1).await;
    let streamr = run.sim.allocation().streamr_cpu_threads;
    assert!(
        (1.0..2.0).contains(&streamr),
        "Streamr went down to its floor and no lower: {streamr}"
    );
    assert!(
        golem_cores(&run) > golem_before,
        "Golem's profile grew through ya-provider: {golem_before} -> {}",
        golem_cores(&run)
    );

    // A newer cycle replaces the plan; the old one can no longer be approved.
    run_cycle(&run.state, "test").await.unwrap();
    let err = orcha_api::ops::approve_plan(
        &run.state,
        orcha_api::dto::ApprovePlanRequest {
            decision_id: partial.id,
        },
        orcha_api::Actor::Api,
    )
    .await
    .expect_err("an older plan is refused");
    assert!(
        err.message.contains("replaced by a newer plan"),
        "{}",
        err.message
    );
    run.sim.shutdown().await;
}
