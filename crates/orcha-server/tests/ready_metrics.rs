//! Over real HTTP: `/health/ready` shows a failing alert channel next to the database, the ML
//! engine and each adapter's last poll; the metrics-only router (the desktop's `metrics_port`)
//! serves `/metrics` and nothing else; `GET /api/v1/forecast` serves a stored forecast.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use orcha_api::orchestrator::poll_node;
use orcha_api::AppState;
use orcha_core::*;
use orcha_server::{router, ServerOptions};
use orcha_store::ForecastRow;
use orcha_testkit::net::{self, Served};
use orcha_testkit::{FakeNode, TestApp};

/// The state under test and the server in front of it.
struct Running {
    app: TestApp,
    server: Served,
}

/// One Golem node that never answers, and an ntfy channel that fails fast.
async fn serve(router: impl FnOnce(Arc<AppState>) -> axum::Router) -> Running {
    let app = TestApp::builder()
        .configure(|c| {
            // Port 1: nothing listens there, so every ntfy send fails fast.
            c.alerts.ntfy_url = "http://127.0.0.1:1/orcha".into();
            c.alerts.send_timeout_secs = 1;
        })
        .node(FakeNode::new("golem:main").unreachable())
        .build();
    let server = net::serve(orcha_server::serve, router(Arc::clone(&app.state))).await;
    Running { app, server }
}

async fn get_json(url: &str) -> (u16, serde_json::Value) {
    let r = net::get(url).await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_shows_a_failing_alert_channel_with_the_database_engine_and_adapters() {
    let s = serve(|st| {
        router(
            st,
            ServerOptions::new(orcha_core::secret::Sensitive::new(
                net::API_TOKEN.to_owned(),
            )),
        )
    })
    .await;
    poll_node(&s.app.state, &s.app.state.nodes[0]).await;

    let (status, body) = get_json(&format!("{}/health/ready", s.server.base)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ready"], true);
    assert_eq!(body["database"], "writable");
    assert_eq!(body["ml_engine"]["available"], false, "{body}");
    assert_eq!(body["nodes"][0]["node"], "golem:main");
    assert_eq!(body["nodes"][0]["health"], "unreachable", "{body}");
    assert!(
        body["nodes"][0]["last_poll"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("refused")),
        "{body}"
    );
    let ntfy = |body: &serde_json::Value| {
        body["alert_channels"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .find(|c| c["channel"] == "ntfy")
            .cloned()
            .unwrap()
    };
    let before = ntfy(&body);
    assert_eq!(before["configured"], true);
    assert!(before["last_error"].is_null(), "{before}");

    // The channel fails once: readiness still holds (only the database decides it), and the
    // failure is there to be seen.
    let sent = orcha_api::ops::send_test_alert(&s.app.state, orcha_api::Actor::Api)
        .await
        .unwrap();
    assert!(sent.iter().any(|c| c.last_error.is_some()), "{sent:?}");
    let (status, body) = get_json(&format!("{}/health/ready", s.server.base)).await;
    assert_eq!(status, 200);
    let after = ntfy(&body);
    assert!(
        after["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{after}"
    );
    assert!(after["last_error_at"].is_string(), "{after}");
    // Channels nobody configured are listed as such, without errors.
    let discord = body["alert_channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "discord")
        .unwrap();
    assert_eq!(discord["configured"], false);
    assert!(discord["last_error"].is_null());
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_router_serves_metrics_and_nothing_else() {
    let s = serve(orcha_server::metrics_router).await;
    poll_node(&s.app.state, &s.app.state.nodes[0]).await;
    let r = net::get(format!("{}/metrics", s.server.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    assert!(
        text.contains("orcha_adapter_poll_errors_total")
            || text.contains("orcha_adapter_polls_total"),
        "{text}"
    );
    // The same rendering as the full router's /metrics.
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("# HELP orcha_"))
            .count(),
        s.app
            .state
            .metrics
            .render()
            .lines()
            .filter(|l| l.starts_with("# HELP orcha_"))
            .count()
    );
    for path in ["/api/v1/status", "/health/ready", "/"] {
        let r = net::get(format!("{}{path}", s.server.base)).await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forecast_route_serves_the_stored_band() {
    let s = serve(|st| {
        router(
            st,
            ServerOptions::new(orcha_core::secret::Sensitive::new(
                net::API_TOKEN.to_owned(),
            )),
        )
    })
    .await;
    let now = chrono::Utc::now();
    let hour = chrono::DurationRound::duration_trunc(now, chrono::Duration::hours(1)).unwrap();
    let rows: Vec<ForecastRow> = (1..=24)
        .map(|h| ForecastRow {
            node: "golem:main".parse().unwrap(),
            made_at: now,
            target: hour + chrono::Duration::hours(h),
            p10: Money::new(Token::Glm, 1, 18),
            p50: Money::new(Token::Glm, 2, 18),
            p90: Money::new(Token::Glm, 3, 18),
            model: "seasonal_naive_24".into(),
            model_version: Some("0.1.0".into()),
        })
        .collect();
    s.app
        .state
        .db(move |st| st.insert_forecasts(&rows))
        .await
        .unwrap();
    let api = format!("{}/api/v1/forecast", s.server.base);
    let (status, body) = get_json(&format!("{api}?node=golem:main&hours=12")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["points"].as_array().unwrap().len(), 12);
    assert_eq!(body["points"][0]["p50"]["base_units"], "2");
    assert_eq!(body["model"], "seasonal_naive_24");
    assert_eq!(body["estimate"], true);
    let (_, all) = get_json(&format!("{api}?node=golem:main")).await;
    assert_eq!(all["points"].as_array().unwrap().len(), 24);
    let (status, err) = get_json(&api).await;
    assert_eq!((status, &err["field"]), (400, &serde_json::json!("node")));
    let (status, err) = get_json(&format!("{api}?node=golem:main&hours=0")).await;
    assert_eq!((status, &err["field"]), (400, &serde_json::json!("hours")));
    let (status, _) = get_json(&format!("{api}?node=storj:none")).await;
    assert_eq!(status, 404);
    s.server.stop().await;
}
