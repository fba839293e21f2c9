//! The Storj adapter over real HTTP: every fixture replayed, error cases, caching, compliance.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use axum::http::StatusCode;
use chrono::DateTime;
use common::storj::{adapter, current_node, STORJ};
use common::{clock, dead_base, raw, Canned, Replay};
use orcha_adapters::storj::{StorjAdapter, StorjSettings};
use orcha_core::{AdapterError, EarningsKind, HealthStatus, ProtocolAdapter};
use serde_json::Value;

mod common;

#[tokio::test]
async fn every_fixture_matches_its_hand_written_expectation() {
    let r = Replay::default();
    let base = r.serve().await;
    let a = adapter(&base, "main", clock("2026-08-21T11:30:00Z"));
    let mut checked = 0;
    for name in [
        "api_sno.json",
        "api_sno.v1.37.1.json",
        "api_sno.current.constructed.json",
    ] {
        r.set("/api/sno/", STORJ.fixture(name));
        STORJ.check_expected(
            name,
            serde_json::to_value(a.dashboard().await.unwrap()).unwrap(),
        );
        checked += 1;
    }
    r.set(
        "/api/sno/satellites",
        STORJ.fixture("api_sno_satellites.json"),
    );
    STORJ.check_expected(
        "api_sno_satellites.json",
        serde_json::to_value(a.satellites().await.unwrap()).unwrap(),
    );
    checked += 1;
    for (name, id) in [
        (
            "api_sno_satellite.json",
            "12tRQrMTWUWwzwGh18i7Fqs67kmdhH9t6aToeiwbo5mfS2rUmo",
        ),
        (
            "api_sno_satellite.current.constructed.json",
            "12EayRS2V1kEsWESU9QMRseFhdxYxKicsiFmxrsLZHeLUtdps3S",
        ),
    ] {
        r.set(&format!("/api/sno/satellite/{id}"), STORJ.fixture(name));
        STORJ.check_expected(
            name,
            serde_json::to_value(a.satellite(id).await.unwrap()).unwrap(),
        );
        checked += 1;
    }
    for name in [
        "api_sno_estimated_payout.json",
        "api_sno_estimated_payout.v1.48.2.json",
    ] {
        r.set("/api/sno/estimated-payout", STORJ.fixture(name));
        STORJ.check_expected(
            name,
            serde_json::to_value(a.estimated_payout().await.unwrap()).unwrap(),
        );
        checked += 1;
    }
    r.set(
        "/api/heldamount/paystubs/2021-07",
        STORJ.fixture("api_heldamount_paystubs.json"),
    );
    STORJ.check_expected(
        "api_heldamount_paystubs.json",
        serde_json::to_value(a.paystubs("2021-07").await.unwrap()).unwrap(),
    );
    r.set(
        "/api/heldamount/payout-history/2021-07",
        STORJ.fixture("api_heldamount_payout_history.json"),
    );
    STORJ.check_expected(
        "api_heldamount_payout_history.json",
        serde_json::to_value(a.payout_history("2021-07").await.unwrap()).unwrap(),
    );
    r.set(
        "/api/heldamount/held-history",
        STORJ.fixture("api_heldamount_held_history.json"),
    );
    STORJ.check_expected(
        "api_heldamount_held_history.json",
        serde_json::to_value(a.held_history().await.unwrap()).unwrap(),
    );
    r.set(
        "/api/heldamount/periods",
        STORJ.fixture("api_heldamount_periods.json"),
    );
    STORJ.check_expected(
        "api_heldamount_periods.json",
        serde_json::to_value(a.periods().await.unwrap()).unwrap(),
    );
    checked += 5;
    assert_eq!(checked, 13);
}

