//! The forecast-based rules on a `ManualClock`: `forecast_error` compares a stored forecast with
//! the earnings realized over its hours (and sets `orcha_forecast_error_ratio`),
//! `training_failed` follows the ML engine's training jobs; the predict step stores what the
//! engine forecast and `ops::forecast` serves it.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use orcha_api::alerts::rules::Verdict;
use orcha_api::alerts::{self, rules};
use orcha_api::dto::ErrorCode;
use orcha_api::ml::JobInfo;
use orcha_api::orchestrator::poll_node;
use orcha_api::{ops, AppState};
use orcha_core::*;
use orcha_store::ForecastRow;
use orcha_testkit::{at, FakeNode, TestApp};

/// Some(true) firing, Some(false) clear, None unknown.
fn verdict(v: &Verdict) -> Option<bool> {
    match v {
        Verdict::Firing(_) => Some(true),
        Verdict::Clear => Some(false),
        Verdict::Unknown => None,
    }
}

#[test]
fn forecast_error_table() {
    // (name, p50 total, realized, hours, expected ratio, expected verdict) at a 50 % threshold.
    type Case = (&'static str, f64, f64, usize, Option<f64>, Option<bool>);
    let cases: [Case; 8] = [
        ("exact", 24.0, 24.0, 24, Some(0.0), Some(false)),
        ("realized 80 % short", 10.0, 2.0, 24, Some(0.8), Some(true)),
        (
            "realized 3× the median",
            10.0,
            30.0,
            24,
            Some(2.0),
            Some(true),
        ),
        ("45 %: inside the band", 10.0, 5.5, 24, Some(0.45), None),
        ("30 % clears", 10.0, 7.0, 24, Some(0.3), Some(false)),
        ("forecast of nothing", 0.0, 5.0, 24, None, None),
        ("no hours", 10.0, 10.0, 0, None, None),
        ("not a number", f64::NAN, 1.0, 24, None, None),
    ];
    for (name, p50, realized, hours, ratio, want) in cases {
        let (got_ratio, v) = rules::forecast_error(p50, realized, hours, 50.0, "glm");
        assert_eq!(verdict(&v), want, "{name}: {v:?}");
        match (got_ratio, ratio) {
            (Some(g), Some(r)) => assert!((g - r).abs() < 1e-9, "{name}: ratio {g} vs {r}"),
            (g, r) => assert_eq!(g, r, "{name}"),
        }
    }
    let (_, v) = rules::forecast_error(10.0, 2.0, 24, 50.0, "glm");
    let Verdict::Firing(msg) = v else {
        panic!("{v:?}")
    };
    assert!(msg.contains("2.0000 glm") && msg.contains("80 %"), "{msg}");
}

fn job(
    id: &str,
    state: &str,
    series: &[&str],
    finished: Option<&str>,
    error: Option<&str>,
) -> JobInfo {
    JobInfo {
        job_id: id.into(),
        state: state.into(),
        series_ids: series.iter().map(|s| (*s).to_owned()).collect(),
        error: error.map(str::to_owned),
        created_at: "2026-03-01T00:00:00Z".into(),
        finished_at: finished.map(str::to_owned),
        ..Default::default()
    }
}

#[test]
fn training_failed_table() {
    let a = "golem:main";
    let fail_1 = job(
        "j1",
        "failed",
        &[a],
        Some("2026-03-01T01:00:00Z"),
        Some("disk full"),
    );
    let ok_2 = job(
        "j2",
        "succeeded",
        &[a, "storj:main"],
        Some("2026-03-02T01:00:00Z"),
        None,
    );
    let fail_3 = job(
        "j3",
        "failed",
        &["storj:main"],
        Some("2026-03-03T01:00:00Z"),
        Some("x"),
    );
    let running = job("j4", "running", &[a], None, None);
    let cases: Vec<(&str, Vec<JobInfo>, Option<bool>)> = vec![
        ("never trained", vec![], None),
        ("only running", vec![running.clone()], None),
        ("failed", vec![fail_1.clone()], Some(true)),
        (
            "failed, then running: still failed",
            vec![fail_1.clone(), running.clone()],
            Some(true),
        ),
        (
            "failed, then succeeded",
            vec![fail_1.clone(), ok_2.clone()],
            Some(false),
        ),
        // The engine's order does not matter, the finish time does.
        (
            "succeeded listed first",
            vec![ok_2.clone(), fail_1.clone()],
            Some(false),
        ),
        (
            "another node's failure",
            vec![ok_2.clone(), fail_3.clone()],
            Some(false),
        ),
    ];
    for (name, jobs, want) in cases {
        let v = rules::training_failed(&jobs, a);
        assert_eq!(verdict(&v), want, "{name}: {v:?}");
    }
    let Verdict::Firing(msg) = rules::training_failed(&[fail_1], a) else {
        panic!()
    };
    assert!(msg.contains("j1") && msg.contains("disk full"), "{msg}");
}

/// One Golem node whose lifetime earnings (in wei, from 0) the test moves.
fn world() -> TestApp {
    TestApp::builder()
        .clock_at("2026-03-01T00:30:00Z")
        // Only the rules under test: no anomaly scoring, no Golem idle rule noise.
        .configure(|c| c.alerts.anomalies = false)
        .node(
            FakeNode::new("golem:main")
                .earnings(EarningsKind::Lifetime, Money::new(Token::Glm, 0, 18)),
        )
        .build()
}

const GLM: i128 = 1_000_000_000_000_000_000;

/// A 24-hour run made at `made_at` forecasting `p50_glm` GLM per hour for the hours after it.
fn run(node: &NodeId, made_at: DateTime<Utc>, p50_glm: f64) -> Vec<ForecastRow> {
    let hour = made_at.duration_trunc(chrono::Duration::hours(1)).unwrap();
    let m = |glm: f64| Money::new(Token::Glm, (glm * GLM as f64) as i128, 18);
    (1..=24)
        .map(|h| ForecastRow {
            node: node.clone(),
            made_at,
            target: hour + chrono::Duration::hours(h),
            p10: m(p50_glm / 2.0),
            p50: m(p50_glm),
            p90: m(p50_glm * 2.0),
            model: "ets".into(),
            model_version: Some("0.1.0".into()),
        })
        .collect()
}

use chrono::DurationRound;

async fn open_rules(state: &Arc<AppState>) -> Vec<String> {
    state
        .db(|s| s.alerts(false, 10))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.rule)
        .collect()
}

