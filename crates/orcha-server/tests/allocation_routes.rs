//! The allocation routes are the `ops` functions over HTTP: shapes and error codes.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use orcha_server::ServerOptions;
use orcha_testkit::{net, TestApp};
use serde_json::{json, Value};

#[tokio::test]
async fn allocation_routes_answer_with_dtos_and_api_errors() {
    let app = TestApp::builder().build();
    let router = orcha_server::router(
        Arc::clone(&app.state),
        ServerOptions::new(orcha_core::secret::Sensitive::new(
            net::API_TOKEN.to_owned(),
        )),
    );
    let server = net::serve(orcha_server::serve, router).await;
    let base = format!("{}/api/v1", server.base);
    let http = net::client();

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
    server.cancel.cancel();
}
