//! The allocation routes are the `ops` functions over HTTP: shapes and error codes.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use orcha_api::metrics::Metrics;
use orcha_api::ml::MlClient;
use orcha_api::state::AppParts;
use orcha_api::AppState;
use orcha_core::config::Config;
use orcha_core::secret::MemorySecretStore;
use orcha_core::SystemClock;
use orcha_server::ServerOptions;
use orcha_store::Store;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn allocation_routes_answer_with_dtos_and_api_errors() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(AppParts {
        config: Config::default(),
        store: Store::open(&dir.path().join("orcha.db")).unwrap(),
        secrets: Arc::new(MemorySecretStore::default()),
        clock: Arc::new(SystemClock),
        metrics: Metrics::new(),
        nodes: vec![],
        ml: MlClient::new(None, Duration::from_secs(1)),
        demo: false,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
    let cancel = CancellationToken::new();
    let router = orcha_server::router(Arc::clone(&state), ServerOptions::default());
    tokio::spawn(orcha_server::serve(listener, router, cancel.child_token()));
    let http = reqwest::Client::new();

    let r = http.get(format!("{base}/allocation")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body["decision_id"].is_null());
    assert!(body["budget"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["resource"] == "cpu"));

    let r = http
        .put(format!("{base}/allocation/auto-apply"))
        .json(&json!({ "node": "golem:nope", "enabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let r = http
        .post(format!("{base}/allocation/what-if"))
        .json(&json!({ "nodes": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "nodes");

    let r = http
        .post(format!("{base}/allocation/approve"))
        .json(&json!({ "decision_id": 42 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    cancel.cancel();
}