/// Polls hourly for `hours`, earning `glm_per_hour`.
async fn earn(w: &TestApp, hours: i64, glm_per_hour: i128) {
    for _ in 0..hours {
        w.clock().advance(chrono::Duration::hours(1));
        w.fake(0).add_earnings(glm_per_hour * GLM);
        poll_node(&w.state, w.node(0)).await;
    }
}

#[tokio::test]
async fn forecast_error_opens_on_a_wrong_forecast_and_clears_on_a_good_one() {
    let w = world();
    let id = w.node(0).config.id.clone();
    poll_node(&w.state, w.node(0)).await;
    // (p50 forecast in GLM/h, realized GLM/h, open alerts after the run completes, ratio)
    let script: [(f64, i128, &[&str], f64); 3] = [
        (1.0, 1, &[], 0.0),
        (4.0, 1, &["forecast_error"], 0.75),
        (1.25, 1, &[], 0.2),
    ];
    for (i, (p50, realized, open, ratio)) in script.into_iter().enumerate() {
        let rows = run(&id, w.clock().now(), p50);
        w.state
            .db(move |s| s.insert_forecasts(&rows))
            .await
            .unwrap();
        // Half-way the run is not complete: nothing is concluded from it.
        earn(&w, 12, realized).await;
        alerts::after_cycle(&w.state, 1).await;
        if i == 0 {
            assert!(open_rules(&w.state).await.is_empty());
            assert!(!w
                .state
                .metrics
                .render()
                .contains("orcha_forecast_error_ratio"));
        }
        earn(&w, 13, realized).await;
        alerts::after_cycle(&w.state, 2).await;
        assert_eq!(open_rules(&w.state).await, open, "run {i}");
        let text = w.state.metrics.render();
        let line = text
            .lines()
            .find(|l| l.starts_with("orcha_forecast_error_ratio{"))
            .unwrap_or_else(|| panic!("run {i}: no gauge in {text}"));
        let got: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!((got - ratio).abs() < 1e-6, "run {i}: {line}");
        assert!(line.contains("node=\"main\",protocol=\"golem\""), "{line}");
    }
    let all = w.state.db(|s| s.alerts(true, 10)).await.unwrap();
    assert_eq!(all.len(), 1, "one incident: {all:?}");
    assert!(all[0].message.contains("75 % off"), "{}", all[0].message);
    assert!(all[0].message.contains("model ets"), "{}", all[0].message);
    assert_eq!(all[0].severity, "info");
    alerts::flush(&w.state).await;
}

