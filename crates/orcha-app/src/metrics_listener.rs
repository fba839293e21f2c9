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
