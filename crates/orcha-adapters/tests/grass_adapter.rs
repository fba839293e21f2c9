//! The Grass adapter over real HTTP against a fake dashboard API: every fixture replayed, points not money, 401/429/HTML/shape drift, back-off, caching, compliance.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{clock, dead_base, json_body, raw, Canned, Recorded, Replay};
use orcha_adapters::grass::{GrassAdapter, GrassSettings};
use orcha_adapters::streamr::LocalProcess;
use orcha_core::secret::Sensitive;
use orcha_core::{
    AdapterError, EarningsKind, HealthStatus, Knob, ManualClock, Money, ProtocolAdapter,
    ResourceVector, Token,
};
use serde_json::{json, Value};

mod common;

const GRASS: Recorded = Recorded("grass");
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.made-up-session-token.sig";
/// Mid-epoch (the constructed epoch runs 2026-01-01 → 2026-01-31), 30 minutes after the
/// desktop device's last connection.
const NOW: &str = "2026-01-01T00:30:00Z";

/// The dashboard API: every call needs the raw token (no `Bearer`).
fn api() -> Replay {
    Replay::answering(|_, req| {
        if req.path == "/epochEarnings" {
            // The input is URL-encoded JSON, as the dashboard sends it.
            let q = req.query.as_deref().unwrap_or("");
            assert_eq!(q, "input=%7B%22limit%22%3A1%2C%22isLatestOnly%22%3Atrue%7D");
        }
        (req.authorization() != Some(TOKEN)).then(|| {
            raw(
                StatusCode::UNAUTHORIZED,
                "application/json",
                r#"{"error":{"message":"UNAUTHORIZED","code":-32001}}"#,
            )
        })
    })
}

fn account() -> Replay {
    let api = api();
    api.set(
        "/retrieveUser",
        GRASS.fixture("retrieveUser.constructed.json"),
    )
    .set(
        "/activeDevices",
        GRASS.fixture("activeDevices.constructed.json"),
    )
    .set(
        "/epochEarnings",
        GRASS.fixture("epochEarnings.constructed.json"),
    );
    api
}

fn settings(base: &str, token: Option<&str>, clock: Arc<ManualClock>) -> GrassSettings {
    let mut s = GrassSettings::new(base, token.map(|t| Sensitive::new(t.to_owned())), clock);
    s.timeout = Duration::from_millis(800);
    s.process = LocalProcess::Unchecked;
    s
}

fn adapter_at(base: &str, now: &str) -> GrassAdapter {
    GrassAdapter::new(
        "grass:main".parse().unwrap(),
        settings(base, Some(TOKEN), clock(now)),
    )
    .unwrap()
}

fn adapter(base: &str) -> GrassAdapter {
    adapter_at(base, NOW)
}

#[tokio::test]
async fn every_fixture_matches_its_hand_written_expectation() {
    let api = account();
    let base = api.serve().await;
    let a = adapter(&base);
    GRASS.check_expected(
        "retrieveUser.constructed.json",
        serde_json::to_value(a.user().await.unwrap()).unwrap(),
    );
    GRASS.check_expected(
        "activeDevices.constructed.json",
        serde_json::to_value(a.devices().await.unwrap()).unwrap(),
    );
    GRASS.check_expected(
        "epochEarnings.constructed.json",
        serde_json::to_value(a.latest_epoch().await.unwrap()).unwrap(),
    );
    api.set(
        "/retrieveUser",
        GRASS.fixture("retrieveUser.active_epoch.cashpilot_mock.json"),
    )
    .set(
        "/activeDevices",
        GRASS.fixture("activeDevices.cashpilot_mock.json"),
    );
    GRASS.check_expected(
        "retrieveUser.active_epoch.cashpilot_mock.json",
        serde_json::to_value(a.user().await.unwrap()).unwrap(),
    );
    GRASS.check_expected(
        "activeDevices.cashpilot_mock.json",
        serde_json::to_value(a.devices().await.unwrap()).unwrap(),
    );
    // CashPilot's collector sample: the `sample` body it parses to 420 points.
    let sample: Value =
        serde_json::from_slice(&GRASS.fixture("cashpilot_collector_fixture.json").body).unwrap();
    api.set("/retrieveUser", json_body(&sample["sample"]));
    GRASS.check_expected(
        "cashpilot_collector_fixture.json",
        serde_json::to_value(a.user().await.unwrap()).unwrap(),
    );
}

