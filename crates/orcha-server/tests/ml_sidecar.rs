//! The real ML engine as a supervised sidecar: started, restarted after a crash, and gone after
//! the app stops. Needs `ml-engine/.venv` (scripts/test.sh installs it before the Rust tests).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use orcha_api::sidecar::{supervise, SidecarConfig};
use orcha_testkit::{net, wait, FakeNode, TestApp};
use tokio_util::sync::CancellationToken;

fn engine() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ml-engine/.venv/bin/orcha-ml");
    assert!(
        p.is_file(),
        "{} is missing: run `bash ml-engine/scripts/install.sh` first",
        p.display()
    );
    p
}

fn alive(pid: u32) -> bool {
    // A reaped process has no /proc entry; a zombie would still count as not running.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashed_engine_is_restarted_and_stopped_on_cancel() {
    let app = TestApp::builder()
        .ml_timeout(Duration::from_secs(5))
        .build();
    let state = &app.state;
    let mut config = SidecarConfig::new(engine(), app.dir().join("models"));
    config.health_interval = Duration::from_millis(500);
    config.first_backoff = Duration::from_millis(200);
    let pid = Arc::clone(&config.pid);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(supervise(Arc::clone(state), config, cancel.clone()));

    wait::until(
        "the engine to become healthy",
        Duration::from_secs(60),
        || state.ml_status().available,
    )
    .await;
    let first = pid.load(Ordering::SeqCst);
    assert!(first > 0 && alive(first));
    let first_base = state.ml.base().unwrap();
    assert!(net::get(format!("{first_base}/health"))
        .await
        .unwrap()
        .status()
        .is_success());

    assert!(Command::new("kill")
        .args(["-KILL", &first.to_string()])
        .status()
        .unwrap()
        .success());
    wait::until("the crash to be noticed", Duration::from_secs(10), || {
        !state.ml_status().available
    })
    .await;
    wait::until("the restarted engine", Duration::from_secs(60), || {
        state.ml_status().available
            && pid.load(Ordering::SeqCst) != first
            && pid.load(Ordering::SeqCst) != 0
    })
    .await;
    let second = pid.load(Ordering::SeqCst);
    assert!(!alive(first));

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
    let ps = Command::new("ps")
        .args(["-o", "pid,ppid,stat,cmd", "-p", &second.to_string()])
        .output()
        .unwrap();
    assert!(
        !alive(second),
        "the engine must be gone after the supervisor stops: {}",
        String::from_utf8_lossy(&ps.stdout)
    );
    assert!(!state.ml_status().available);
    assert!(state.ml.base().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_orcha_leaves_no_engine_behind() {
    let (dir, mut child, engine) = orcha_with_engine().await;
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!alive(engine), "the engine {engine} outlived orcha");
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_orcha_leaves_no_orphan_engine() {
    // SIGKILL gives orcha no chance to stop its child; the engine notices its parent is gone.
    let (dir, mut child, engine) = orcha_with_engine().await;
    child.kill().unwrap();
    child.wait().unwrap();
    wait::until(
        "the orphaned engine to exit",
        Duration::from_secs(20),
        || !alive(engine),
    )
    .await;
    drop(dir);
}

/// `orcha serve` with the real engine as its sidecar, once the engine answers; with its pid.
async fn orcha_with_engine() -> (tempfile::TempDir, std::process::Child, u32) {
    let dir = orcha_testkit::temp_dir();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!("[ml]\ncommand = {:?}\n", engine().display().to_string()),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_orcha"))
        .args(["--config", cfg.to_str().unwrap(), "serve", "--port", "0"])
        .env("XDG_DATA_HOME", dir.path())
        .env(net::API_TOKEN_ENV.0, net::API_TOKEN_ENV.1)
        .env_remove("ML_API_URL")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = orcha_testkit::net::listening_on(&mut child);
    let start = Instant::now();
    loop {
        let s: serde_json::Value = net::get(format!("{base}/api/v1/status"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if s["ml"]["available"] == true {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "engine never became available: {s}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out = Command::new("pgrep")
        .args(["-P", &child.id().to_string()])
        .output()
        .unwrap();
    let engines: Vec<u32> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    assert_eq!(engines.len(), 1, "exactly one engine child: {engines:?}");
    (dir, child, engines[0])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predict_forecasts_stored_history_through_the_real_engine() {
    use orcha_core::{EarningsData, EarningsKind, Money, Token};
    let start = orcha_testkit::at("2026-06-01T00:00:00Z");
    let rich: orcha_core::NodeId = "golem:main".parse().unwrap();
    let young: orcha_core::NodeId = "storj:main".parse().unwrap();
    // Nodes that are never polled in this test; predict reads only their stored history.
    let quiet = |id: &str| {
        FakeNode::new(id)
            .no_usage()
            .health(orcha_core::HealthStatus::Unknown)
    };
    let app = TestApp::builder()
        // Thirty-two days after `start`, the end of the history below.
        .clock_at("2026-07-03T00:00:00Z")
        .node(quiet("golem:main"))
        .node(quiet("storj:main"))
        .ml_timeout(Duration::from_secs(30))
        .build();
    let state = &app.state;
    // Thirty-two days of hourly lifetime GLM with a daily cycle for one node (enough for the
    // engine to train an LSTM: 72 h to fit + 28 days held out), ten hours for the other.
    let mut total = 0i128;
    for h in 0..(32 * 24) {
        let hour_of_day = h % 24;
        total += 1_000_000_000_000_000 * (1 + i128::from((8..20).contains(&hour_of_day)) * 3);
        let e = EarningsData {
            observed_at: start + chrono::Duration::hours(h),
            figures: vec![(EarningsKind::Lifetime, Money::new(Token::Glm, total, 18))],
        };
        let id = rich.clone();
        state.db(move |s| s.insert_earnings(&id, &e)).await.unwrap();
    }
    for h in 0..10 {
        let e = EarningsData {
            observed_at: start + chrono::Duration::days(32) - chrono::Duration::hours(10 - h),
            figures: vec![(
                EarningsKind::Lifetime,
                Money::new(Token::Usd, 100 * i128::from(h as i32), 6),
            )],
        };
        let id = young.clone();
        state.db(move |s| s.insert_earnings(&id, &e)).await.unwrap();
    }

    let mut config = SidecarConfig::new(engine(), app.dir().join("models"));
    config.health_interval = Duration::from_secs(5);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(supervise(Arc::clone(state), config, cancel.clone()));
    wait::until(
        "the engine to become healthy",
        Duration::from_secs(60),
        || state.ml_status().available,
    )
    .await;

    let (outcome, forecasts) = orcha_api::cycle::predict::run(state, 1).await;
    let detail = outcome.detail().to_owned();
    assert_eq!(outcome.status(), "done", "{detail}");
    assert!(
        detail.contains("storj:main: 9 h of history, 24 h needed"),
        "{detail}"
    );
    let forecasts = forecasts.unwrap();
    assert!(!forecasts.per_node.contains_key(&young));
    let f = &forecasts.per_node[&rich];
    assert_eq!(f.p50.len(), 24);
    assert!(!f.model.is_empty() && detail.contains(&f.model), "{detail}");
    for i in 0..24 {
        assert!(
            f.p10[i] <= f.p50[i] + 1e-9 && f.p50[i] <= f.p90[i] + 1e-9,
            "quantiles out of order at {i}"
        );
    }
    // The daily pattern (4 GLM/h by day, 1 GLM/h by night) must show in the median forecast.
    // Enough history (≥ 744 h) starts a background LSTM training job, at most once a day.
    assert!(
        detail.contains("training job") && detail.contains("golem:main"),
        "{detail}"
    );
    let (again, _) = orcha_api::cycle::predict::run(state, 2).await;
    assert!(
        !again.detail().contains("training job"),
        "retrained within a day: {}",
        again.detail()
    );
    let day: f64 = f.p50.iter().skip(8).take(12).sum::<f64>() / 12.0;
    let night: f64 = f.p50.iter().take(8).sum::<f64>() / 8.0;
    assert!(day > night * 2.0, "day {day} vs night {night}: {:?}", f.p50);
    // The stored forecast carries the engine's verdict to the Earnings screen (#17): the series
    // was sent as hourly earnings (a rate), the chosen model's backtest score against the best
    // seasonal naive, and the band's coverage in the backtest.
    let shown = orcha_api::ops::forecast(state, "golem:main", Some(24))
        .await
        .unwrap();
    assert_eq!(shown.model.as_deref(), Some(f.model.as_str()));
    assert_eq!(shown.points.len(), 24);
    assert_eq!(shown.series_kind.as_deref(), Some("rate"));
    assert_eq!(shown.backtest_mase, f.mase);
    let (mase, naive) = (
        shown.backtest_mase.unwrap(),
        shown.seasonal_naive_mase.unwrap(),
    );
    // The chosen model won the backtest, so it is no worse than the best seasonal naive.
    assert!(
        mase.is_finite() && mase >= 0.0 && mase <= naive + 1e-9,
        "{mase} vs {naive}"
    );
    let coverage = shown.interval_coverage.unwrap();
    assert!((0.0..=1.0).contains(&coverage), "{coverage}");
    // At most the engine's 28 daily origins (fewer for a model that needs a week before each).
    let origins = shown.backtest_origins.unwrap();
    assert!((1..=28).contains(&origins), "{origins}");
    // And the engine's own sentence about its choice, as it said it.
    let note = shown.engine_note.clone().unwrap_or_default();
    assert!(
        note.contains(&f.model) && note.contains("backtest"),
        "{note}"
    );
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
}
