//! End to end over real HTTP: the simulator serves the four protocols, Orcha's real adapters
//! poll it for three simulated days with every kind of fault injected, and the store, health
//! states and cycle records come out as expected — without a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use orcha_api::orchestrator::{poll_node, run_cycle};
use orcha_core::config::Config;
use orcha_core::{ProtocolId, Token};
use orcha_server::demo::{self, DemoOptions};
use orcha_server::startup;
use orcha_sim::{FaultKind, OfflineMode, Scenario, SimConfig, StorjShape};

fn env(_: &str) -> Option<String> {
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_simulated_days_with_every_fault_kind() {
    let dir = tempfile::tempdir().unwrap();
    let mut sim_config = SimConfig::stepped(Scenario::minimal(), dir.path().join("sim"));
    sim_config.start = Some(chrono::Utc::now());
    sim_config.sse_interval = std::time::Duration::from_millis(20);
    let mut base = Config::default();
    // A slow node must count as a timeout quickly.
    base.orchestrator.poll_timeout = 1;
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
    let state = assembly.state;
    assert!(
        assembly.database.starts_with(dir.path().join("demo")),
        "demo data has its own database"
    );
    let sim = d.sim;
    let node = |p: ProtocolId| {
        state
            .nodes
            .iter()
            .find(|n| n.config.id.protocol() == p)
            .unwrap()
            .clone()
    };
    let (storj, golem) = (node(ProtocolId::Storj), node(ProtocolId::Golem));

    // When each fault starts (in steps of 30 simulated minutes), on which node, and for how long.
    let plan: Vec<(u32, ProtocolId, FaultKind, &str)> = vec![
        (
            10,
            ProtocolId::Storj,
            FaultKind::Offline {
                mode: OfflineMode::Refused,
            },
            "offline",
        ),
        (
            20,
            ProtocolId::Golem,
            FaultKind::Slow { delay_ms: 2500 },
            "slow",
        ),
        (30, ProtocolId::Storj, FaultKind::Http500, "http500"),
        (40, ProtocolId::Golem, FaultKind::Malformed, "malformed"),
        (
            50,
            ProtocolId::Storj,
            FaultKind::VersionDrift {
                shape: StorjShape::V1_37,
            },
            "version_drift",
        ),
        (
            60,
            ProtocolId::Golem,
            FaultKind::EarningsDrop { percent: 80.0 },
            "earnings_drop",
        ),
        (
            70,
            ProtocolId::Storj,
            FaultKind::DiskFilling { gb_per_hour: 400.0 },
            "disk_filling",
        ),
        (
            90,
            ProtocolId::Golem,
            FaultKind::TokenRevoked,
            "token_revoked",
        ),
    ];
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    let mut samples_written = 0usize;
    let mut ok_polls = 0usize;
    let mut slowest: BTreeMap<String, u128> = BTreeMap::new();
    let steps = 3 * 48; // three days of 30-minute steps
    for step in 0..steps {
        for (at, target, kind, name) in &plan {
            if *at == step {
                sim.inject_fault(*target, kind.clone(), Some(60)).await;
                let n = if *target == ProtocolId::Storj {
                    &storj
                } else {
                    &golem
                };
                let outcome = poll_node(&state, n).await;
                samples_written += outcome.samples_written;
                seen.insert(
                    name,
                    format!(
                        "{}|{}",
                        outcome.health.state_name(),
                        outcome.health.reasons().join(" / ")
                    ),
                );
            }
        }
        let t = std::time::Instant::now();
        sim.step(Duration::minutes(30)).await.unwrap();
        *slowest.entry("sim.step".into()).or_insert(0u128) += t.elapsed().as_millis();
        for n in &state.nodes {
            let t = std::time::Instant::now();
            let outcome = poll_node(&state, n).await;
            *slowest.entry(n.config.id.to_string()).or_insert(0u128) += t.elapsed().as_millis();
            samples_written += outcome.samples_written;
            ok_polls += usize::from(outcome.ok);
        }
        if step % 24 == 0 {
            let t = std::time::Instant::now();
            run_cycle(&state, "test").await.unwrap();
            *slowest.entry("cycle".into()).or_insert(0u128) += t.elapsed().as_millis();
        }
    }

    eprintln!("total time per activity (ms): {slowest:?}");
    // A last cycle rolls the newest samples up, as the running app does every cycle.
    run_cycle(&state, "test").await.unwrap();
    let health = |name: &str| {
        seen.get(name)
            .cloned()
            .unwrap_or_else(|| panic!("fault {name} was not observed"))
    };
    assert!(
        health("offline").starts_with("unreachable|"),
        "offline: {}",
        health("offline")
    );
    assert!(
        health("slow").starts_with("unreachable|") && health("slow").contains("did not answer"),
        "slow: {}",
        health("slow")
    );
    assert!(
        health("http500").starts_with("degraded|") && health("http500").contains("HTTP 500"),
        "http500: {}",
        health("http500")
    );
    assert!(
        health("malformed").starts_with("degraded|"),
        "malformed: {}",
        health("malformed")
    );
    assert!(
        health("token_revoked").starts_with("degraded|")
            && health("token_revoked").contains("app-key"),
        "token: {}",
        health("token_revoked")
    );
    // An old but known dashboard shape is read, not treated as a failure.
    assert!(
        !health("version_drift").starts_with("unreachable"),
        "drift: {}",
        health("version_drift")
    );
    assert!(
        ok_polls > steps as usize * 2,
        "most polls succeed between faults ({ok_polls})"
    );

    // What the pollers (ours and the cycles') reported committing is exactly what the database
    // holds.
    let stored = state.db(|s| s.count_samples()).await.unwrap();
    let reported: u64 = state
        .nodes
        .iter()
        .map(|n| {
            state
                .metrics
                .samples_written
                .with_label_values(&[n.config.id.protocol().as_str(), n.config.id.name()])
                .get()
        })
        .sum();
    assert!(samples_written > 0 && reported as usize >= samples_written);
    assert_eq!(stored as u64, reported);
    let from = d.clock.now() - Duration::days(4);
    let to = d.clock.now() + Duration::hours(1);
    let q = orcha_api::dto::SeriesQuery {
        node: "storj:main".into(),
        metric: "disk_used_bytes".into(),
        from,
        to,
    };
    let series = orcha_api::ops::series(&state, q).await.unwrap();
    assert!(!series.points.is_empty());
    let span = series.points.last().unwrap().ts - series.points.first().unwrap().ts;
    assert!(
        span >= Duration::hours(70),
        "samples cover the three days ({span})"
    );

    // Money stayed exact and in the node's own token.
    let storj_money = state
        .db({
            let id = storj.config.id.clone();
            move |s| s.latest_earnings(&id)
        })
        .await
        .unwrap();
    assert!(storj_money.iter().all(|(_, m, _)| m.token == Token::Usd));
    let golem_money = state
        .db({
            let id = golem.config.id.clone();
            move |s| s.latest_earnings(&id)
        })
        .await
        .unwrap();
    assert!(golem_money
        .iter()
        .all(|(_, m, _)| m.token == Token::Glm && m.decimals == 18));

    // Every cycle left six recorded steps and a decision; nothing was applied.
    let cycle = orcha_api::ops::latest_cycle(&state).await.unwrap().unwrap();
    assert_eq!(cycle.steps.len(), 6);
    let decisions = orcha_api::ops::decisions(&state, 100).await.unwrap();
    assert_eq!(decisions.len(), 7);
    assert!(decisions.iter().all(|d| d.verdict != "apply"));
    sim.shutdown().await;
}
