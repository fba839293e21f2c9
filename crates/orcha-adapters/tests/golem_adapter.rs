//! The Golem adapter over real HTTP: every REST fixture replayed, auth, errors, compliance.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use axum::http::StatusCode;
use common::{clock, dead_base, json_body, raw, Canned, Recorded, Replay};
use orcha_adapters::golem::{GolemAdapter, GolemSettings};
use orcha_core::secret::Sensitive;
use orcha_core::{AdapterError, EarningsKind, HealthStatus, ProtocolAdapter};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;

const GOLEM: Recorded = Recorded("golem");
const KEY: &str = "test-app-key-0f9e8d7c";

/// A yagna replay: every route but `/version/get` needs the key.
fn yagna() -> Replay {
    Replay::answering(|_, req| {
        let authorized = req.authorization() == Some(&format!("Bearer {KEY}"));
        (req.path != "/version/get" && !authorized).then(|| {
            raw(
                StatusCode::UNAUTHORIZED,
                "application/json",
                r#"{"message":"Invalid application key"}"#,
            )
        })
    })
}

fn provider() -> Replay {
    let y = yagna();
    y.set("/version/get", GOLEM.fixture("version_get.json"))
        .set("/me", GOLEM.fixture("me.json"))
        .set(
            "/payment-api/v1/invoices",
            GOLEM.fixture("payment_api_invoices.json"),
        )
        .set(
            "/payment-api/v1/payments",
            GOLEM.fixture("payment_api_payments.json"),
        )
        .set(
            "/payment-api/v1/payments/status",
            GOLEM.fixture("payment_api_payments_status.json"),
        )
        .set(
            "/market-api/v1/offers",
            GOLEM.fixture("market_api_offers.json"),
        )
        .set(
            "/market-api/v1/agreements",
            GOLEM.fixture("market_api_agreements.json"),
        )
        .set(
            "/activity-api/v1/_monitor",
            GOLEM.fixture("activity_api_monitor.sse.txt"),
        );
    y
}

fn adapter_with(base: &str, key: Option<&str>, now: &str) -> GolemAdapter {
    let mut s = GolemSettings::new(base, key.map(|k| Sensitive::new(k.to_owned())), clock(now));
    s.timeout = Duration::from_millis(800);
    s.ya_provider = "/nonexistent/ya-provider".into();
    GolemAdapter::new("golem:main".parse().unwrap(), s).unwrap()
}

fn adapter(base: &str) -> GolemAdapter {
    adapter_with(base, Some(KEY), "2024-08-21T11:00:00Z")
}

#[tokio::test]
async fn every_rest_fixture_matches_its_hand_written_expectation() {
    let y = provider();
    let base = y.serve().await;
    let a = adapter(&base);

    let (version, pending) = a.version().await.unwrap();
    GOLEM.check_expected(
        "version_get.json",
        json!({ "version": version, "pending": pending }),
    );
    GOLEM.check_expected(
        "me.json",
        json!({ "identity": a.identity().await.unwrap() }),
    );

    let e = a.earnings().await.unwrap();
    let mut got = serde_json::to_value(&e).unwrap();
    let figures: serde_json::Map<String, Value> = e
        .figures()
        .unwrap()
        .iter()
        .map(|(k, m)| (k.as_str().to_owned(), orcha_adapters::probe::money_json(m)))
        .collect();
    got["figures"] = Value::Object(figures);
    GOLEM.check_expected("payment_api_invoices+payments.json", got);

    GOLEM.check_expected(
        "payment_api_payments_status.json",
        serde_json::to_value(a.payment_driver_reasons().await.unwrap()).unwrap(),
    );
    GOLEM.check_expected(
        "market_api_offers.json",
        json!({ "offers": a.offer_count().await.unwrap() }),
    );
    GOLEM.check_expected(
        "market_api_agreements.json",
        json!({ "agreements_last_hour": a.agreements_last_hour().await.unwrap() }),
    );
    GOLEM.check_expected(
        "activity_api_monitor.sse.json",
        serde_json::to_value(a.activities().await.unwrap()).unwrap(),
    );
}

