//! `/metrics` over HTTP: the handler `orcha serve` mounts, and the desktop app's own loopback
//! listener (its only HTTP listener, on when the operator sets `orchestrator.metrics_port`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use orcha_api::AppState;
use tokio_util::sync::CancellationToken;

/// The Prometheus text exposition of the state's registry.
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

/// Only `/metrics`, for a separate loopback listener; the same rendering as `orcha serve`'s.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serves `router` on `listener` until `cancel` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { cancel.cancelled().await })
    .await
}

/// Serves `/metrics` on 127.0.0.1:`port` until `cancel` fires. A port in use is logged, not
/// fatal: the app runs on without the listener.
pub async fn serve_loopback(state: Arc<AppState>, port: u16, cancel: CancellationToken) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(%addr, error = %e, "Cannot serve /metrics; is the port in use?");
            return;
        }
    };
    tracing::info!(%addr, "Serving /metrics.");
    if let Err(e) = serve(listener, metrics_router(state), cancel).await {
        tracing::error!(error = %e, "The /metrics listener failed.");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use orcha_api::metrics::Metrics;
    use orcha_api::ml::MlClient;
    use orcha_api::state::AppParts;

    use super::*;

    #[tokio::test]
    async fn the_loopback_listener_serves_metrics_until_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(AppParts {
            config: orcha_core::config::Config::default(),
            store: orcha_store::Store::open(&dir.path().join("orcha.db")).unwrap(),
            secrets: Arc::new(orcha_core::secret::MemorySecretStore::default()),
            clock: Arc::new(orcha_core::SystemClock),
            metrics: Metrics::new(),
            nodes: vec![],
            ml: MlClient::new(None, Duration::from_secs(1)),
            demo: false,
        });
        // A free port: bound once, released, then taken by the listener under test.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cancel = CancellationToken::new();
        let task = tokio::spawn(serve_loopback(state, port, cancel.clone()));
        let url = format!("http://127.0.0.1:{port}/metrics");
        let mut answer = None;
        for _ in 0..50 {
            if let Ok(r) = reqwest::get(&url).await {
                answer = Some(r);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let answer = answer.unwrap();
        assert_eq!(answer.status(), 200);
        assert!(answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        assert!(answer.text().await.unwrap().contains("orcha_"));
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
    }
}
