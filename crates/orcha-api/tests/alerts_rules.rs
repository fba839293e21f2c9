//! Alert rules and their pipeline, table-driven on a `ManualClock`: thresholds, hysteresis,
//! one alert per incident, clear on recovery, `Event::Alert` on both, and the rate limit.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use orcha_api::alerts::rules::{self, RuleId, Verdict};
use orcha_api::alerts::{self, RateLimiter};
use orcha_api::dto::Event;
use orcha_api::orchestrator::poll_node;
use orcha_api::AppState;
use orcha_core::config::AlertsConfig;
use orcha_core::*;
use orcha_testkit::{at, FakeNode, TestApp};

type Series = Vec<(DateTime<Utc>, f64)>;

fn firing(v: &Verdict) -> bool {
    matches!(v, Verdict::Firing(_))
}

#[test]
fn threshold_rules_table() {
    let disk = |used: f64, alloc: f64| ResourceMetrics {
        disk_used_bytes: Some(used),
        disk_allocated_bytes: Some(alloc),
        ..Default::default()
    };
    let mem = |mib: f64| ResourceMetrics {
        mem_bytes: Some(mib * 1024.0 * 1024.0),
        ..Default::default()
    };
    // (name, verdict, expected: Some(true) firing, Some(false) clear, None unknown)
    let cases: Vec<(&str, Verdict, Option<bool>)> = vec![
        (
            "ok poll clears",
            rules::node_unavailable(true, 0, 3, ""),
            Some(false),
        ),
        (
            "2 of 3 failures: wait",
            rules::node_unavailable(false, 2, 3, "x"),
            None,
        ),
        (
            "3 failures fire",
            rules::node_unavailable(false, 3, 3, "x"),
            Some(true),
        ),
        (
            "disk 95 %",
            rules::disk_high(&disk(95.0, 100.0), 90.0),
            Some(true),
        ),
        (
            "disk 89 % in band",
            rules::disk_high(&disk(89.0, 100.0), 90.0),
            None,
        ),
        (
            "disk 50 % clears",
            rules::disk_high(&disk(50.0, 100.0), 90.0),
            Some(false),
        ),
        (
            "disk unmeasured",
            rules::disk_high(&ResourceMetrics::default(), 90.0),
            None,
        ),
        (
            "disk zero allocation",
            rules::disk_high(&disk(5.0, 0.0), 90.0),
            None,
        ),
        (
            "memory rule off",
            rules::memory_high(&mem(9000.0), 0),
            Some(false),
        ),
        (
            "memory over",
            rules::memory_high(&mem(2100.0), 2048),
            Some(true),
        ),
        (
            "memory under",
            rules::memory_high(&mem(1000.0), 2048),
            Some(false),
        ),
    ];
    for (name, v, want) in cases {
        let got = match v {
            Verdict::Firing(_) => Some(true),
            Verdict::Clear => Some(false),
            Verdict::Unknown => None,
        };
        assert_eq!(got, want, "{name}: {v:?}");
    }
}

#[test]
fn protocol_signals_come_from_health_reasons() {
    let degraded = HealthStatus::Degraded(vec![
        "suspended on us1.storj.io:7777 since 2026-01-01T00:00:00+00:00: fix the cause".into(),
        "online score on us1 is 0.5500 (suspension below 0.6): keep the node online".into(),
        "version 1.90.0 is below the minimum allowed 1.95.0: update the node, satellites may refuse it".into(),
    ]);
    let by_rule = |h: &HealthStatus| -> Vec<(RuleId, bool)> {
        rules::health_signals(h)
            .into_iter()
            .map(|(r, v)| (r, firing(&v)))
            .collect()
    };
    assert_eq!(
        by_rule(&degraded),
        [
            (RuleId::StorjSuspended, true),
            (RuleId::StorjScoreLow, true),
            (RuleId::VersionOutdated, true)
        ]
    );
    assert!(rules::health_signals(&HealthStatus::Healthy)
        .iter()
        .all(|(_, v)| *v == Verdict::Clear));
    assert!(
        rules::health_signals(&HealthStatus::Unreachable("x".into()))
            .iter()
            .all(|(_, v)| *v == Verdict::Unknown)
    );
    let unrelated = HealthStatus::Degraded(vec!["QUIC is misconfigured".into()]);
    assert!(rules::health_signals(&unrelated)
        .iter()
        .all(|(_, v)| *v == Verdict::Clear));
}

