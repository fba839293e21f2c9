//! The API's front door against other local users and hostile web pages: the token is required
//! everywhere but liveness, forged Hosts and foreign Origins are refused, query tokens are not
//! accepted on REST routes, a burst meets 429 with `Retry-After`, and slow clients, big bodies
//! and extra WebSockets are cut off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use futures::StreamExt;
use orcha_server::ServerOptions;
use orcha_testkit::net::{self, Served, API_TOKEN};
use orcha_testkit::TestApp;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

struct Running {
    _app: TestApp,
    server: Served,
}

async fn start() -> Running {
    let app = TestApp::builder().build();
    let router = orcha_server::router(
        Arc::clone(&app.state),
        ServerOptions::new(orcha_core::secret::Sensitive::new(API_TOKEN.to_owned())),
    );
    let server = net::serve(orcha_server::serve, router).await;
    Running { _app: app, server }
}

/// A client that sends no token and follows no redirects.
fn anonymous() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn everything_but_liveness_needs_the_token() {
    let r = start().await;
    let base = &r.server.base;
    let c = anonymous();
    for path in [
        "/api/v1/status",
        "/api/v1/nodes",
        "/health/ready",
        "/metrics",
    ] {
        let resp = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
        let resp = net::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(resp.status(), 200, "{path} with the token");
    }
    // Liveness says nothing but that the process is up.
    let health: serde_json::Value = c
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, serde_json::json!({ "status": "ok" }));
    r.server.stop().await;
}

#[tokio::test]
async fn the_token_in_a_query_is_refused_on_rest_routes() {
    let r = start().await;
    let base = &r.server.base;
    let resp = anonymous()
        .get(format!("{base}/api/v1/status?token={API_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // Nor does a ticket open a REST route: tickets are for the WebSocket upgrade only.
    let ticket: serde_json::Value = net::client()
        .post(format!("{base}/api/v1/ws-ticket"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = ticket["ticket"].as_str().unwrap();
    let resp = anonymous()
        .get(format!("{base}/api/v1/status?ticket={ticket}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    r.server.stop().await;
}

#[tokio::test]
async fn a_forged_host_is_refused_even_with_the_token() {
    let r = start().await;
    let base = &r.server.base;
    let port = base.rsplit(':').next().unwrap();
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        "127.0.0.1".to_owned(),
    ] {
        let resp = net::client()
            .get(format!("{base}/api/v1/status"))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 421, "{host}");
    }
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let resp = net::client()
            .get(format!("{base}/api/v1/status"))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{host}");
    }
    r.server.stop().await;
}

#[tokio::test]
async fn a_foreign_origin_cannot_change_anything_or_open_the_websocket() {
    let r = start().await;
    let base = &r.server.base;
    let resp = net::client()
        .put(format!("{base}/api/v1/automation"))
        .header("origin", "http://evil.example")
        .json(&serde_json::json!({ "paused": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // The same request from the server's own origin, or from no browser at all, goes through.
    let resp = net::client()
        .put(format!("{base}/api/v1/automation"))
        .header("origin", base.as_str())
        .json(&serde_json::json!({ "paused": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let ws = format!("{}/api/v1/events", base.replace("http://", "ws://"));
    let mut req = ws.as_str().into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {API_TOKEN}").parse().unwrap(),
    );
    req.headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    r.server.stop().await;
}

#[tokio::test]
async fn the_websocket_opens_with_a_single_use_ticket_but_not_the_raw_token() {
    let r = start().await;
    let base = &r.server.base;
    let ws = base.replace("http://", "ws://");
    let err = tokio_tungstenite::connect_async(format!("{ws}/api/v1/events?token={API_TOKEN}"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    let ticket: serde_json::Value = net::client()
        .post(format!("{base}/api/v1/ws-ticket"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!(
        "{ws}/api/v1/events?ticket={}",
        ticket["ticket"].as_str().unwrap()
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let err = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("401"),
        "a ticket works once: {err}"
    );
    socket.close(None).await.unwrap();
    let _ = socket.next().await;
    r.server.stop().await;
}

#[tokio::test]
async fn the_login_link_sets_a_strict_http_only_cookie_once() {
    let app = TestApp::builder().build();
    let options = ServerOptions::new(orcha_core::secret::Sensitive::new(API_TOKEN.to_owned()));
    let code = options.auth.login_code();
    let server = net::serve(
        orcha_server::serve,
        orcha_server::router(Arc::clone(&app.state), options),
    )
    .await;
    let base = &server.base;
    let c = anonymous();
    let resp = c
        .get(format!("{base}/login?code={code}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/");
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in ["orcha_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_owned();
    let resp = c
        .get(format!("{base}/api/v1/status"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // The code is spent.
    let again = c
        .get(format!("{base}/login?code={code}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401);
    server.stop().await;
}

#[tokio::test]
async fn a_burst_meets_429_with_retry_after() {
    let r = start().await;
    let c = net::client();
    let url = format!("{}/health", r.server.base);
    let answers = futures::future::join_all((0..150).map(|_| c.get(&url).send())).await;
    let limited: Vec<_> = answers
        .into_iter()
        .map(|a| a.unwrap())
        .filter(|a| a.status() == 429)
        .collect();
    assert!(
        !limited.is_empty(),
        "150 requests at once exceed the burst of 100"
    );
    let retry: u64 = limited[0].headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&retry), "{retry}");
    r.server.stop().await;
}

#[tokio::test]
async fn repeated_bad_tokens_are_slowed_down() {
    let r = start().await;
    let url = format!("{}/api/v1/status", r.server.base);
    let c = anonymous();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(
            c.get(&url)
                .bearer_auth("guess")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(&statuses[10..], &[429, 429]);
    // The right token still works: the limit is on failures, not on the operator.
    assert_eq!(net::get(&url).await.unwrap().status(), 200);
    r.server.stop().await;
}

#[tokio::test]
async fn a_slow_client_is_cut_off_and_big_bodies_and_extra_websockets_are_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::builder().build();
    let mut options = ServerOptions::new(orcha_core::secret::Sensitive::new(API_TOKEN.to_owned()));
    options.limits.max_websockets = 1;
    let router = orcha_server::router(Arc::clone(&app.state), options);
    let limits = orcha_server::listener::ConnectionLimits {
        max_connections: 16,
        header_read_timeout: std::time::Duration::from_millis(300),
    };
    let server = net::serve(
        move |l, r, c| orcha_server::listener::serve_with(l, r, c, limits),
        router,
    )
    .await;
    let base = &server.base;

    // Slowloris: headers that never end are cut off after the header-read timeout.
    let mut slow = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        slow.read_to_end(&mut buf),
    )
    .await;
    assert!(read.is_ok(), "the connection is closed within the timeout");

    // A body over 1 MiB is refused before it is parsed.
    let big = serde_json::json!({ "paused": true, "pad": "x".repeat(2 << 20) });
    let resp = net::client()
        .put(format!("{base}/api/v1/automation"))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);

    // One event WebSocket allowed: the second is refused while the first is open.
    let ws = format!("{}/api/v1/events", base.replace("http://", "ws://"));
    let mut first = net::websocket(&ws).await;
    let mut req = ws.as_str().into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {API_TOKEN}").parse().unwrap(),
    );
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    first.close(None).await.unwrap();
    let _ = first.next().await;
    server.stop().await;
}