#[tokio::test]
async fn points_are_points_and_zero_in_a_running_epoch_is_unknown() {
    let api = account();
    let base = api.serve().await;
    let a = adapter(&base);
    let e = a.get_current_earnings().await.unwrap();
    // retrieveUser.totalPoints is 0 mid-epoch: no lifetime figure, never "earned 0".
    assert_eq!(e.get(EarningsKind::Lifetime), None);
    assert_eq!(
        e.get(EarningsKind::CurrentPeriodEstimate),
        Some(&Money::new(Token::Points, 12_345_670_000, 6))
    );
    assert_eq!(e.figures.len(), 1);

    // Settled points are the lifetime figure (CashPilot's 420.0).
    api.set(
        "/retrieveUser",
        json_body(&json!({"result": {"data": {"totalPoints": 420.0}}})),
    );
    let b = adapter(&base);
    let e = b.get_current_earnings().await.unwrap();
    assert_eq!(
        e.get(EarningsKind::Lifetime),
        Some(&Money::new(Token::Points, 420_000_000, 6))
    );
    // After the epoch ended its points are no current-period estimate any more.
    let c = adapter_at(&base, "2026-02-02T00:00:00Z");
    let e = c.get_current_earnings().await.unwrap();
    assert_eq!(e.get(EarningsKind::CurrentPeriodEstimate), None);
    assert!(e.figures.iter().all(|(_, m)| m.token == Token::Points));

    // Uptime and Network points are kept apart when the API sends them.
    api.set(
        "/epochEarnings",
        json_body(&json!({"result": {"data": {"data": [{"epochName": "E", "totalPoints": 30.5, "uptimePoints": 20, "networkPoints": 10.5}]}}})),
    );
    let epoch = adapter(&base).latest_epoch().await.unwrap().unwrap();
    assert_eq!(epoch.uptime_points.unwrap().amount, 20_000_000);
    assert_eq!(epoch.network_points.unwrap().amount, 10_500_000);
    api.set(
        "/epochEarnings",
        json_body(&json!({"result": {"data": {"data": []}}})),
    );
    assert_eq!(adapter(&base).latest_epoch().await.unwrap(), None);
}

#[tokio::test]
async fn one_poll_costs_one_round_of_requests() {
    let api = account();
    let base = api.serve().await;
    let clock = clock(NOW);
    let a = GrassAdapter::new(
        "grass:main".parse().unwrap(),
        settings(&base, Some(TOKEN), clock.clone()),
    )
    .unwrap();
    a.connect().await.unwrap();
    a.get_current_earnings().await.unwrap();
    a.health_check().await;
    assert_eq!(api.requests().len(), 3, "three procedures, once");
    clock.advance(chrono::Duration::minutes(5));
    a.get_current_earnings().await.unwrap();
    assert_eq!(api.requests().len(), 6);
}

#[tokio::test]
async fn health_reads_scores_uptime_last_connection_and_the_process() {
    let api = account();
    let base = api.serve().await;
    assert_eq!(adapter(&base).health_check().await, HealthStatus::Healthy);

    // Three hours later both devices have been gone for over two hours.
    let r = adapter_at(&base, "2026-01-01T03:30:00Z")
        .health_check()
        .await
        .reasons();
    assert_eq!(
        r,
        vec![
            "device 00000000-0000-5000-8000-000000000001 (192.0.2.10) last connected at 2026-01-01T00:00:00+00:00".to_owned(),
            "device 00000000-0000-5000-8000-000000000002 (192.0.2.10) last connected at 2025-12-31T23:00:00+00:00".to_owned(),
        ]
    );

    let mut devices: Value =
        serde_json::from_slice(&GRASS.fixture("activeDevices.constructed.json").body).unwrap();
    devices["result"]["data"][1]["ipScore"] = json!(0);
    api.set("/activeDevices", json_body(&devices));
    let r = adapter(&base).health_check().await.reasons();
    assert_eq!(r, vec!["device 00000000-0000-5000-8000-000000000002 (192.0.2.10) has network score 0: its IP is not accepted (datacenter, VPN or shared IP?) and it earns nothing".to_owned()]);

    api.set(
        "/activeDevices",
        json_body(&json!({"result": {"data": []}})),
    );
    let mut s = settings(&base, Some(TOKEN), clock(NOW));
    s.process = LocalProcess::Named("no-such-grass-process-3c".into());
    let a = GrassAdapter::new("grass:main".parse().unwrap(), s).unwrap();
    let r = a.health_check().await.reasons();
    assert_eq!(r.len(), 2, "{r:#?}");
    assert!(
        r[0].starts_with("the Grass app is not running on this machine"),
        "{r:#?}"
    );
    assert_eq!(
        r[1],
        "no device of this account is connected in the current epoch"
    );
}