/// A cumulative series earning `rate` per hour, except `recent_rate` in the last `recent_h` hours.
fn earnings(
    now: DateTime<Utc>,
    days: i64,
    rate: f64,
    recent_h: i64,
    recent_rate: f64,
) -> Vec<(DateTime<Utc>, f64)> {
    let mut v = Vec::new();
    let mut total = 0.0;
    for h in (0..=days * 24).rev() {
        let ts = now - chrono::Duration::hours(h);
        v.push((ts, total));
        total += if h <= recent_h { recent_rate } else { rate };
    }
    v
}

#[test]
fn earnings_drop_table() {
    let now = at("2026-03-05T12:00:00Z");
    let cfg = AlertsConfig::default();
    let cases: Vec<(&str, Series, Option<bool>)> = vec![
        ("steady", earnings(now, 4, 1.0, 3, 1.0), Some(false)),
        ("80 % drop", earnings(now, 4, 1.0, 3, 0.2), Some(true)),
        (
            "25 % drop: inside the band",
            earnings(now, 4, 1.0, 3, 0.75),
            None,
        ),
        (
            "10 % drop clears",
            earnings(now, 4, 1.0, 3, 0.9),
            Some(false),
        ),
        ("no earlier day", earnings(now, 0, 1.0, 3, 0.0), None),
        ("nothing ever earned", earnings(now, 4, 0.0, 3, 0.0), None),
        ("empty", Vec::new(), None),
    ];
    for (name, series, want) in cases {
        let v = rules::earnings_drop(&series, now, &cfg, "USD");
        let got = match v {
            Verdict::Firing(_) => Some(true),
            Verdict::Clear => Some(false),
            Verdict::Unknown => None,
        };
        assert_eq!(got, want, "{name}: {v:?}");
    }
    // A payout (the figure goes down) is not a drop in earnings.
    let mut payout = earnings(now, 4, 1.0, 3, 1.0);
    let n = payout.len();
    payout[n - 1].1 = 0.0;
    assert_eq!(
        rules::earnings_drop(&payout, now, &cfg, "USD"),
        Verdict::Unknown
    );
    // Golem: nothing new for 12 h while reachable.
    let idle = earnings(now, 2, 1.0, 12, 0.0);
    assert!(firing(&rules::golem_idle(&idle, now, 12, true)));
    assert_eq!(rules::golem_idle(&idle, now, 12, false), Verdict::Unknown);
    assert_eq!(
        rules::golem_idle(&earnings(now, 2, 1.0, 12, 1.0), now, 12, true),
        Verdict::Clear
    );
}

#[test]
fn rate_limit_table() {
    let t0 = at("2026-03-01T00:00:00Z");
    let min = chrono::Duration::hours(1);
    let mut rl = RateLimiter::default();
    // (minutes after t0, rule, node, allowed)
    let steps = [
        (0, "node_unavailable", Some("storj:a"), true),
        (10, "node_unavailable", Some("storj:a"), false), // same incident key within the hour
        (10, "node_unavailable", Some("storj:b"), true),  // another node
        (11, "disk_high", Some("storj:a"), true),         // another rule
        (61, "node_unavailable", Some("storj:a"), true),  // interval passed
        (62, "r1", None, true),
        (62, "r2", None, false), // per-hour cap of 4 reached
        (130, "r3", None, true), // the window moved on
    ];
    for (i, (m, rule, node, want)) in steps.into_iter().enumerate() {
        let got = rl.allow(rule, node, t0 + chrono::Duration::minutes(m), min, 4);
        assert_eq!(got, want, "step {i}: {rule} {node:?} at +{m} min");
    }
}

