//! Determinism per seed, accelerated time, and the oracle and live scores.

use super::*;

#[tokio::test]
async fn the_same_seed_gives_the_same_answers_and_another_seed_does_not() {
    async fn run(seed: u64) -> (Value, Value, f64) {
        let mut s = Scenario::minimal();
        s.seed = seed;
        let (h, _dir) = start(s).await;
        for _ in 0..5 {
            h.step(chrono::Duration::minutes(577)).await.unwrap();
        }
        let sno = get_json(&format!("{}/api/sno/estimated-payout", h.storj_url())).await;
        let inv = golem_json(&h, "/payment-api/v1/invoices").await;
        let total = h.ledger().total_usd;
        h.shutdown().await;
        (sno, inv, total)
    }
    let a = run(11).await;
    let b = run(11).await;
    let c = run(12).await;
    assert_eq!(a, b);
    assert_ne!(a.2, c.2);
    assert_ne!(a.0, c.0);
}

#[tokio::test]
async fn accelerated_time_runs_a_simulated_day_in_a_fraction_of_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SimConfig::new(Scenario::minimal(), dir.path());
    // 86 400x: one simulated day per real second.
    config.time = Some(TimeMode::Accelerated { speed: 86_400.0 });
    config.tick_interval = Duration::from_millis(20);
    let h = Simulator::start(config).await.unwrap();
    let t0 = h.clock().now();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let elapsed = h.clock().now() - t0;
    assert!(elapsed >= chrono::Duration::hours(20), "{elapsed}");
    // The background ticker moved the world (and its ledger) without any request.
    let minute = h.with_world(|w| w.minute());
    assert!(minute >= 20 * 60, "{minute}");
    assert!(
        h.step(chrono::Duration::minutes(1)).await.is_err(),
        "accelerated clocks are not steppable"
    );
    let status = get_json(&format!("{}/control/status", h.control_url())).await;
    assert_eq!(status["mode"], "accelerated");
    h.shutdown().await;
}

#[test]
fn oracle_beats_every_static_policy_and_statics_replay_exactly() {
    for seed in [1u64, 2, 3, 42] {
        let mut s = Scenario::demo();
        s.seed = seed;
        s.duration_minutes = 7 * 1440;
        let world = World::new(s.clone());
        let cycles = oracle::scenario_cycles(&s);
        let score = oracle::score(&s, world.faults(), cycles, None);
        assert!(
            score.oracle_usd >= score.best_static_usd - 1e-9,
            "{score:?}"
        );
        assert!(
            score.best_static_usd >= score.equal_split_usd - 1e-12,
            "{score:?}"
        );
        assert!(score.equal_split_usd > 0.0);

        // Running the world on the equal split gives exactly the equal-split score.
        let grid = Grid::new(s.budget, &s.costs);
        let (d, c, b) = grid.equal_split();
        let mut eq = s.clone();
        eq.initial = grid.allocation(d, c, b);
        let mut w = World::new(eq);
        w.advance_minutes(cycles as u64 * s.cycle_minutes);
        let got = w.ledger().total_usd;
        assert!(
            (got - score.equal_split_usd).abs() < 1e-9 * got.max(1.0),
            "{got} vs {}",
            score.equal_split_usd
        );
    }
}

#[tokio::test]
async fn live_score_reports_achieved_from_what_the_knobs_saw() {
    let (h, _dir) = start(Scenario::minimal()).await;
    h.step(chrono::Duration::hours(12)).await.unwrap();
    std::process::Command::new(h.ya_provider_path())
        .args(["profile", "update", "--cpu-threads", "6"])
        .output()
        .unwrap();
    h.step(chrono::Duration::hours(12)).await.unwrap();
    let score = get_json(&format!("{}/control/score", h.control_url())).await;
    assert_eq!(score["cycles"], 24);
    let achieved = score["achieved_usd"].as_f64().unwrap();
    assert!(achieved > 0.0);
    assert!(
        score["oracle_usd"].as_f64().unwrap() >= score["best_static_usd"].as_f64().unwrap() - 1e-9
    );
    // Replaying the observed history reproduces the live ledger.
    let history = h.history();
    let scenario = h.with_world(|w| w.scenario().clone());
    let replayed = oracle::replay(&scenario, &history, 24);
    assert!(
        (replayed - achieved).abs() < 1e-9 * achieved,
        "{replayed} vs {achieved}"
    );
    h.shutdown().await;
}
