//! The ML client sends the engine's per-start secret on every request and reads replies with a
//! size cap, refusing an oversized one while it streams in.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use orcha_api::ml::{MlClient, MlError, MAX_REPLY_BYTES};

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn every_request_carries_the_bearer_secret() {
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let s = Arc::clone(&seen);
    let app = Router::new().route(
        "/health",
        get(move |h: HeaderMap| async move {
            s.lock().unwrap().push(
                h.get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned()),
            );
            r#"{"status":"ok"}"#
        }),
    );
    let client = MlClient::new(Some(serve(app).await), Duration::from_secs(5));
    client.health().await.unwrap();
    client.set_secret(Some("ab".repeat(32)));
    client.health().await.unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![None, Some(format!("Bearer {}", "ab".repeat(32)))]
    );
}

#[tokio::test]
async fn an_oversized_reply_is_refused() {
    // Streamed without a length, so only the running count can stop it.
    let app = Router::new().route(
        "/v1/models",
        get(|| async {
            let chunk = vec![b' '; 1024 * 1024];
            let stream = futures::stream::iter(
                (0..(MAX_REPLY_BYTES / chunk.len() + 2))
                    .map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
            );
            axum::body::Body::from_stream(stream)
        }),
    );
    let client = MlClient::new(Some(serve(app).await), Duration::from_secs(30));
    match client.models().await {
        Err(MlError::Malformed { what, .. }) => assert!(what.contains("larger than"), "{what}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