/// One Storj node earning a lifetime figure in USD cents, its disk 10 of 100 bytes full.
fn world() -> TestApp {
    TestApp::builder()
        .clock_at("2026-03-01T00:00:00Z")
        .node(
            FakeNode::new("storj:main")
                .earnings(
                    EarningsKind::Lifetime,
                    Money::new("USD".parse().unwrap(), 0, 2),
                )
                .usage(ResourceMetrics {
                    disk_used_bytes: Some(10.0),
                    disk_allocated_bytes: Some(100.0),
                    ..Default::default()
                }),
        )
        .build()
}

fn alert_events(rx: &mut tokio::sync::broadcast::Receiver<Event>) -> Vec<(String, bool)> {
    orcha_testkit::wait::alert_events(rx)
        .into_iter()
        .map(|a| (a.rule, a.cleared_at.is_some()))
        .collect()
}

#[tokio::test]
async fn one_alert_per_incident_cleared_on_recovery() {
    let w = world();
    let mut rx = w.state.subscribe();
    // (fail this poll?, expected open alert rules after it)
    let script: [(bool, &[&str]); 7] = [
        (false, &[]),
        (true, &[]),
        (true, &[]),
        (true, &["node_unavailable"]),
        (true, &["node_unavailable"]), // still one alert, no second event
        (false, &[]),                  // recovery clears it
        (false, &[]),
    ];
    for (i, (fail, open)) in script.into_iter().enumerate() {
        w.fake(0).set_unreachable(fail);
        w.clock().advance(chrono::Duration::minutes(1));
        poll_node(&w.state, w.node(0)).await;
        let rows = w.state.db(|s| s.alerts(false, 10)).await.unwrap();
        let rules: Vec<&str> = rows.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(rules, open, "after poll {i}");
    }
    assert_eq!(
        alert_events(&mut rx),
        [
            ("node_unavailable".to_owned(), false),
            ("node_unavailable".to_owned(), true)
        ]
    );
    let all = w.state.db(|s| s.alerts(true, 10)).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].severity, "critical");
    assert!(
        all[0].message.contains("3 polls in a row"),
        "{}",
        all[0].message
    );
    assert_eq!(all[0].node.as_deref(), Some("storj:main"));
    let text = w.state.metrics.render();
    assert!(
        text.contains(
            "orcha_alerts_opened_total{rule=\"node_unavailable\",severity=\"critical\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("orcha_alerts_cleared_total{rule=\"node_unavailable\"} 1"));
    assert!(text.contains("orcha_alerts_open 0"));

    // Disk fills past 90 %: one alert, with hysteresis before it clears.
    for (used, open) in [(95.0, true), (89.0, true), (80.0, false)] {
        w.fake(0).update_usage(|u| u.disk_used_bytes = Some(used));
        w.clock().advance(chrono::Duration::minutes(1));
        poll_node(&w.state, w.node(0)).await;
        let rows = w.state.db(|s| s.alerts(false, 10)).await.unwrap();
        assert_eq!(
            rows.iter().any(|r| r.rule == "disk_high"),
            open,
            "disk {used}"
        );
    }
    alerts::flush(&w.state).await;
}