#[tokio::test]
async fn earnings_are_exact_and_in_the_right_units() {
    let r = current_node();
    let base = r.serve().await;
    let a = adapter(&base, "main", clock("2026-08-21T11:30:00Z"));
    let e = a.get_current_earnings().await.unwrap();
    let figure = |k| {
        e.get(k)
            .map(|m| (m.amount, m.decimals, m.to_decimal_string()))
    };
    // currentMonthExpectations = 541 (int cents): a projection, kept as the estimate.
    assert_eq!(
        figure(EarningsKind::CurrentPeriodEstimate),
        Some((541, 2, "5.41".to_owned()))
    );
    // currentMonth.payout = 164.49 cents accrued so far = 1.6449 USD; held 0 (an old node).
    assert_eq!(
        figure(EarningsKind::CurrentPeriodAccrued),
        Some((16_449, 4, "1.6449".to_owned()))
    );
    assert_eq!(
        figure(EarningsKind::CurrentPeriodHeld),
        Some((0, 4, "0.0000".to_owned()))
    );
    // One paystub: held 2006182 + owed 6018547 micro-USD.
    assert_eq!(
        figure(EarningsKind::Lifetime),
        Some((8_024_729, 6, "8.024729".to_owned()))
    );
    // distributed 12528337 micro-USD.
    assert_eq!(
        figure(EarningsKind::PaidOut),
        Some((12_528_337, 6, "12.528337".to_owned()))
    );
    // totalHeld 13395355 − totalDisposed 6697677.
    assert_eq!(
        figure(EarningsKind::Held),
        Some((6_697_678, 6, "6.697678".to_owned()))
    );
    assert_eq!(
        e.get(EarningsKind::Unpaid),
        None,
        "the API has no balance; not measured, not zero"
    );
    assert!(e
        .figures
        .iter()
        .all(|(_, m)| m.token == orcha_core::Token::Usd));
    assert_eq!(
        e.observed_at,
        DateTime::parse_from_rfc3339("2026-08-21T11:30:00Z").unwrap()
    );
}