#[tokio::test]
async fn a_forecast_whose_last_hour_was_not_observed_concludes_nothing() {
    let w = world();
    let id = w.node(0).config.id.clone();
    poll_node(&w.state, w.node(0)).await;
    let rows = run(&id, w.clock().now(), 10.0);
    w.state
        .db(move |s| s.insert_forecasts(&rows))
        .await
        .unwrap();
    earn(&w, 20, 1).await;
    // Orcha was not running for the last hours of the run: no poll, no conclusion.
    w.clock().advance(chrono::Duration::hours(10));
    alerts::after_cycle(&w.state, 1).await;
    // (`earnings_drop` may fire: the figure did not move in the last hours.)
    let open = open_rules(&w.state).await;
    assert!(!open.iter().any(|r| r == "forecast_error"), "{open:?}");
    assert!(!w
        .state
        .metrics
        .render()
        .contains("orcha_forecast_error_ratio"));
}

/// A stand-in ML engine answering `/v1/models` with whatever jobs the test puts in.
async fn fake_engine(jobs: Arc<Mutex<Vec<JobInfo>>>) -> String {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/v1/models",
        get(move || {
            let jobs = jobs.lock().unwrap().clone();
            async move {
                axum::Json(serde_json::json!({
                    "series": [], "jobs": jobs, "anomaly_detectors": []
                }))
            }
        }),
    );
    orcha_testkit::net::stub(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn training_failed_follows_the_engines_jobs() {
    let w = world();
    let jobs = Arc::new(Mutex::new(Vec::new()));
    w.state
        .ml
        .set_base(Some(fake_engine(Arc::clone(&jobs)).await));
    let a = "golem:main";
    // (jobs the engine lists, engine available, open alerts after the cycle)
    let script: Vec<(Vec<JobInfo>, bool, &[&str])> = vec![
        (vec![job("j1", "running", &[a], None, None)], true, &[]),
        (
            vec![job(
                "j1",
                "failed",
                &[a],
                Some("2026-03-01T02:00:00Z"),
                Some("boom"),
            )],
            false,
            &[], // engine unavailable: not asked
        ),
        (
            vec![job(
                "j1",
                "failed",
                &[a],
                Some("2026-03-01T02:00:00Z"),
                Some("boom"),
            )],
            true,
            &["training_failed"],
        ),
        (
            vec![
                job(
                    "j1",
                    "failed",
                    &[a],
                    Some("2026-03-01T02:00:00Z"),
                    Some("boom"),
                ),
                job("j2", "running", &[a], None, None),
            ],
            true,
            &["training_failed"],
        ),
        (
            vec![
                job(
                    "j1",
                    "failed",
                    &[a],
                    Some("2026-03-01T02:00:00Z"),
                    Some("boom"),
                ),
                job("j2", "succeeded", &[a], Some("2026-03-02T02:00:00Z"), None),
            ],
            true,
            &[],
        ),
    ];
    for (i, (listed, up, open)) in script.into_iter().enumerate() {
        *jobs.lock().unwrap() = listed;
        w.state.set_ml_status(up, "test".into());
        w.clock().advance(chrono::Duration::minutes(15));
        alerts::after_cycle(&w.state, i as i64).await;
        assert_eq!(open_rules(&w.state).await, open, "step {i}");
    }
    let all = w.state.db(|s| s.alerts(true, 10)).await.unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(
        all[0].message.contains("j1 failed: boom"),
        "{}",
        all[0].message
    );
    assert_eq!(all[0].node.as_deref(), Some(a));
    alerts::flush(&w.state).await;
}

#[tokio::test]
async fn the_forecast_operation_serves_the_newest_run_from_the_current_hour() {
    let w = world();
    let id = w.node(0).config.id.clone();
    let none = ops::forecast(&w.state, "golem:main", None).await.unwrap();
    assert!(none.points.is_empty() && none.made_at.is_none());
    assert!(none.note.contains("no forecast yet"), "{}", none.note);

    let made = w.clock().now();
    let old = run(&id, made - chrono::Duration::hours(1), 9.0);
    let new = run(&id, made, 0.5);
    w.state
        .db(move |s| {
            s.insert_forecasts(&old)?;
            s.insert_forecasts(&new)
        })
        .await
        .unwrap();
    // Three hours later the hour in progress is the run's third.
    w.clock().advance(chrono::Duration::hours(3));
    let f = ops::forecast(&w.state, "golem:main", Some(6))
        .await
        .unwrap();
    assert_eq!(f.made_at, Some(made));
    assert_eq!(f.model.as_deref(), Some("ets"));
    assert!(f.estimate);
    assert_eq!(f.points.len(), 6);
    assert_eq!(f.points[0].hour, at("2026-03-01T03:00:00Z"));
    assert_eq!(f.points[0].p50.decimal, "0.500000000000000000");
    assert_eq!(f.points[0].p50.token, "glm");
    assert_eq!(f.points[0].p90.base_units, (GLM).to_string());
    assert!(f.note.is_empty(), "{}", f.note);
    let rest = ops::forecast(&w.state, "golem:main", Some(48))
        .await
        .unwrap();
    assert_eq!(rest.points.len(), 22);
    assert!(rest.note.contains("22 of 48"), "{}", rest.note);

    let bad = ops::forecast(&w.state, "golem:main", Some(0))
        .await
        .unwrap_err();
    assert_eq!(bad.field.as_deref(), Some("hours"));
    let unknown = ops::forecast(&w.state, "storj:nope", None)
        .await
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
    let malformed = ops::forecast(&w.state, "nope", None).await.unwrap_err();
    assert_eq!(malformed.field.as_deref(), Some("node"));
}

/// A stand-in ML engine that forecasts 0.25 GLM/h (p10 0.125, p90 0.5) for every series.
async fn forecasting_engine() -> String {
    use axum::routing::{get, post};
    let app = axum::Router::new()
        .route(
            "/health",
            get(|| async { axum::Json(serde_json::json!({"status": "ok", "version": "9.9.9"})) }),
        )
        .route(
            "/v2/forecast",
            post(|axum::Json(req): axum::Json<serde_json::Value>| async move {
                let forecasts: Vec<serde_json::Value> = req["series"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        // Hourly increases are sent as a rate, so the engine never guesses a
                        // running total (a 500 here fails the predict step).
                        assert_eq!(s["series_kind"], "rate");
                        let last = at(s["timestamps"].as_array().unwrap().last().unwrap().as_str().unwrap());
                        let ts: Vec<String> = (1..=24)
                            .map(|h| (last + chrono::Duration::hours(h)).to_rfc3339())
                            .collect();
                        serde_json::json!({
                            "id": s["id"], "model": "ets", "baseline": false, "estimate": true,
                            "timestamps": ts, "point": vec![0.25; 24],
                            "quantiles": {"0.1": vec![0.125; 24], "0.5": vec![0.25; 24], "0.9": vec![0.5; 24]},
                            "backtest": {
                                "mase": 0.5, "baseline_mase": 0.75, "origins": 7, "horizon": 24,
                                "candidates": {"ets": 0.5, "seasonal_naive_24": 0.75},
                                "best_seasonal_naive_mase": 0.625, "members": null,
                                "coverage": 0.8125, "coverage_levels": [0.1, 0.9]
                            },
                            "note": "", "series_kind": "rate", "increments": null
                        })
                    })
                    .collect();
                axum::Json(serde_json::json!({ "forecasts": forecasts }))
            }),
        );
    orcha_testkit::net::stub(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_predict_step_stores_each_forecast_exactly() {
    let w = world();
    w.state.ml.set_base(Some(forecasting_engine().await));
    poll_node(&w.state, w.node(0)).await;
    // Too little history: nothing forecast, nothing stored.
    earn(&w, 5, 1).await;
    let (outcome, _) = orcha_api::cycle::predict::run(&w.state, 1).await;
    assert_eq!(outcome.status(), "skipped", "{}", outcome.detail());
    earn(&w, 30, 1).await;
    let (outcome, forecasts) = orcha_api::cycle::predict::run(&w.state, 2).await;
    assert_eq!(outcome.status(), "done", "{}", outcome.detail());
    assert_eq!(forecasts.unwrap().per_node.len(), 1);
    let id = w.node(0).config.id.clone();
    let now = w.clock().now();
    let rows = w
        .state
        .db(move |s| s.latest_forecast(&id, now))
        .await
        .unwrap();
    assert_eq!(rows.len(), 24);
    assert_eq!(rows[0].made_at, now);
    // The last input hour is the hour in progress; the forecast starts at the next one.
    assert_eq!(rows[0].target, at("2026-03-02T12:00:00Z"));
    assert_eq!(rows[0].p50, Money::new(Token::Glm, GLM / 4, 18));
    assert_eq!(rows[23].p90.to_decimal_string(), "0.500000000000000000");
    assert_eq!(rows[0].model, "ets");
    assert_eq!(rows[0].model_version.as_deref(), Some("9.9.9"));
    // The engine's verdict on the run reaches the Earnings screen's forecast (#17).
    let shown = ops::forecast(&w.state, &w.node(0).config.id.to_string(), None)
        .await
        .unwrap();
    assert_eq!(shown.points.len(), 24);
    assert_eq!(shown.series_kind.as_deref(), Some("rate"));
    assert_eq!(
        (shown.backtest_mase, shown.seasonal_naive_mase),
        (Some(0.5), Some(0.625))
    );
    assert_eq!(
        (shown.interval_coverage, shown.backtest_origins),
        (Some(0.8125), Some(7))
    );
}