#[tokio::test]
async fn earnings_keep_pending_accepted_and_settled_apart() {
    let y = provider();
    let base = y.serve().await;
    let a = adapter(&base);
    let e = a.get_current_earnings().await.unwrap();
    let get = |k| e.get(k).map(|m| (m.amount, m.decimals, m.token));
    let glm = orcha_core::Token::Glm;
    // ISSUED "0.0021" → pending; SETTLED "0.006944444444444445" → settled; nothing ACCEPTED.
    assert_eq!(
        get(EarningsKind::Pending),
        Some((2_100_000_000_000_000, 18, glm))
    );
    assert_eq!(
        get(EarningsKind::Settled),
        Some((6_944_444_444_444_445, 18, glm))
    );
    assert_eq!(get(EarningsKind::Accepted), Some((0, 18, glm)));
    assert_eq!(
        get(EarningsKind::Lifetime),
        Some((9_044_444_444_444_445, 18, glm))
    );
    assert_eq!(
        get(EarningsKind::PaidOut),
        Some((6_944_444_444_444_445, 18, glm))
    );
    assert_eq!(e.figures.len(), 5);
}

#[tokio::test]
async fn only_this_nodes_mainnet_invoices_count() {
    let y = provider();
    let me = "0x2a14f8ae0272bd4c38ed1b40c66e88ed719dab69";
    y.set(
        "/payment-api/v1/invoices",
        json_body(&json!([
            {"invoiceId": "a", "issuerId": me, "paymentPlatform": "erc20-polygon-glm", "amount": "1.5", "status": "ACCEPTED"},
            {"invoiceId": "b", "issuerId": me, "paymentPlatform": "erc20-mainnet-glm", "amount": "0.000000000000000001", "status": "RECEIVED"},
            {"invoiceId": "c", "issuerId": me, "paymentPlatform": "erc20-hoodi-tglm", "amount": "1000", "status": "SETTLED"},
            {"invoiceId": "d", "issuerId": "0x0000000000000000000000000000000000000abc", "paymentPlatform": "erc20-polygon-glm", "amount": "7", "status": "SETTLED"},
            {"invoiceId": "e", "issuerId": me, "paymentPlatform": "erc20-polygon-glm", "amount": "3", "status": "REJECTED"}
        ])),
    );
    let a = adapter(&y.serve().await);
    let e = a.earnings().await.unwrap();
    assert_eq!(
        e.platforms.len(),
        3,
        "three platforms of this node, each recorded"
    );
    let hoodi = e.platforms.iter().find(|p| p.network == "hoodi").unwrap();
    assert!(!hoodi.counts_as_earnings);
    assert_eq!(
        hoodi.settled.amount,
        1000 * 10i128.pow(18),
        "recorded per platform"
    );
    let polygon = e.platforms.iter().find(|p| p.network == "polygon").unwrap();
    assert_eq!(polygon.unpaid_invoices, 1);
    let data = a.get_current_earnings().await.unwrap();
    assert_eq!(
        data.get(EarningsKind::Accepted).unwrap().amount,
        1_500_000_000_000_000_000
    );
    assert_eq!(
        data.get(EarningsKind::Pending).unwrap().amount,
        1,
        "one wei-sized GLM unit, exactly"
    );
    assert_eq!(
        data.get(EarningsKind::Settled).unwrap().amount,
        0,
        "testnet tGLM and other issuers excluded"
    );
}

