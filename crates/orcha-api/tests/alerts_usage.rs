//! The alert rules on measured usage: memory high, CPU saturated, bandwidth at its cap and
//! "running but not earning" — the pure rules with hand-worked values, and each rule firing
//! once per incident and clearing on recovery through the real pipeline (real processes
//! measured on real polls, a real SQLite store).

#![allow(clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use orcha_api::alerts::rules::{self, Cap, Verdict};
use orcha_api::alerts::{self};
use orcha_api::orchestrator::poll_node;
use orcha_api::poll::PollOutcome;
use orcha_api::usage::MeasuredLive;
use orcha_api::AppState;
use orcha_core::config::NodeUsageConfig;
use orcha_core::*;
use orcha_testkit::{at, FakeNode, TestApp};
use orcha_usage::{Measured, Source, UsageReading};

fn cap(v: f64) -> Option<Cap> {
    Some(Cap {
        value: v,
        of: "the allocation",
    })
}

#[test]
fn usage_at_cap_table() {
    let r = |used: Option<f64>, c: Option<Cap>, pct: f64| {
        rules::usage_at_cap("CPU use", used, c, pct, rules::show_cores)
    };
    // 950 of 1000 millicores is 95 %: at the threshold fires.
    match r(Some(950.0), cap(1000.0), 95.0) {
        Verdict::Firing(m) => assert_eq!(
            m,
            "CPU use is 0.95 cores, 95 % of the allocation (1.00 cores; threshold 95 %)"
        ),
        v => panic!("{v:?}"),
    }
    // 92 % is inside the five-point band: unchanged; 89.9 % clears.
    assert_eq!(r(Some(920.0), cap(1000.0), 95.0), Verdict::Unknown);
    assert_eq!(r(Some(899.0), cap(1000.0), 95.0), Verdict::Clear);
    // Not measured says nothing; no cap cannot be reached; 0 % turns the rule off.
    assert_eq!(r(None, cap(1000.0), 95.0), Verdict::Unknown);
    assert_eq!(r(Some(5000.0), None, 95.0), Verdict::Clear);
    assert_eq!(r(Some(5000.0), cap(1000.0), 0.0), Verdict::Clear);
    assert_eq!(r(Some(5000.0), cap(0.0), 95.0), Verdict::Clear);

    let f = || Verdict::Firing("a".into());
    assert_eq!(rules::either(f(), Verdict::Clear), f());
    assert_eq!(rules::either(Verdict::Unknown, f()), f());
    assert_eq!(
        rules::either(Verdict::Clear, Verdict::Clear),
        Verdict::Clear
    );
    assert_eq!(
        rules::either(Verdict::Clear, Verdict::Unknown),
        Verdict::Unknown
    );
}

/// Hourly cumulative earnings over `hours` up to `now`, growing by `per_hour`.
fn series(now: DateTime<Utc>, hours: i64, per_hour: f64) -> Vec<(DateTime<Utc>, f64)> {
    (0..=hours)
        .map(|h| {
            (
                now - chrono::Duration::hours(hours - h),
                10.0 + per_hour * h as f64,
            )
        })
        .collect()
}

#[test]
fn running_not_earning_table() {
    let now = at("2026-03-10T00:00:00Z");
    let flat = series(now, 60, 0.0);
    let run = |s: &[(DateTime<Utc>, f64)], hours, running, healthy| {
        rules::running_not_earning(s, now, hours, running, healthy)
    };
    assert!(matches!(
        run(&flat, 48, Some(true), true),
        Verdict::Firing(m) if m.contains("nothing for 48 h")
    ));
    // Earned within the gap: clear.
    assert_eq!(
        run(&series(now, 60, 0.5), 48, Some(true), true),
        Verdict::Clear
    );
    // Process stopped: another incident, this one is over.
    assert_eq!(run(&flat, 48, Some(false), true), Verdict::Clear);
    // Not measured, or the API unhealthy: nothing to say.
    assert_eq!(run(&flat, 48, None, true), Verdict::Unknown);
    assert_eq!(run(&flat, 48, Some(true), false), Verdict::Unknown);
    // Only 30 h of history: the 48 h gap is not covered yet.
    assert_eq!(
        run(&series(now, 30, 0.0), 48, Some(true), true),
        Verdict::Unknown
    );
    // A gap of 0 turns the rule off.
    assert_eq!(run(&flat, 0, Some(true), true), Verdict::Clear);
}

