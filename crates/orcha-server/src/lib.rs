//! The headless front door: axum REST routes, the event WebSocket, `/metrics` and `/health`.
//!
//! Every `/api/v1` route is a one-line wrapper over `orcha_api::ops`; this crate adds only HTTP
//! concerns (status codes, query parsing, the API token, static files).

pub mod demo;
pub mod startup;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use orcha_api::dto::*;
use orcha_api::{ops, AppState};
use orcha_core::secret::Sensitive;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

/// `ApiError` as an HTTP response: the status from its code, the body the error itself.
pub struct HttpError(pub ApiError);

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        HttpError(e)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, axum::Json(self.0)).into_response()
    }
}

type ApiResult<T> = Result<axum::Json<T>, HttpError>;

/// A query string parsed into `T`; a bad one is an `ApiError` naming the problem.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = HttpError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| HttpError(rejection_error(&e.body_text())))
    }
}

/// A JSON body parsed into `T`; a bad one is an `ApiError` naming the problem.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = HttpError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|j| Json(j.0))
            .map_err(|e: JsonRejection| HttpError(rejection_error(&e.body_text())))
    }
}

/// Turns serde's "missing field `node`" into an error whose `field` is `node`.
fn rejection_error(text: &str) -> ApiError {
    let field = text
        .split('`')
        .nth(1)
        .filter(|f| !f.is_empty() && f.len() < 64)
        .map(str::to_owned);
    ApiError {
        code: ErrorCode::BadRequest,
        message: text.to_owned(),
        field,
    }
}

#[derive(Deserialize)]
struct LimitQuery {
    #[serde(default = "default_limit")]
    limit: u32,
}

fn default_limit() -> u32 {
    100
}

#[derive(Deserialize)]
struct AlertsQuery {
    #[serde(default)]
    include_cleared: bool,
}

/// Everything the router needs besides the state.
#[derive(Clone, Default)]
pub struct ServerOptions {
    /// The built UI (`dist/`), served from `/` when present.
    pub ui_dir: Option<PathBuf>,
    /// Required as `Authorization: Bearer …` on `/api` when set (non-loopback binds).
    pub api_token: Option<Sensitive<String>>,
}

pub fn router(state: Arc<AppState>, options: ServerOptions) -> Router {
    let api = Router::new()
        .route(
            "/status",
            get(|State(s): State<Arc<AppState>>| async move { wrap(ops::status(&s).await) }),
        )
        .route(
            "/nodes",
            get(|State(s): State<Arc<AppState>>| async move { wrap(ops::nodes(&s).await) }),
        )
        .route(
            "/series",
            get(
                |State(s): State<Arc<AppState>>, Query(q): Query<SeriesQuery>| async move {
                    wrap(ops::series(&s, q).await)
                },
            ),
        )
        .route(
            "/earnings/history",
            get(
                |State(s): State<Arc<AppState>>, Query(q): Query<EarningsHistoryQuery>| async move {
                    wrap(ops::earnings_history(&s, q).await)
                },
            ),
        )
        .route(
            "/earnings/totals",
            get(|State(s): State<Arc<AppState>>| async move {
                wrap(ops::earnings_totals(&s).await)
            }),
        )
        .route(
            "/prices",
            get(|State(s): State<Arc<AppState>>| async move { wrap(ops::prices(&s).await) }),
        )
        .route(
            "/decisions",
            get(
                |State(s): State<Arc<AppState>>, Query(q): Query<LimitQuery>| async move {
                    wrap(ops::decisions(&s, q.limit).await)
                },
            ),
        )
        .route(
            "/cycles/latest",
            get(|State(s): State<Arc<AppState>>| async move { wrap(ops::latest_cycle(&s).await) }),
        )
        .route(
            "/alerts",
            get(
                |State(s): State<Arc<AppState>>, Query(q): Query<AlertsQuery>| async move {
                    wrap(
                        ops::alerts(
                            &s,
                            AlertQuery {
                                include_cleared: q.include_cleared,
                            },
                        )
                        .await,
                    )
                },
            ),
        )
        .route(
            "/alerts/{id}/ack",
            post(
                |State(s): State<Arc<AppState>>, Path(id): Path<i64>| async move {
                    wrap(ops::acknowledge_alert(&s, id).await)
                },
            ),
        )
        .route(
            "/alerts/channels",
            get(|State(s): State<Arc<AppState>>| async move { wrap(ops::alert_channels(&s).await) }),
        )
        .route(
            "/alerts/test",
            post(|State(s): State<Arc<AppState>>| async move { wrap(ops::send_test_alert(&s).await) }),
        )
        .route(
            "/alerts/secrets",
            put(
                |State(s): State<Arc<AppState>>, Json(r): Json<SetSecretRequest>| async move {
                    wrap(ops::set_alert_secret(&s, r).await)
                },
            ),
        )
        .route(
            "/alerts/secrets/{key}",
            axum::routing::delete(
                |State(s): State<Arc<AppState>>, Path(k): Path<String>| async move {
                    wrap(ops::delete_alert_secret(&s, k).await)
                },
            )
            .get(
                |State(s): State<Arc<AppState>>, Path(k): Path<String>| async move {
                    wrap(ops::alert_secret_status(&s, k).await)
                },
            ),
        )
        .route(
            "/settings",
            get(|State(s): State<Arc<AppState>>| async move { wrap(ops::settings(&s).await) }).put(
                |State(s): State<Arc<AppState>>, Json(r): Json<SettingsValuesDto>| async move {
                    wrap(ops::update_settings(&s, r).await)
                },
            ),
        )
        .route(
            "/cycle",
            post(
                |State(s): State<Arc<AppState>>| async move { wrap(ops::run_cycle_now(&s).await) },
            ),
        )
        .route(
            "/automation",
            put(
                |State(s): State<Arc<AppState>>, Json(r): Json<PauseRequest>| async move {
                    wrap(ops::set_paused(&s, r).await)
                },
            ),
        )
        .route(
            "/allocation",
            get(|State(s): State<Arc<AppState>>| async move { wrap(ops::allocation(&s).await) }),
        )
        .route(
            "/allocation/approve",
            post(
                |State(s): State<Arc<AppState>>, Json(r): Json<ApprovePlanRequest>| async move {
                    wrap(ops::approve_plan(&s, r).await)
                },
            ),
        )
        .route(
            "/allocation/auto-apply",
            put(
                |State(s): State<Arc<AppState>>, Json(r): Json<AutoApplyRequest>| async move {
                    wrap(ops::set_auto_apply(&s, r).await)
                },
            ),
        )
        .route(
            "/allocation/what-if",
            post(
                |State(s): State<Arc<AppState>>, Json(r): Json<WhatIfRequest>| async move {
                    wrap(ops::what_if(&s, r).await)
                },
            ),
        )
        .route(
            "/secrets/{key}",
            get(
                |State(s): State<Arc<AppState>>, Path(k): Path<String>| async move {
                    wrap(ops::secret_status(&s, k).await)
                },
            )
            .delete(
                |State(s): State<Arc<AppState>>, Path(k): Path<String>| async move {
                    wrap(ops::delete_secret(&s, k).await)
                },
            ),
        )
        .route(
            "/secrets",
            put(
                |State(s): State<Arc<AppState>>, Json(r): Json<SetSecretRequest>| async move {
                    wrap(ops::set_secret(&s, r).await)
                },
            ),
        )
        .route(
            "/forecast",
            get(
                |State(s): State<Arc<AppState>>, Query(q): Query<ForecastQuery>| async move {
                    wrap(ops::forecast(&s, &q.node, q.hours).await)
                },
            ),
        )
        .route("/events", get(events))
        .fallback(|| async { HttpError(ApiError::not_found("no such API route")) })
        .layer(middleware::from_fn_with_state(
            options.api_token.clone(),
            require_token,
        ));

    let mut app = Router::new()
        .nest("/api/v1", api)
        .route(
            "/health",
            get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics));
    if let Some(dir) = options.ui_dir.filter(|d| d.join("index.html").is_file()) {
        let index = dir.join("index.html");
        app = app.fallback_service(
            tower_http::services::ServeDir::new(dir)
                .fallback(tower_http::services::ServeFile::new(index)),
        );
    }
    app.layer(middleware::from_fn_with_state(
        Arc::clone(&state),
        observe_latency,
    ))
    .with_state(state)
}