#[tokio::test]
async fn a_missing_or_wrong_app_key_asks_the_operator_for_one() {
    let y = provider();
    let base = y.serve().await;
    for key in [None, Some("wrong-key-5a5a5a")] {
        let a = adapter_with(&base, key, "2024-08-21T11:00:00Z");
        let e = a.connect().await.unwrap_err();
        assert!(matches!(e, AdapterError::Unauthorized { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("yagna app-key create") && msg.contains("/me") && msg.contains("HTTP 401"),
            "{msg}"
        );
        assert!(!msg.contains("wrong-key-5a5a5a"));
        let e = a.activities().await.unwrap_err();
        assert!(
            matches!(e, AdapterError::Unauthorized { .. }) && e.to_string().contains("_monitor"),
            "{e}"
        );
        let h = a.health_check().await;
        let HealthStatus::Degraded(reasons) = &h else {
            panic!("{h:?}")
        };
        assert!(reasons[0].contains("yagna app-key create"), "{reasons:?}");
    }
}

#[tokio::test]
async fn health_reads_offers_drivers_invoices_and_activities() {
    let y = provider();
    let base = y.serve().await;
    let a = adapter(&base);
    assert_eq!(
        a.health_check().await,
        HealthStatus::Degraded(vec![
            "payment driver erc20 on polygon lacks gas (needs about 0.0123 of the network's gas token)".to_owned(),
            "payment driver erc20 on polygon cannot reach its RPC endpoints: payments are delayed".to_owned(),
        ])
    );
    y.set("/payment-api/v1/payments/status", json_body(&json!([])));
    assert_eq!(a.health_check().await, HealthStatus::Healthy);

    y.set("/market-api/v1/offers", json_body(&json!([])));
    y.set(
        "/activity-api/v1/_monitor",
        raw(StatusCode::OK, "text/event-stream", "data: {\"ts\":\"2024-08-21T10:41:00Z\",\"activities\":[{\"id\":\"x\",\"state\":\"Unresponsive\",\"usage\":{}}]}\n\n"),
    );
    // A day later the ISSUED invoice (due 2024-08-22T11:05:44Z) is overdue.
    let later = adapter_with(&base, Some(KEY), "2024-08-23T00:00:00Z");
    let reasons = later.health_check().await.reasons();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].starts_with("ya-provider publishes no offers"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("1 invoices are past their payment due date"),
        "{reasons:?}"
    );
    assert_eq!(reasons[2], "1 activities are unresponsive");

    let dead = adapter(&dead_base());
    assert!(matches!(
        dead.health_check().await,
        HealthStatus::Unreachable(_)
    ));
}

#[tokio::test]
async fn broken_answers_get_the_right_error_naming_endpoint_and_field() {
    let y = provider();
    let base = y.serve().await;
    let a = adapter(&base);
    let invoices = format!("{base}/payment-api/v1/invoices");

    let e = adapter(&dead_base()).connect().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::Unreachable { .. }) && e.to_string().contains("/version/get"),
        "{e}"
    );
    let e = adapter(&dead_base()).activities().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::Unreachable { .. }) && e.to_string().contains("/_monitor"),
        "{e}"
    );

    let mut slow = GOLEM.fixture("payment_api_invoices.json");
    slow.delay = Duration::from_secs(3);
    y.set("/payment-api/v1/invoices", slow);
    let e = a.earnings().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::Timeout { .. }) && e.to_string().contains(&invoices),
        "{e}"
    );

    let cases: Vec<(Canned, &str)> = vec![
        (
            raw(
                StatusCode::INTERNAL_SERVER_ERROR,
                "application/json",
                "{\"message\":\"db\"}",
            ),
            "HTTP 500",
        ),
        (
            raw(StatusCode::OK, "text/html", "<!doctype html><html></html>"),
            "HTML",
        ),
        (
            raw(
                StatusCode::OK,
                "application/json",
                "[{\"invoiceId\": \"3d1e",
            ),
            "invalid JSON",
        ),
        (
            json_body(
                &json!([{"invoiceId": "a", "issuerId": "x", "paymentPlatform": "p", "amount": 0.5, "status": "SETTLED"}]),
            ),
            "[0].amount",
        ),
        (
            json_body(
                &json!([{"invoiceId": "a", "issuerId": "0x2a14f8ae0272bd4c38ed1b40c66e88ed719dab69", "paymentPlatform": "erc20-polygon-glm", "amount": "-1", "status": "SETTLED"}]),
            ),
            "[0].amount",
        ),
        (
            json_body(
                &json!([{"invoiceId": "a", "issuerId": "0x2a14f8ae0272bd4c38ed1b40c66e88ed719dab69", "paymentPlatform": "erc20-polygon-glm", "amount": "2000000000", "status": "SETTLED"}]),
            ),
            "[0].amount",
        ),
        (
            json_body(
                &json!([{"invoiceId": "a", "issuerId": "0x2a14f8ae0272bd4c38ed1b40c66e88ed719dab69", "paymentPlatform": "erc20-polygon-glm", "amount": "1e5", "status": "SETTLED"}]),
            ),
            "[0].amount",
        ),
        (
            json_body(
                &json!([{"invoiceId": "a", "issuerId": "0x2a14f8ae0272bd4c38ed1b40c66e88ed719dab69", "paymentPlatform": "erc20-polygon-glm", "amount": "1", "status": "PAID?"}]),
            ),
            "[0].status",
        ),
        (json_body(&json!({"invoices": []})), "invalid type"),
    ];
    for (body, needle) in cases {
        y.set("/payment-api/v1/invoices", body);
        let e = a.earnings().await.unwrap_err();
        assert!(matches!(e, AdapterError::Malformed { .. }), "{needle}: {e}");
        assert!(
            e.to_string().contains(needle) && e.to_string().contains(&invoices),
            "{needle}: {e}"
        );
    }

    y.set(
        "/activity-api/v1/_monitor",
        raw(StatusCode::OK, "text/event-stream", "data: {\"ts\":\"2024-08-21T10:41:00Z\",\"activities\":[{\"id\":\"x\",\"state\":\"Ready\",\"usage\":{\"golem.usage.cpu_sec\":-4}}]}\n\n"),
    );
    let e = a.activities().await.unwrap_err();
    assert!(
        e.to_string()
            .contains("activities[0].usage.golem.usage.cpu_sec"),
        "{e}"
    );
}