async fn open_rules(state: &AppState) -> Vec<String> {
    let mut r: Vec<String> = state
        .db(|s| s.alerts(false, 50))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.rule)
        .collect();
    r.sort();
    r
}

async fn incidents(state: &AppState, rule: &'static str) -> usize {
    state
        .db(|s| s.alerts(true, 100))
        .await
        .unwrap()
        .iter()
        .filter(|a| a.rule == rule)
        .count()
}

/// A child holding 200 MiB resident and spinning one core.
fn burner() -> Child {
    Command::new("nice")
        .args([
            "-n",
            "-20",
            "python3",
            "-c",
            "import threading,time\nh=b'\\x01'*(200*1024*1024)\ndef s():\n  while True: pass\nthreading.Thread(target=s,daemon=True).start()\nprint('ready',flush=True)\ntime.sleep(600)",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_ready(child: &mut Child) {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
}

const MIB: u64 = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_high_and_cpu_saturated_fire_once_and_clear_on_a_real_process() {
    let mut child = burner();
    wait_ready(&mut child);
    let pid = child.id();
    let app = TestApp::builder()
        .configure(|c| {
            c.usage.enabled = true;
            c.usage.nodes.insert(
                "storj:main".into(),
                NodeUsageConfig {
                    process: pid.to_string(),
                    ..Default::default()
                },
            );
        })
        .node(FakeNode::new("storj:main"))
        .build();
    let node = app.node(0);
    // 200 MiB held against 150 MiB allocated; one spinning core against 0.3 cores.
    node.update_live(|l| {
        l.allocated.insert(ResourceKind::Memory, 150 * MIB);
        l.allocated.insert(ResourceKind::Cpu, 300);
    });
    poll_node(&app.state, node).await;
    // Memory fires at once; CPU is a rate and needs a second reading.
    assert_eq!(open_rules(&app.state).await, ["memory_high"]);
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(800)).await;
        poll_node(&app.state, node).await;
        assert_eq!(
            open_rules(&app.state).await,
            ["cpu_saturated", "memory_high"]
        );
    }
    // Once per incident, however many polls see it.
    assert_eq!(incidents(&app.state, "memory_high").await, 1);
    assert_eq!(incidents(&app.state, "cpu_saturated").await, 1);
    let rows = app.state.db(|s| s.alerts(false, 10)).await.unwrap();
    let mem = rows.iter().find(|r| r.rule == "memory_high").unwrap();
    assert!(
        mem.message
            .contains("of the allocation (150 MiB; threshold 90 %)"),
        "{}",
        mem.message
    );
    // The operator raises the allocation: both clear.
    node.update_live(|l| {
        l.allocated.insert(ResourceKind::Memory, 4096 * MIB);
        l.allocated.insert(ResourceKind::Cpu, 64_000);
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    poll_node(&app.state, node).await;
    assert!(open_rules(&app.state).await.is_empty());

    // Down again, then the process stops: a stopped process clears it too.
    node.update_live(|l| {
        l.allocated.insert(ResourceKind::Memory, 100 * MIB);
    });
    poll_node(&app.state, node).await;
    assert_eq!(open_rules(&app.state).await, ["memory_high"]);
    child.kill().unwrap();
    child.wait().unwrap();
    poll_node(&app.state, node).await;
    assert!(!node.live().measured.unwrap().running);
    assert!(open_rules(&app.state).await.is_empty());
    assert_eq!(incidents(&app.state, "memory_high").await, 2);
    alerts::flush(&app.state).await;
}

fn measured_up(bps: u64) -> MeasuredLive {
    MeasuredLive {
        at: at("2026-03-01T00:00:00Z"),
        target: "process streamr-node".into(),
        running: true,
        reading: UsageReading {
            net_up_bps: Some(Measured {
                value: bps,
                source: Source::Tc,
            }),
            ..Default::default()
        },
        error: None,
        machine_max: vec![],
    }
}

#[tokio::test]
async fn bandwidth_at_cap_fires_once_and_clears() {
    let app = TestApp::builder()
        .configure(|c| c.usage.enabled = false)
        .node(FakeNode::new("streamr:main"))
        .build();
    let node = app.node(0);
    let ok = PollOutcome {
        ok: true,
        samples_written: 0,
        health: HealthStatus::Healthy,
    };
    // 10 Mbit/s cap; (egress, expected open) after each poll.
    node.update_live(|l| {
        l.allocated.insert(ResourceKind::Bandwidth, 10_000_000);
    });
    for (bps, open) in [
        (5_000_000, false),
        (9_600_000, true),
        (9_900_000, true),
        (9_200_000, true), // inside the band
        (8_000_000, false),
    ] {
        node.update_live(|l| l.measured = Some(measured_up(bps)));
        alerts::after_poll(&app.state, node, &ok).await;
        assert_eq!(
            open_rules(&app.state).await == ["bandwidth_at_cap"],
            open,
            "{bps} bps"
        );
    }
    assert_eq!(incidents(&app.state, "bandwidth_at_cap").await, 1);
    let row = &app.state.db(|s| s.alerts(true, 10)).await.unwrap()[0];
    assert_eq!(
        row.message,
        "upload is 9.60 Mbit/s, 96 % of the allocation (10.00 Mbit/s; threshold 95 %)"
    );
    // No cap at all (egress not shaped): never at it.
    node.update_live(|l| {
        l.allocated.clear();
        l.measured = Some(measured_up(50_000_000));
    });
    alerts::after_poll(&app.state, node, &ok).await;
    assert!(open_rules(&app.state).await.is_empty());
}

#[tokio::test]
async fn running_not_earning_opens_after_the_protocols_gap_and_clears_when_it_earns() {
    // The node's process is this test itself: certainly running.
    let app = TestApp::builder()
        .clock_at("2026-03-01T00:00:00Z")
        .configure(|c| {
            c.usage.enabled = true;
            c.usage.nodes.insert(
                "storj:main".into(),
                NodeUsageConfig {
                    process: std::process::id().to_string(),
                    ..Default::default()
                },
            );
            c.usage.not_earning_hours.storj = 48;
            // Nothing else about this process is under test.
            c.usage.memory_high_percent = 0.0;
            c.usage.cpu_saturated_percent = 0.0;
        })
        .node(FakeNode::new("storj:main").earnings(
            EarningsKind::Lifetime,
            Money::new("USD".parse().unwrap(), 500, 2),
        ))
        .build();
    let node = app.node(0);
    let app = &app;
    let hour = |h: i64| async move {
        for _ in 0..h {
            app.clock().advance(chrono::Duration::hours(1));
            poll_node(&app.state, node).await;
        }
    };
    // 47 flat hours: within Storj's normal gap.
    hour(47).await;
    alerts::after_cycle(&app.state, 1).await;
    assert!(open_rules(&app.state).await.is_empty());
    // Past 48 h: it fires, once.
    hour(3).await;
    alerts::after_cycle(&app.state, 2).await;
    alerts::after_cycle(&app.state, 3).await;
    assert_eq!(open_rules(&app.state).await, ["running_not_earning"]);
    assert_eq!(incidents(&app.state, "running_not_earning").await, 1);
    // It earns again: cleared.
    app.fake(0).set_earnings(
        EarningsKind::Lifetime,
        Money::new("USD".parse().unwrap(), 520, 2),
    );
    hour(1).await;
    alerts::after_cycle(&app.state, 4).await;
    assert!(open_rules(&app.state).await.is_empty());
    alerts::flush(&app.state).await;
}
