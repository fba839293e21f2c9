//! `orcha serve` in-process with a test adapter: samples reach SQLite and the WebSocket, the
//! cycle runs its six recorded steps, and the REST errors name their field.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use orcha_core::*;
use orcha_server::ServerOptions;
use orcha_testkit::net::{self, Served};
use orcha_testkit::wait::EventStream;
use orcha_testkit::{FakeNode, TestApp};

/// The state under test and the server in front of it.
struct Running {
    app: TestApp,
    server: Served,
}

/// One Storj node that answers instantly with a counter, so every sample is recognisable.
async fn start(poll_secs: u64) -> Running {
    let app = TestApp::builder()
        .configure(|c| {
            c.orchestrator.poll_interval = poll_secs;
            c.orchestrator.optimization_interval = 3600;
        })
        .poll_interval(Duration::from_secs(poll_secs))
        .node(
            FakeNode::new("storj:test")
                .version("test-1")
                .earnings(
                    EarningsKind::CurrentPeriodEstimate,
                    Money::new(Token::Usd, 1234, 2),
                )
                .counting_usage(),
        )
        .build();
    let router = orcha_server::router(
        Arc::clone(&app.state),
        ServerOptions::new(orcha_core::secret::Sensitive::new(
            net::API_TOKEN.to_owned(),
        )),
    );
    let server = net::serve(orcha_server::serve, router).await;
    Running { app, server }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_reach_sqlite_and_the_websocket() {
    let r = start(1).await;
    let mut ws = EventStream::connect(&r.server.base).await;
    let orchestrator =
        orcha_api::orchestrator::spawn(Arc::clone(&r.app.state), r.server.cancel.child_token());

    let first = ws.next("sample").await;
    assert_eq!(first["node"], "storj:test");
    assert_eq!(first["values"][0]["metric"], "cpu_millicores");
    let second = ws.next("sample").await;
    let (a, b) = (
        first["values"][0]["value"].as_f64().unwrap(),
        second["values"][0]["value"].as_f64().unwrap(),
    );
    assert!(b > a, "each poll is a new reading ({a} then {b})");

    // What was streamed is in the database, read back through the REST API.
    let from = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let to = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let series: serde_json::Value = net::client()
        .get(format!("{}/api/v1/series", r.server.base))
        .query(&[
            ("node", "storj:test"),
            ("metric", "cpu_millicores"),
            ("from", &from),
            ("to", &to),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let values: Vec<f64> = series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .collect();
    assert!(
        values.contains(&a) && values.contains(&b),
        "stored {values:?} must include {a} and {b}"
    );

    let nodes: serde_json::Value = net::get(format!("{}/api/v1/nodes", r.server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(nodes[0]["health"]["state"], "healthy");
    assert_eq!(nodes[0]["earnings"][0]["amount"]["decimal"], "12.34");
    assert_eq!(nodes[0]["version"], "test-1");

    let metrics = net::get(format!("{}/metrics", r.server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("orcha_adapter_polls_total{node=\"test\",protocol=\"storj\"}"),
        "{metrics}"
    );

    r.server.cancel.cancel();
    orchestrator.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_records_six_steps_and_never_applies_without_the_ml_engine() {
    let r = start(3600).await;
    let mut ws = EventStream::connect(&r.server.base).await;
    let cycle = orcha_api::orchestrator::run_cycle(&r.app.state, "test")
        .await
        .unwrap();
    let mut steps = Vec::new();
    for _ in 0..6 {
        let s = ws.next("cycle-step").await;
        assert_eq!(s["cycle"], cycle);
        steps.push((
            s["step"].as_str().unwrap().to_owned(),
            s["status"].as_str().unwrap().to_owned(),
            s["detail"].as_str().unwrap().to_owned(),
        ));
    }
    let names: Vec<&str> = steps.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names,
        ["collect", "predict", "optimize", "evaluate", "apply", "monitor"]
    );
    assert_eq!(steps[0].1, "done");
    assert_eq!(steps[1].1, "skipped");
    assert!(
        steps[1].2.contains("ML engine unavailable"),
        "{:?}",
        steps[1]
    );
    assert_eq!(steps[4].1, "skipped", "apply must not run without a plan");

    let latest: serde_json::Value = net::get(format!("{}/api/v1/cycles/latest", r.server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(latest["id"], cycle);
    assert_eq!(latest["steps"].as_array().unwrap().len(), 6);
    let decisions: serde_json::Value =
        net::get(format!("{}/api/v1/decisions?limit=5", r.server.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(decisions[0]["verdict"], "skip");
    assert!(decisions[0]["reason"]
        .as_str()
        .unwrap()
        .contains("ML engine unavailable"));
    let status: serde_json::Value = net::get(format!("{}/api/v1/status", r.server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["ml"]["available"], false);
    assert_eq!(status["demo"], false);
    r.server.cancel.cancel();
}

#[tokio::test]
async fn bad_requests_name_the_field() {
    let r = start(3600).await;
    let c = net::client();
    let resp = c
        .get(format!(
            "{}/api/v1/series?metric=cpu_millicores",
            r.server.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let e: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(e["code"], "bad_request");
    assert_eq!(e["field"], "node", "{e}");

    let resp = c
        .get(format!("{}/api/v1/series", r.server.base))
        .query(&[
            ("node", "storj:nope"),
            ("metric", "m"),
            ("from", "2026-01-01T00:00:00Z"),
            ("to", "2026-01-02T00:00:00Z"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    let resp = c
        .get(format!("{}/api/v1/series", r.server.base))
        .query(&[
            ("node", "storj:test"),
            ("metric", "m"),
            ("from", "2026-01-02T00:00:00Z"),
            ("to", "2026-01-01T00:00:00Z"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let e: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(e["field"], "to");

    let resp = c
        .put(format!("{}/api/v1/secrets", r.server.base))
        .json(&serde_json::json!({"key": "golem:main/app_key", "value": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["field"],
        "value"
    );

    let resp = c
        .post(format!("{}/api/v1/alerts/999/ack", r.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = c
        .get(format!("{}/api/v1/nope", r.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["code"],
        "not_found"
    );
    r.server.cancel.cancel();
}

#[tokio::test]
async fn secrets_are_stored_without_echo_and_audited_without_value() {
    let r = start(3600).await;
    let c = net::client();
    let secret = "super-secret-app-key-4711";
    let resp = c
        .put(format!("{}/api/v1/secrets", r.server.base))
        .json(&serde_json::json!({"key": "golem:main/app_key", "value": secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(
        !body.contains(secret),
        "the value must not be echoed: {body}"
    );
    let s: serde_json::Value = c
        .get(format!(
            "{}/api/v1/secrets/golem:main%2Fapp_key",
            r.server.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["stored"], true, "{s}");
    let s: serde_json::Value = c
        .delete(format!(
            "{}/api/v1/secrets/golem:main%2Fapp_key",
            r.server.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["stored"], false);
    let db = std::fs::read(r.app.dir().join("orcha.db")).unwrap();
    let wal = std::fs::read(r.app.dir().join("orcha.db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret reached the database file"
        );
    }
    r.server.cancel.cancel();
}

#[tokio::test]
async fn api_token_guards_the_api() {
    let app = TestApp::builder().build();
    let opts = ServerOptions::new(orcha_core::secret::Sensitive::new("tok".into()));
    let server = net::serve(
        orcha_server::serve,
        orcha_server::router(Arc::clone(&app.state), opts),
    )
    .await;
    let base = &server.base;
    // A client without the token: nothing set by default.
    let c = reqwest::Client::new();
    assert_eq!(
        c.get(format!("{base}/api/v1/status"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        c.get(format!("{base}/api/v1/status"))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        c.get(format!("{base}/api/v1/status"))
            .bearer_auth("tok")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(format!("{base}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "liveness stays open"
    );
    server.cancel.cancel();
}