/// A `_monitor` that sends its snapshot and then keeps the stream open, as yagna does.
async fn open_event_stream() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let event = std::fs::read_to_string(format!(
                    "{}/activity_api_monitor.sse.txt",
                    GOLEM.dir()
                ))
                .unwrap();
                let first = event.split("\n\n").next().unwrap().to_owned() + "\n\n";
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
                let chunk = format!("{:x}\r\n{first}\r\n", first.len());
                sock.write_all(head.as_bytes()).await.unwrap();
                sock.write_all(chunk.as_bytes()).await.unwrap();
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_event_stream_is_read_up_to_its_first_event() {
    let base = open_event_stream().await;
    let a = adapter(&base);
    let started = std::time::Instant::now();
    let snap = a.activities().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "must not wait for the stream to end"
    );
    assert_eq!(snap.running, 1);
    assert_eq!(snap.activities[0].state, "Ready");
}

#[tokio::test]
async fn resource_usage_reports_cpu_from_activity_counters() {
    let y = provider();
    let base = y.serve().await;
    let clock = clock("2024-08-21T11:00:00Z");
    let mut s = GolemSettings::new(&base, Some(Sensitive::new(KEY.to_owned())), clock.clone());
    s.ya_provider = "/nonexistent/ya-provider".into();
    let a = GolemAdapter::new("golem:main".parse().unwrap(), s).unwrap();
    let m = a.get_resource_usage().await.unwrap();
    // One sample is no rate: the activity's own average since it started stands in
    // (412.73 CPU-seconds over 185 s of duration = 2.231 cores).
    let first = m.cpu_millicores.unwrap();
    assert!((first - 412.73 / 185.0 * 1000.0).abs() < 1e-6, "{first}");
    assert_eq!(
        m.disk_allocated_bytes, None,
        "no CLI and no data dir: not measured"
    );
    clock.advance(chrono::Duration::seconds(10));
    let second = "data: {\"ts\":\"2024-08-21T10:41:10Z\",\"activities\":[{\"id\":\"0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9\",\"state\":\"Ready\",\"usage\":{\"golem.usage.cpu_sec\":427.73}}]}\n\n";
    y.set(
        "/activity-api/v1/_monitor",
        raw(StatusCode::OK, "text/event-stream", second),
    );
    let m = a.get_resource_usage().await.unwrap();
    // 15 CPU-seconds in 10 s = 1.5 cores.
    let cpu = m.cpu_millicores.unwrap();
    assert!((cpu - 1500.0).abs() < 1e-6, "{cpu}");
    y.set(
        "/activity-api/v1/_monitor",
        raw(
            StatusCode::OK,
            "text/event-stream",
            "data: {\"ts\":\"2024-08-21T10:42:00Z\",\"activities\":[]}\n\n",
        ),
    );
    assert_eq!(
        a.get_resource_usage().await.unwrap().cpu_millicores,
        Some(0.0),
        "nothing runs: measured zero"
    );
}

#[tokio::test]
async fn the_adapter_complies_with_the_contract_and_never_leaks_the_key() {
    let y = provider();
    let base = y.serve().await;
    let live = adapter(&base);
    let dead = adapter(&dead_base());
    orcha_core::compliance::check_adapter_compliance(&live, &dead, Some(KEY))
        .await
        .unwrap();
    let caps = live.capabilities();
    assert_eq!(caps.len(), 3);
    assert!(caps
        .iter()
        .all(|c| !c.restart_required && c.restart_cost.downtime.is_zero()));
}

#[tokio::test]
async fn the_factory_reads_the_key_from_the_environment_and_the_probe_prints_one_reading() {
    let y = provider();
    let base = y.serve().await;
    let mut config = orcha_core::config::Config::default();
    config.protocols.golem.enabled = true;
    config.protocols.golem.api_endpoint = base.clone();
    config.protocols.golem.ya_provider = "/nonexistent/ya-provider".to_owned();
    // As `orcha probe --token-env` does: the token answers every ORCHA_GOLEM_* lookup.
    let env = |k: &str| k.starts_with("ORCHA_GOLEM_").then(|| KEY.to_owned());
    let p = common::probe_through_factory(&config, &env, orcha_core::ProtocolId::Golem).await;
    assert_eq!(p["node"], "golem:main");
    assert_eq!(p["node_info"]["version"], "0.16.0");
    assert_eq!(
        p["node_info"]["remote_id"],
        "0x2a14f8ae0272bd4c38ed1b40c66e88ed719dab69"
    );
    let figures = p["earnings"]["figures"].as_array().unwrap();
    let settled = figures.iter().find(|f| f["kind"] == "settled").unwrap();
    assert_eq!(settled["base_units"], "6944444444444445");
    assert_eq!(settled["decimals"], 18);
    assert_eq!(settled["decimal"], "0.006944444444444445");
    assert_eq!(p["health"]["state"], "degraded");
    assert_eq!(p["capabilities"].as_array().unwrap().len(), 3);
    assert!(
        !p.to_string().contains(KEY),
        "the probe output never holds the key"
    );
}