#[tokio::test]
async fn earnings_drop_opens_after_a_cycle_and_clears_when_earnings_recover() {
    let w = world();
    // Four days at 100 cents per hour, polled hourly.
    let mut cents = 0;
    let mut hour = |w: &TestApp, rate: i128| {
        cents += rate;
        w.fake(0).set_earnings(
            EarningsKind::Lifetime,
            Money::new("USD".parse().unwrap(), cents, 2),
        );
        w.clock().advance(chrono::Duration::hours(1));
    };
    for _ in 0..96 {
        hour(&w, 100);
        poll_node(&w.state, w.node(0)).await;
    }
    alerts::after_cycle(&w.state, 1).await;
    let open = |w: &TestApp| {
        let s = Arc::clone(&w.state);
        async move {
            s.db(|s| s.alerts(false, 10))
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.rule)
                .collect::<Vec<_>>()
        }
    };
    assert!(open(&w).await.is_empty());
    // Earnings fall by 80 % for four hours.
    for _ in 0..4 {
        hour(&w, 20);
        poll_node(&w.state, w.node(0)).await;
        alerts::after_cycle(&w.state, 2).await;
    }
    assert_eq!(open(&w).await, ["earnings_drop"]);
    // Back to normal: the 3-hour window recovers and the alert clears.
    for _ in 0..4 {
        hour(&w, 100);
        poll_node(&w.state, w.node(0)).await;
        alerts::after_cycle(&w.state, 3).await;
    }
    assert!(open(&w).await.is_empty());
    let all = w.state.db(|s| s.alerts(true, 10)).await.unwrap();
    assert_eq!(all.len(), 1, "exactly one incident: {all:?}");
    assert!(all[0].message.contains("% below"), "{}", all[0].message);
}

/// A stand-in ML engine whose `/v1/anomalies` flags every row it is sent once `flag` is set.
async fn fake_engine(flag: Arc<std::sync::atomic::AtomicBool>) -> String {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/v1/anomalies",
        post(move |axum::Json(req): axum::Json<serde_json::Value>| {
            let flag = Arc::clone(&flag);
            async move {
                let on = flag.load(std::sync::atomic::Ordering::SeqCst);
                let results: Vec<serde_json::Value> = req["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r["id"], "timestamp": r["timestamp"], "score": if on { 0.9 } else { 0.1 },
                            "anomaly": on, "reasons": if on { vec!["disk_used_bytes spiked"] } else { vec![] },
                            "drivers": []
                        })
                    })
                    .collect();
                axum::Json(serde_json::json!({
                    "results": results, "threshold": 0.5, "z_threshold": 3.0, "contamination": "auto",
                    "fitted_rows": 5, "feature_names": ["disk_used_bytes"], "model": null
                }))
            }
        }),
    );
    orcha_testkit::net::stub(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ml_anomaly_scores_become_alerts_only_while_the_engine_is_up() {
    let w = world();
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(true));
    w.state
        .ml
        .set_base(Some(fake_engine(Arc::clone(&flag)).await));
    for _ in 0..6 {
        w.clock().advance(chrono::Duration::hours(1));
        poll_node(&w.state, w.node(0)).await;
    }
    let now = w.clock().now();
    w.state
        .db(move |s| {
            s.rollup_and_retain(
                now,
                orcha_store::Retention {
                    raw_days: 7,
                    minute_days: 90,
                    hour_days: 1825,
                },
            )
        })
        .await
        .unwrap();
    let open = |s: Arc<AppState>| async move {
        s.db(|s| s.alerts(false, 10))
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.rule, r.node))
            .collect::<Vec<_>>()
    };
    // Engine unavailable: skipped, nothing concluded.
    alerts::after_cycle(&w.state, 1).await;
    assert!(open(Arc::clone(&w.state)).await.is_empty());
    w.state.set_ml_status(true, "ok".into());
    alerts::after_cycle(&w.state, 2).await;
    assert_eq!(
        open(Arc::clone(&w.state)).await,
        [("anomaly".to_owned(), Some("storj:main".to_owned()))]
    );
    let all = w.state.db(|s| s.alerts(true, 10)).await.unwrap();
    assert!(
        all[0].message.contains("disk_used_bytes spiked"),
        "{}",
        all[0].message
    );
    assert_eq!(all[0].severity, "info");
    flag.store(false, std::sync::atomic::Ordering::SeqCst);
    alerts::after_cycle(&w.state, 3).await;
    assert!(open(Arc::clone(&w.state)).await.is_empty());
    let text = w.state.metrics.render();
    assert!(
        text.contains("orcha_ml_request_duration_seconds_count{endpoint=\"anomalies\"} 2"),
        "{text}"
    );
}