#[tokio::test]
async fn an_expired_token_asks_the_operator_to_refresh_it() {
    let api = account();
    let base = api.serve().await;
    for token in [None, Some("expired-token-77aa")] {
        let a = GrassAdapter::new(
            "grass:main".parse().unwrap(),
            settings(&base, token, clock(NOW)),
        )
        .unwrap();
        let e = a.connect().await.unwrap_err();
        assert!(matches!(e, AdapterError::Unauthorized { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("app.grass.io") && msg.contains("/retrieveUser"),
            "{msg}"
        );
        assert!(!msg.contains("expired-token-77aa"), "{msg}");
        let h = a.health_check().await;
        assert!(
            matches!(&h, HealthStatus::Degraded(r) if r[0].contains("accessToken")),
            "{h:?}"
        );
    }
    // A 403 is the same, and so is an error envelope that says UNAUTHORIZED.
    api.set(
        "/retrieveUser",
        raw(StatusCode::FORBIDDEN, "application/json", "{}"),
    );
    let e = adapter(&base).user().await.unwrap_err();
    assert!(matches!(e, AdapterError::Unauthorized { .. }), "{e}");
    api.set(
        "/retrieveUser",
        json_body(&json!({"error": {"message": "no session", "code": -32001, "data": {"code": "UNAUTHORIZED", "httpStatus": 401}}})),
    );
    let e = adapter(&base).user().await.unwrap_err();
    assert!(matches!(e, AdapterError::Unauthorized { .. }), "{e}");
}

#[tokio::test]
async fn cloudflare_throttling_backs_off_without_asking_again() {
    let api = account();
    let base = api.serve().await;
    let clock = clock(NOW);
    let a = GrassAdapter::new(
        "grass:main".parse().unwrap(),
        settings(&base, Some(TOKEN), clock.clone()),
    )
    .unwrap();
    let mut limited = raw(
        StatusCode::TOO_MANY_REQUESTS,
        "text/html",
        "<!DOCTYPE html><html><title>Just a moment...</title></html>",
    );
    limited.retry_after = Some("60");
    api.set("/retrieveUser", limited);
    let e = a.get_current_earnings().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(300)),
        "{e}"
    );
    assert!(e.to_string().contains("/retrieveUser"), "{e}");
    assert_eq!(api.requests().len(), 1);
    // During the back-off nothing is sent.
    let e = a.get_current_earnings().await.unwrap_err();
    assert!(matches!(e, AdapterError::RateLimited { .. }), "{e}");
    assert!(matches!(a.health_check().await, HealthStatus::Degraded(_)));
    assert_eq!(api.requests().len(), 1);
    // A 200 with an HTML challenge page is throttling too, and doubles the wait.
    clock.advance(chrono::Duration::seconds(301));
    api.set(
        "/retrieveUser",
        raw(StatusCode::OK, "text/html", "<!doctype html><html></html>"),
    );
    let e = a.get_current_earnings().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(600)),
        "{e}"
    );
    // So is a 5xx HTML error page.
    clock.advance(chrono::Duration::seconds(601));
    api.set(
        "/retrieveUser",
        raw(
            StatusCode::GATEWAY_TIMEOUT,
            "text/html",
            "<html><body>504 Gateway Time-out</body></html>",
        ),
    );
    let e = a.get_current_earnings().await.unwrap_err();
    assert!(matches!(e, AdapterError::RateLimited { .. }), "{e}");
    clock.advance(chrono::Duration::seconds(1201));
    api.set(
        "/retrieveUser",
        GRASS.fixture("retrieveUser.constructed.json"),
    );
    assert!(a.get_current_earnings().await.is_ok());
    assert_eq!(a.backoff_until(), None);
}

