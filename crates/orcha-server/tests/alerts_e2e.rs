//! Alerts end to end over the simulator: Orcha's real adapters poll it in simulated time; an
//! earnings-drop fault and a node-offline fault each produce exactly one alert, published as an
//! event and stored, and each clears once the fault is over.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Duration;
use orcha_api::alerts;
use orcha_api::dto::Event;
use orcha_api::orchestrator::poll_node;
use orcha_api::AppState;
use orcha_core::config::Config;
use orcha_core::ProtocolId;
use orcha_server::demo::{self, DemoOptions};
use orcha_server::startup;
use orcha_sim::{FaultKind, OfflineMode, Scenario, SimConfig, SimHandle};
use orcha_store::AlertRow;

fn env(_: &str) -> Option<String> {
    None
}

async fn step(state: &Arc<AppState>, sim: &SimHandle, cycle: bool) {
    sim.step(Duration::minutes(30)).await.unwrap();
    for n in &state.nodes {
        poll_node(state, n).await;
    }
    if cycle {
        alerts::after_cycle(state, 0).await;
    }
}

async fn all_alerts(state: &AppState) -> Vec<AlertRow> {
    let mut v = state.db(|s| s.alerts(true, 500)).await.unwrap();
    v.reverse();
    v
}

fn summary(rows: &[AlertRow]) -> Vec<String> {
    rows.iter()
        .map(|a| {
            format!(
                "{} {} {}",
                a.rule,
                a.node.as_deref().unwrap_or("-"),
                if a.cleared_at.is_some() {
                    "cleared"
                } else {
                    "open"
                }
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earnings_drop_and_offline_faults_each_raise_one_alert_that_clears() {
    let dir = tempfile::tempdir().unwrap();
    let mut sim_config = SimConfig::stepped(Scenario::minimal(), dir.path().join("sim"));
    sim_config.start = Some(chrono::Utc::now());
    let mut base = Config::default();
    base.orchestrator.poll_timeout = 1;
    let d = demo::start(&base, dir.path(), Some(sim_config), &DemoOptions::default())
        .await
        .unwrap();
    let state = startup::assemble(
        d.config.clone(),
        Arc::clone(&d.secrets),
        &env,
        Arc::clone(&d.clock),
        true,
    )
    .unwrap()
    .state;
    let sim = d.sim;
    // Collect alert events as they come: the bus also carries every sample and would lag.
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let collector = {
        let (mut rx, events) = (state.subscribe(), Arc::clone(&events));
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(Event::Alert(a)) => {
                        events.lock().unwrap().push((a.id, a.cleared_at.is_some()))
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        })
    };

    // A day and a half of normal operation builds the earnings baseline (the same hours of the
    // previous day must be covered).
    for i in 0..72 {
        step(&state, &sim, i % 24 == 0).await;
    }
    alerts::after_cycle(&state, 0).await;
    let before = all_alerts(&state).await;
    let baseline_count = before.len();
    eprintln!("after the baseline: {:?}", summary(&before));

    // Streamr earns 80 % less for four hours (its lifetime figure moves every poll; Storj's
    // estimate is read on a slower real-time interval than this stepped run advances).
    sim.inject_fault(
        ProtocolId::Streamr,
        FaultKind::EarningsDrop { percent: 80.0 },
        Some(240),
    )
    .await;
    for _ in 0..8 {
        step(&state, &sim, true).await;
    }
    let during = all_alerts(&state).await;
    eprintln!("during the drop: {:?}", summary(&during));
    let drops: Vec<&AlertRow> = during[baseline_count..]
        .iter()
        .filter(|a| a.rule == "earnings_drop" && a.node.as_deref() == Some("streamr:main"))
        .collect();
    assert_eq!(drops.len(), 1, "{:?}", summary(&during));
    assert!(drops[0].cleared_at.is_none());
    let drop_id = drops[0].id;

    // The fault is over: the window recovers and the alert clears.
    for _ in 0..10 {
        step(&state, &sim, true).await;
    }
    let after = all_alerts(&state).await;
    let drop = after.iter().find(|a| a.id == drop_id).unwrap();
    assert!(drop.cleared_at.is_some(), "{:?}", summary(&after));
    assert_eq!(
        after[baseline_count..]
            .iter()
            .filter(|a| a.rule == "earnings_drop" && a.node.as_deref() == Some("streamr:main"))
            .count(),
        1,
        "{:?}",
        summary(&after)
    );

    // Golem goes offline for three hours: after three failed polls, one alert; then a clear.
    let count = after.len();
    sim.inject_fault(
        ProtocolId::Golem,
        FaultKind::Offline {
            mode: OfflineMode::Refused,
        },
        Some(180),
    )
    .await;
    for _ in 0..6 {
        step(&state, &sim, false).await;
    }
    let offline = all_alerts(&state).await;
    let down: Vec<&AlertRow> = offline[count..]
        .iter()
        .filter(|a| a.rule == "node_unavailable")
        .collect();
    assert_eq!(down.len(), 1, "{:?}", summary(&offline));
    assert_eq!(down[0].node.as_deref(), Some("golem:main"));
    assert_eq!(down[0].severity, "critical");
    let down_id = down[0].id;
    for _ in 0..2 {
        step(&state, &sim, false).await;
    }
    let back = all_alerts(&state).await;
    assert!(
        back.iter()
            .find(|a| a.id == down_id)
            .unwrap()
            .cleared_at
            .is_some(),
        "{:?}",
        summary(&back)
    );

    // Both incidents reached subscribers on open and on clear.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    collector.abort();
    let events = events.lock().unwrap().clone();
    for id in [drop_id, down_id] {
        assert!(events.contains(&(id, false)), "{id}: {events:?}");
        assert!(events.contains(&(id, true)), "{id}: {events:?}");
    }
    alerts::flush(&state).await;
    sim.shutdown().await;
}