#[tokio::test]
async fn payout_endpoints_are_cached_and_read_rarely() {
    let r = current_node();
    let base = r.serve().await;
    let clock = clock("2026-08-21T11:30:00Z");
    let mut s = StorjSettings::new(&base, clock);
    s.payout_poll_interval = Duration::from_millis(300);
    let a = StorjAdapter::new("storj:main".parse().unwrap(), s).unwrap();
    for _ in 0..5 {
        a.get_current_earnings().await.unwrap();
        a.health_check().await;
        a.get_resource_usage().await.unwrap();
    }
    assert_eq!(
        r.hits("/api/sno/estimated-payout"),
        1,
        "five polls, one payout read"
    );
    assert_eq!(r.hits("/api/heldamount/held-history"), 1);
    assert_eq!(
        r.hits("/api/sno/"),
        10,
        "the fast endpoint is read on every poll"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    // Stale: the old figures come back at once while the refresh runs behind.
    a.get_current_earnings().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(r.hits("/api/sno/estimated-payout"), 2);
}

#[tokio::test]
async fn a_failing_payout_read_is_retried_after_a_back_off_not_on_every_poll() {
    let r = current_node();
    r.set(
        "/api/sno/estimated-payout",
        raw(
            StatusCode::INTERNAL_SERVER_ERROR,
            "application/json",
            r#"{"error":"database is locked"}"#,
        ),
    );
    let base = r.serve().await;
    let mut s = StorjSettings::new(&base, clock("2026-08-21T11:30:00Z"));
    s.payout_poll_interval = Duration::from_millis(300);
    let a = StorjAdapter::new("storj:main".parse().unwrap(), s).unwrap();
    for _ in 0..3 {
        let e = a.get_current_earnings().await.unwrap_err();
        assert!(e.to_string().contains("HTTP 500"), "{e}");
    }
    assert_eq!(
        r.hits("/api/sno/estimated-payout"),
        1,
        "no new read inside the back-off"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    r.set(
        "/api/sno/estimated-payout",
        STORJ.fixture("api_sno_estimated_payout.json"),
    );
    a.get_current_earnings().await.unwrap();
    assert_eq!(r.hits("/api/sno/estimated-payout"), 2);
}

#[tokio::test]
async fn a_slow_payout_read_survives_the_poll_timeout() {
    let r = current_node();
    let mut slow = STORJ.fixture("api_sno_estimated_payout.json");
    slow.delay = Duration::from_millis(400);
    r.set("/api/sno/estimated-payout", slow);
    let base = r.serve().await;
    let a = adapter(&base, "main", clock("2026-08-21T11:30:00Z"));
    // The orchestrator gives up after 100 ms, as it would after poll_timeout on a real node.
    let first = tokio::time::timeout(Duration::from_millis(100), a.get_current_earnings()).await;
    assert!(first.is_err(), "the first read must still be running");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let second = tokio::time::timeout(Duration::from_millis(50), a.get_current_earnings()).await;
    assert!(
        matches!(second, Ok(Ok(_))),
        "the detached read filled the cache: {second:?}"
    );
    assert_eq!(r.hits("/api/sno/estimated-payout"), 1);
}

#[tokio::test]
async fn health_maps_the_protocol_thresholds() {
    let r = current_node();
    let base = r.serve().await;
    let a = adapter(&base, "main", clock("2026-08-21T11:30:00Z"));
    let h = a.health_check().await;
    let HealthStatus::Degraded(reasons) = h else {
        panic!("expected degraded, got {h:?}")
    };
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].contains("suspended on ap1.storj.io:7777 since 2026-08-20T06:00:00+00:00"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("suspension score on ap1.storj.io:7777 is 0.5800"),
        "{reasons:?}"
    );

    // The REAL v1.71.2 dashboard: QUIC misconfigured, and 10 h later the node counts as offline.
    r.set("/api/sno/", STORJ.fixture("api_sno.json"));
    r.set("/api/sno/satellites", raw(StatusCode::OK, "application/json", r#"{"storageSummary": 0, "bandwidthSummary": 0, "egressSummary": 0, "ingressSummary": 0, "audits": []}"#));
    let a = adapter(&base, "main", clock("2023-02-09T11:30:00Z"));
    assert_eq!(
        a.health_check().await,
        HealthStatus::Degraded(vec![
            "QUIC is misconfigured: UDP port 28967 is not reachable from outside".to_owned()
        ])
    );
    let later = adapter(&base, "main", clock("2023-02-09T21:02:02Z"));
    let reasons = later.health_check().await.reasons();
    assert!(
        reasons[0].contains("for 599 minutes (offline after 120)"),
        "{reasons:?}"
    );

    // The REAL v1.37.1 dashboard has no QUIC status at all: nothing to complain about.
    r.set("/api/sno/", STORJ.fixture("api_sno.v1.37.1.json"));
    let a = adapter(&base, "main", clock("2021-09-29T20:00:00Z"));
    assert_eq!(a.health_check().await, HealthStatus::Healthy);

    // Disqualified, outdated, overused.
    let mut v: Value =
        serde_json::from_slice(&STORJ.fixture("api_sno.current.constructed.json").body).unwrap();
    v["satellites"][0]["disqualified"] = Value::from("2026-08-01T00:00:00Z");
    v["satellites"][2]["suspended"] = Value::Null;
    v["upToDate"] = Value::from(false);
    v["diskSpace"]["overused"] = Value::from(5_000_000_000u64);
    r.set(
        "/api/sno/",
        raw(StatusCode::OK, "application/json", &v.to_string()),
    );
    r.set(
        "/api/sno/satellites",
        STORJ.fixture("api_sno_satellites.json"),
    );
    let a = adapter(&base, "main", clock("2026-08-21T11:30:00Z"));
    let reasons = a.health_check().await.reasons();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(
        reasons[0].starts_with("version 1.162.2 is below the minimum allowed 1.150.0"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("disqualified on us1.storj.io:7777"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("5000000000 bytes more than allocated"),
        "{reasons:?}"
    );

    // Scores below the warning levels.
    r.set(
        "/api/sno/",
        STORJ.fixture("api_sno.current.constructed.json"),
    );
    r.set("/api/sno/satellites", raw(StatusCode::OK, "application/json", r#"{"storageSummary": 0, "bandwidthSummary": 0, "egressSummary": 0, "ingressSummary": 0,
        "audits": [{"auditScore": 0.97, "suspensionScore": 1, "onlineScore": 0.85, "satelliteName": "eu1.storj.io:7777"}]}"#));
    let reasons = a.health_check().await.reasons();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("audit score on eu1.storj.io:7777 is 0.9700")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("online score on eu1.storj.io:7777 is 0.8500")),
        "{reasons:?}"
    );

    let dead = adapter(&dead_base(), "main", clock("2026-08-21T11:30:00Z"));
    assert!(matches!(
        dead.health_check().await,
        HealthStatus::Unreachable(_)
    ));
}

#[tokio::test]
async fn resource_usage_is_bytes_and_rates_need_two_polls() {
    let r = current_node();
    let base = r.serve().await;
    let clock = clock("2026-08-21T11:30:00Z");
    let a = adapter(&base, "main", clock.clone());
    let m = a.get_resource_usage().await.unwrap();
    assert_eq!(m.disk_used_bytes, Some(3_381_577_296_000.0));
    assert_eq!(m.disk_allocated_bytes, Some(4_000_000_000_000.0));
    assert_eq!(
        (m.cpu_millicores, m.mem_bytes),
        (None, None),
        "the node reports no CPU or memory"
    );
    assert_eq!(
        (m.bandwidth_up_bps, m.bandwidth_down_bps),
        (None, None),
        "one sample is no rate"
    );
    clock.advance(chrono::Duration::seconds(100));
    let mut v: Value =
        serde_json::from_slice(&STORJ.fixture("api_sno_satellites.json").body).unwrap();
    v["egressSummary"] = Value::from(8_047_585_344u64 + 1_000_000);
    r.set(
        "/api/sno/satellites",
        raw(StatusCode::OK, "application/json", &v.to_string()),
    );
    let m = a.get_resource_usage().await.unwrap();
    // 1 000 000 bytes in 100 s = 80 000 bit/s up; nothing more came in.
    assert_eq!(m.bandwidth_up_bps, Some(80_000.0));
    assert_eq!(m.bandwidth_down_bps, Some(0.0));
    // The legacy shape: used includes trash, allocation = available.
    r.set("/api/sno/", STORJ.fixture("api_sno.json"));
    let m = a.get_resource_usage().await.unwrap();
    assert_eq!(m.disk_used_bytes, Some(3_499_538_451_200.0));
    assert_eq!(m.disk_allocated_bytes, Some(3_500_000_000_000.0));
}

async fn error_of(r: &Replay, base: &str, body: Canned) -> AdapterError {
    r.set("/api/sno/", body);
    adapter(base, "main", clock("2026-08-21T11:30:00Z"))
        .connect()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn broken_answers_get_the_right_error_naming_endpoint_and_field() {
    let r = current_node();
    let base = r.serve().await;
    let endpoint = format!("{base}/api/sno/");

    let e = adapter(&dead_base(), "main", clock("2026-08-21T11:30:00Z"))
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Unreachable { .. }) && e.to_string().contains("/api/sno/"),
        "{e}"
    );

    let mut slow = STORJ.fixture("api_sno.current.constructed.json");
    slow.delay = Duration::from_secs(2);
    let e = error_of(&r, &base, slow).await;
    assert!(
        matches!(e, AdapterError::Timeout { .. }) && e.to_string().contains(&endpoint),
        "{e}"
    );

    let e = error_of(
        &r,
        &base,
        raw(
            StatusCode::INTERNAL_SERVER_ERROR,
            "application/json",
            r#"{"error":"database is locked"}"#,
        ),
    )
    .await;
    assert!(
        matches!(e, AdapterError::Malformed { .. }) && e.to_string().contains("HTTP 500"),
        "{e}"
    );
    assert!(e.to_string().contains(&endpoint), "{e}");

    let e = error_of(
        &r,
        &base,
        raw(
            StatusCode::OK,
            "text/html",
            "<html><body>login</body></html>",
        ),
    )
    .await;
    assert!(
        matches!(e, AdapterError::Malformed { .. }) && e.to_string().contains("HTML"),
        "{e}"
    );

    let full = String::from_utf8(STORJ.fixture("api_sno.current.constructed.json").body).unwrap();
    let e = error_of(
        &r,
        &base,
        raw(StatusCode::OK, "application/json", &full[..full.len() / 2]),
    )
    .await;
    assert!(
        matches!(e, AdapterError::Malformed { .. }) && e.to_string().contains("invalid JSON"),
        "{e}"
    );

    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(&full).unwrap();
        f(&mut v);
        raw(StatusCode::OK, "application/json", &v.to_string())
    };
    let cases: Vec<(Canned, &str)> = vec![
        (
            mutate(&|v| v["diskSpace"]["used"] = Value::from("lots")),
            "diskSpace.used",
        ),
        (
            mutate(&|v| v["diskSpace"]["used"] = Value::from(-5)),
            "diskSpace.used",
        ),
        (
            mutate(&|v| v["diskSpace"]["allocated"] = Value::from(9_000_000_000_000_000_000u64)),
            "diskSpace.allocated",
        ),
        (
            mutate(&|v| v["diskSpace"] = Value::from("4 TB")),
            "diskSpace",
        ),
        (
            mutate(&|v| v["diskSpace"] = serde_json::json!({"total": 5})),
            "used",
        ),
        (
            mutate(&|v| drop(v.as_object_mut().unwrap().remove("diskSpace"))),
            "diskSpace",
        ),
        (
            mutate(&|v| v["satellites"][1]["suspended"] = Value::from(7)),
            "satellites[1].suspended",
        ),
        (
            mutate(&|v| v["lastPinged"] = Value::from("yesterday")),
            "lastPinged",
        ),
    ];
    for (body, field) in cases {
        let e = error_of(&r, &base, body).await;
        assert!(matches!(e, AdapterError::Malformed { .. }), "{field}: {e}");
        assert!(
            e.to_string().contains(field) && e.to_string().contains(&endpoint),
            "{field}: {e}"
        );
    }

    // Payout endpoints: an absurd amount and a negative one are refused, naming the field.
    let a = adapter(&base, "main", clock("2026-08-21T11:30:00Z"));
    let mut v: Value =
        serde_json::from_slice(&STORJ.fixture("api_sno_estimated_payout.json").body).unwrap();
    v["currentMonth"]["payout"] = Value::from(1e15);
    r.set(
        "/api/sno/estimated-payout",
        raw(StatusCode::OK, "application/json", &v.to_string()),
    );
    let e = a.estimated_payout().await.unwrap_err();
    assert!(
        e.to_string().contains("currentMonth.payout")
            && e.to_string().contains("/api/sno/estimated-payout"),
        "{e}"
    );
    let e = a.get_current_earnings().await.unwrap_err();
    assert!(
        e.to_string().contains("currentMonth.payout"),
        "the cached read reports it too: {e}"
    );
    let mut v: Value =
        serde_json::from_slice(&STORJ.fixture("api_heldamount_paystubs.json").body).unwrap();
    v[0]["paid"] = Value::from(-1);
    r.set(
        "/api/heldamount/paystubs/2021-07",
        raw(StatusCode::OK, "application/json", &v.to_string()),
    );
    let e = a.paystubs("2021-07").await.unwrap_err();
    assert!(
        e.to_string().contains("[0].paid")
            && e.to_string().contains("/api/heldamount/paystubs/2021-07"),
        "{e}"
    );
    r.set(
        "/api/sno/satellites",
        raw(
            StatusCode::OK,
            "application/json",
            r#"{"storageSummary": 0, "bandwidthSummary": 0, "egressSummary": 0, "ingressSummary": 0,
        "audits": [{"auditScore": 1.7, "suspensionScore": 1, "onlineScore": 1}]}"#,
        ),
    );
    let e = a.satellites().await.unwrap_err();
    assert!(e.to_string().contains("audits[0].auditScore"), "{e}");
    r.set(
        "/api/heldamount/periods",
        raw(StatusCode::OK, "application/json", r#"["2021-13"]"#),
    );
    let e = a.periods().await.unwrap_err();
    assert!(
        e.to_string().contains("[0]") && e.to_string().contains("2021-13"),
        "{e}"
    );
}

#[tokio::test]
async fn several_nodes_on_one_machine_are_separate_adapters() {
    let disk1 = current_node();
    let disk2 = current_node();
    disk2.set("/api/sno/", STORJ.fixture("api_sno.json"));
    let (b1, b2) = (disk1.serve().await, disk2.serve().await);
    let clock = clock("2026-08-21T11:30:00Z");
    let a1 = adapter(&b1, "disk1", clock.clone());
    let a2 = adapter(&b2, "disk2", clock);
    assert_eq!(a1.node_id().to_string(), "storj:disk1");
    assert_eq!(
        a1.connect().await.unwrap().version.as_deref(),
        Some("1.162.2")
    );
    assert_eq!(
        a2.connect().await.unwrap().version.as_deref(),
        Some("1.71.2")
    );
    assert_eq!(disk1.hits("/api/sno/"), 1);
    assert_eq!(disk2.hits("/api/sno/"), 1);
}

#[tokio::test]
async fn the_adapter_complies_with_the_contract() {
    let r = current_node();
    let base = r.serve().await;
    let live = adapter(&base, "main", clock("2026-08-21T11:30:00Z"));
    let dead = adapter(&dead_base(), "main", clock("2026-08-21T11:30:00Z"));
    orcha_core::compliance::check_adapter_compliance(&live, &dead, None)
        .await
        .unwrap();
    let info = live.connect().await.unwrap();
    assert_eq!(
        info.remote_id.as_deref(),
        Some("1Xf5b3xHn1ajoNRpJJJd3RebWUgZ58BVqNxKPAH2g1snSAEyNt")
    );
    assert!(
        live.capabilities().is_empty(),
        "without a config.yaml there is no knob to offer"
    );
}

#[tokio::test]
async fn the_factory_builds_storj_nodes_and_the_probe_reads_one() {
    let r = current_node();
    let base = r.serve().await;
    let mut config = orcha_core::config::Config::default();
    config.protocols.storj.enabled = true;
    config.protocols.storj.api_endpoint = base.clone();
    let env = |_: &str| None;
    let p = common::probe_through_factory(&config, &env, orcha_core::ProtocolId::Storj).await;
    assert_eq!(p["node"], "storj:main");
    assert_eq!(p["node_info"]["version"], "1.162.2");
    let figures = p["earnings"]["figures"].as_array().unwrap();
    let estimate = figures
        .iter()
        .find(|f| f["kind"] == "current_period_estimate")
        .unwrap();
    assert_eq!(estimate["base_units"], "541");
    assert_eq!(estimate["decimal"], "5.41");
    assert_eq!(estimate["token"], "usd");
    assert_eq!(p["health"]["state"], "degraded");
    assert_eq!(p["resources"]["disk_allocated_bytes"], 4_000_000_000_000.0);
}