#[tokio::test]
async fn shape_drift_and_broken_answers_are_malformed_never_zeros() {
    let api = account();
    let base = api.serve().await;
    let cases: Vec<(&str, Canned, &str)> = vec![
        // The early-2024 REST shape (`GET /users/dash`): no result.data.
        (
            "/retrieveUser",
            json_body(&json!({"data": {"devices": [{"device_id": "x"}], "totalPoints": 5}})),
            "result.data",
        ),
        (
            "/activeDevices",
            json_body(&json!({"result": {}})),
            "result.data",
        ),
        (
            "/retrieveUser",
            GRASS.fixture("error.response.constructed.json"),
            "API error -32600",
        ),
        (
            "/retrieveUser",
            json_body(&json!({"result": {"data": {"userId": "u"}}})),
            "totalPoints",
        ),
        (
            "/retrieveUser",
            json_body(&json!({"result": {"data": {"totalPoints": -3}}})),
            "result.data.totalPoints",
        ),
        (
            "/activeDevices",
            json_body(&json!({"result": {"data": [{"ipScore": 150}]}})),
            "result.data[0].ipScore",
        ),
        (
            "/activeDevices",
            json_body(&json!({"result": {"data": [{"ipScore": "high"}]}})),
            "result.data[0].ipScore",
        ),
        (
            "/epochEarnings",
            json_body(&json!({"result": {"data": [{"totalPoints": 1}]}})),
            "invalid type",
        ),
        (
            "/retrieveUser",
            raw(StatusCode::OK, "application/json", "{\"result\": {\"data\""),
            "invalid JSON",
        ),
    ];
    for (path, canned, needle) in cases {
        let api2 = account();
        api2.set(path, canned);
        let base2 = api2.serve().await;
        let e = adapter(&base2).get_current_earnings().await.unwrap_err();
        assert!(
            matches!(e, AdapterError::Malformed { .. }),
            "{path} {needle}: {e}"
        );
        assert!(
            e.to_string().contains(needle) && e.to_string().contains(path),
            "{path} {needle}: {e}"
        );
    }
    let mut slow = GRASS.fixture("activeDevices.constructed.json");
    slow.delay = Duration::from_secs(3);
    api.set("/activeDevices", slow);
    let e = adapter(&base).get_current_earnings().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::Timeout { .. }) && e.to_string().contains("/activeDevices"),
        "{e}"
    );
}

#[tokio::test]
async fn there_are_no_knobs_and_the_adapter_complies() {
    let api = account();
    let base = api.serve().await;
    let live = adapter(&base);
    let caps = live.capabilities();
    assert_eq!(caps.len(), 4);
    assert!(caps.iter().all(|c| c.knob == Knob::None));
    let e = live
        .apply_allocation(&ResourceVector {
            bandwidth_bps: 1_000_000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, AdapterError::Unsupported { .. }), "{e}");
    let m = live.get_resource_usage().await.unwrap();
    assert!(m.measured().is_empty(), "nothing measured, nothing zero");
    let dead = adapter(&dead_base());
    orcha_core::compliance::check_adapter_compliance(&live, &dead, Some(TOKEN))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_factory_reads_the_token_from_the_environment_and_the_probe_prints_one_reading() {
    let api = account();
    let base = api.serve().await;
    let mut config = orcha_core::config::Config::default();
    config.protocols.grass.enabled = true;
    config.protocols.grass.api_endpoint = base.clone();
    let env = |k: &str| (k == "ORCHA_GRASS_TOKEN").then(|| TOKEN.to_owned());
    let p = common::probe_through_factory(&config, &env, orcha_core::ProtocolId::Grass).await;
    assert_eq!(p["node"], "grass:main");
    assert_eq!(p["node_info"]["remote_id"], "2zzMadeUpUserId000000000000");
    // The factory's adapter runs on the wall clock, long after the fixture's epoch ended, and
    // retrieveUser says 0 (not settled): no figure is known, and none is made up.
    assert_eq!(p["earnings"]["figures"], json!([]), "{p}");
    assert_eq!(p["resources"]["bandwidth_up_bps"], Value::Null);
    assert_eq!(p["capabilities"].as_array().unwrap().len(), 4);
    assert!(!p.to_string().contains(TOKEN));
}
