//! `GET /api/v1/prices` and `GET /api/v1/earnings/totals` over real HTTP, with the price feed refreshed from a local fake CoinGecko, and the CoinGecko key through the secrets routes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header;
use axum::response::Response;
use axum::Router;
use orcha_core::secret::{SecretKey, SecretStore};
use orcha_server::{router, ServerOptions};
use orcha_testkit::{net, TestApp};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// CoinGecko's real `/simple/price` answer shape; GRASS is left out as an unknown id would be.
const PRICES: &str = r#"{"golem":{"usd":0.2512,"last_updated_at":1767225590},"streamr":{"usd":0.0123,"last_updated_at":1767225580},"storj":{"usd":0.31,"last_updated_at":1767225570},"polygon-ecosystem-token":{"usd":0.19,"last_updated_at":1767225560}}"#;

/// A fake CoinGecko that records the API key header of every request.
async fn fake_coingecko(keys: Arc<Mutex<Vec<Option<String>>>>) -> String {
    async fn handle(State(keys): State<Arc<Mutex<Vec<Option<String>>>>>, req: Request) -> Response {
        keys.lock().unwrap().push(
            req.headers()
                .get("x-cg-demo-api-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        );
        Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(PRICES))
            .unwrap()
    }
    let app = Router::new()
        .route("/api/v3/simple/price", axum::routing::get(handle))
        .with_state(keys);
    format!("{}/api/v3", net::stub(app).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_and_totals_routes() {
    let keys = Arc::new(Mutex::new(Vec::new()));
    let coingecko = fake_coingecko(Arc::clone(&keys)).await;
    let app = TestApp::builder()
        .configure(|c| c.prices.base_url = coingecko)
        .build();
    let (state, secrets) = (&app.state, &app.secrets);
    let server = net::serve(
        orcha_server::serve,
        router(
            Arc::clone(state),
            ServerOptions::new(orcha_core::secret::Sensitive::new(
                net::API_TOKEN.to_owned(),
            )),
        ),
    )
    .await;
    let base = format!("{}/api/v1", server.base);
    let http = net::client();
    let get = |path: &str| {
        let (http, url) = (http.clone(), format!("{base}{path}"));
        async move {
            let r = http.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };

    // Before any refresh nothing has a price: "none", not zero.
    let before = get("/prices").await;
    assert_eq!(before["fiat"], "usd");
    assert_eq!(before["source"], "coingecko");
    let glm = before["prices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["asset"] == "glm")
        .unwrap()
        .clone();
    assert_eq!(glm["state"], "none");
    assert_eq!(glm["value"], Value::Null);

    // The CoinGecko key goes through the ordinary secrets route and reaches the request.
    let r = http
        .put(format!("{base}/secrets"))
        .json(&serde_json::json!({"key": "prices:coingecko/api_key", "value": "cg-key-42"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(secrets
        .get(&SecretKey("prices:coingecko/api_key".into()))
        .unwrap()
        .is_some());
    let status = get("/secrets/prices%3Acoingecko%2Fapi_key").await;
    assert_eq!(status["stored"], true);
    let r = http
        .put(format!("{base}/secrets"))
        .json(&serde_json::json!({"key": "prices:binance/api_key", "value": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The refresher, as the orchestrator runs it.
    let loop_cancel = CancellationToken::new();
    let refresher = tokio::spawn(orcha_api::prices::run(
        Arc::clone(state),
        loop_cancel.clone(),
    ));
    let mut after = Value::Null;
    for _ in 0..100 {
        after = get("/prices").await;
        if after["last_refresh"] != Value::Null {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let find = |v: &Value, asset: &str| {
        v["prices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["asset"] == asset)
            .unwrap()
            .clone()
    };
    let glm = find(&after, "glm");
    assert_eq!(glm["state"], "fresh");
    assert_eq!(glm["value"], "0.2512");
    assert_eq!(glm["source"], "coingecko");
    assert_eq!(glm["observed_at"], "2025-12-31T23:59:50Z");
    assert_eq!(
        find(&after, "grass")["state"],
        "none",
        "unknown to the source"
    );
    assert_eq!(find(&after, "points")["state"], "none", "no operator value");
    assert_eq!(keys.lock().unwrap()[0].as_deref(), Some("cg-key-42"));
    loop_cancel.cancel();
    tokio::time::timeout(Duration::from_secs(2), refresher)
        .await
        .expect("the refresher stops on cancel")
        .unwrap();

    let totals = get("/earnings/totals").await;
    assert_eq!(totals["fiat"], "usd");
    let windows: Vec<&str> = totals["overall"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["window"].as_str().unwrap())
        .collect();
    assert_eq!(windows, ["today", "7d", "30d"]);
    // Nothing earned by no nodes: no fiat value is claimed.
    assert_eq!(totals["overall"][0]["fiat"]["value"], Value::Null);

    server.stop().await;
}