fn wrap<T>(r: Result<T, ApiError>) -> ApiResult<T> {
    r.map(axum::Json).map_err(HttpError)
}

async fn require_token(
    State(token): State<Option<Sensitive<String>>>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(token) = token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            // Browsers cannot set headers on a WebSocket, so the token may come as a query value.
            .map(str::to_owned)
            .or_else(|| {
                req.uri().query().and_then(|q| {
                    q.split('&')
                        .find_map(|kv| kv.strip_prefix("token=").map(str::to_owned))
                })
            });
        if given.as_deref() != Some(token.expose().as_str()) {
            return HttpError(ApiError::new(
                ErrorCode::Unauthorized,
                "this API needs `Authorization: Bearer <ORCHA_API_TOKEN>`",
            ))
            .into_response();
        }
    }
    next.run(req).await
}

async fn observe_latency(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    // The matched route pattern keeps the label bounded; unmatched paths share one label.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let resp = next.run(req).await;
    if route != "/api/v1/events" {
        state
            .metrics
            .api_request_duration
            .with_label_values(&[&route])
            .observe(started.elapsed().as_secs_f64());
    }
    resp
}

/// Only `/metrics`, for a separate loopback listener (the desktop app's `metrics_port`); the same
/// rendering as the full router's `/metrics`.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

/// Readiness: the database is writable, and what each adapter, the ML engine and each alert
/// channel last did. Only the database decides `ready`; the rest is there to be seen.
async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let db = state.db(|s| s.check_writable()).await;
    let nodes: Vec<serde_json::Value> = state
        .nodes
        .iter()
        .map(|n| {
            let live = n.live();
            serde_json::json!({
                "node": n.config.id.to_string(),
                "last_poll": live.last_poll,
                "health": live.health.as_ref().map(|(h, _)| h.state_name()),
            })
        })
        .collect();
    let ml = state.ml_status();
    // Whether a channel is configured may ask the keyring, which must not hang the probe.
    let channels = match tokio::time::timeout(
        std::time::Duration::from_secs(5),
        orcha_api::alerts::channel_status(&state),
    )
    .await
    {
        Ok(c) => serde_json::json!(c),
        Err(_) => serde_json::json!("unknown: the keyring did not answer within 5 s"),
    };
    let ready = db.is_ok();
    let body = serde_json::json!({
        "ready": ready,
        "database": match &db { Ok(()) => "writable".to_owned(), Err(e) => e.to_string() },
        "ml_engine": ml,
        "nodes": nodes,
        "alert_channels": channels,
        "demo": state.demo,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn events(State(state): State<Arc<AppState>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| stream_events(state, socket))
}

/// Forwards every event as `{"event": name, "payload": …}` until the client goes away.
async fn stream_events(state: Arc<AppState>, mut socket: WebSocket) {
    let mut rx = state.subscribe();
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Ok(event) => {
                    let Ok(text) = serde_json::to_string(&event) else { continue };
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "A WebSocket client fell behind; events were skipped.");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                _ => {}
            },
        }
    }
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