#[tokio::test]
async fn payments_received_are_payout_events_keyed_by_payment_id() {
    let y = provider();
    let base = y.serve().await;
    let a = adapter(&base);
    let events = a.payouts().await.unwrap();
    // One mainnet payment to this node in the fixture: 0.006944444444444445 GLM.
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.key, "golem:b7e1f0c2-3a4d-4e5f-8a9b-0c1d2e3f4a5b");
    assert_eq!(e.kind, orcha_core::PayoutKind::Payout);
    assert_eq!(e.amount.to_decimal_string(), "0.006944444444444445");
    assert_eq!(e.at.to_rfc3339(), "2024-08-21T10:52:19+00:00");
    assert_eq!(
        e.reference.as_deref(),
        Some("b7e1f0c2-3a4d-4e5f-8a9b-0c1d2e3f4a5b")
    );
    // A second read gives the same keys: storing them twice adds nothing.
    assert_eq!(a.payouts().await.unwrap(), events);
}

#[tokio::test]
async fn payments_are_read_from_the_beginning_page_by_page() {
    use orcha_adapters::golem::PAYMENT_PAGE;
    let payment = |i: usize| {
        json!({
            "paymentId": format!("p{i}"),
            "payerId": "0x0000000000000000000000000000000000000abc",
            "payeeId": "0x2a14f8ae0272bd4c38ed1b40c66e88ed719dab69",
            "payerAddr": "0x0000000000000000000000000000000000000abc",
            "payeeAddr": "0x2a14f8ae0272bd4c38ed1b40c66e88ed719dab69",
            "paymentPlatform": "erc20-polygon-glm",
            "amount": "0.001",
            "timestamp": format!("2024-01-01T{:02}:{:02}:00Z", i / 60, i % 60),
            "agreementPayments": [], "activityPayments": [], "details": ""
        })
    };
    let y = Replay::answering(move |_, req| {
        if req.path != "/payment-api/v1/payments" {
            return None;
        }
        let q = req.query.clone().unwrap_or_default();
        assert!(q.contains(&format!("maxEvents={PAYMENT_PAGE}")), "{q}");
        // Page 1: a full page; page 2 (after the last one's time): three more, the last page.
        let page: Vec<Value> = if q.contains("afterTimestamp=2024-01-01T01:39:00") {
            (PAYMENT_PAGE..PAYMENT_PAGE + 3).map(payment).collect()
        } else {
            assert!(!q.contains("afterTimestamp"), "{q}");
            (0..PAYMENT_PAGE).map(payment).collect()
        };
        Some(json_body(&Value::Array(page)))
    });
    y.set("/me", GOLEM.fixture("me.json"));
    let base = y.serve().await;
    let events = adapter(&base).payouts().await.unwrap();
    // 100 + 3 payments of 0.001 GLM, each once.
    assert_eq!(events.len(), PAYMENT_PAGE + 3);
    assert_eq!(events.last().unwrap().key, "golem:p102");
}

#[tokio::test]
async fn invoices_are_the_earned_history_each_at_its_time() {
    let y = provider();
    let base = y.serve().await;
    let periods = adapter(&base).earnings_history().await.unwrap();
    // Both fixture invoices are this node's, on mainnet GLM and not rejected: SETTLED
    // 0.006944444444444445 at 10:40:02.318 and ISSUED 0.0021 at 11:05:44.901 (21 Aug 2024).
    let got: Vec<(String, String, String)> = periods
        .iter()
        .map(|p| {
            (
                p.key.clone(),
                p.start.to_rfc3339(),
                p.amount.to_decimal_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "golem:invoice:3d1e5c8a-7b2f-4e1a-9c0d-5f6a7b8c9d0e".to_owned(),
                "2024-08-21T10:40:02.318+00:00".to_owned(),
                "0.006944444444444445".to_owned()
            ),
            (
                "golem:invoice:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d".to_owned(),
                "2024-08-21T11:05:44.901+00:00".to_owned(),
                "0.002100000000000000".to_owned()
            ),
        ]
    );
}
