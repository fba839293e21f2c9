//! The headless front door: axum REST routes, the event WebSocket, `/metrics` and `/health`.
//!
//! Every `/api/v1` route is a one-line wrapper over `orcha_api::ops`; this crate adds only HTTP
//! concerns (status codes, query parsing, the API token, Host/Origin checks, limits, static
//! files). See docs/security.md for what is protected how.

pub mod auth;
pub mod guard;
pub mod listener;
pub mod openapi;
pub mod token;

// Start-up moved to `orcha-app` (shared with the desktop app); kept here under their old paths.
pub use listener::serve;
pub use orcha_app::metrics_listener::metrics_router;
pub use orcha_app::{demo, startup};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Path, Request, State,
};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use orcha_api::dto::*;
use orcha_api::{ops, AppState};
use orcha_core::secret::Sensitive;
use serde::de::DeserializeOwned;
use serde::Deserialize;

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
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|j| Json(j.0))
            .map_err(|e: JsonRejection| {
                let mut resp = HttpError(rejection_error(&e.body_text())).into_response();
                // A body over the limit stays a 413, so clients can tell it from a bad field.
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    *resp.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
                }
                resp
            })
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

/// Everything the router needs besides the state.
#[derive(Clone)]
pub struct ServerOptions {
    /// The built UI (`dist/`), served from `/` when present.
    pub ui_dir: Option<PathBuf>,
    /// The install's token, required on `/api/v1`, `/health/ready` and `/metrics`.
    pub auth: Arc<auth::Auth>,
    /// Host names besides the bound address and loopback names (`[server] allowed_hosts`).
    pub allowed_hosts: Vec<String>,
    pub limits: guard::Limits,
    /// Whether `/metrics` is on this router; off when it has its own listener.
    pub metrics: bool,
}

impl ServerOptions {
    /// The defaults with `token` as the API token.
    pub fn new(token: Sensitive<String>) -> ServerOptions {
        ServerOptions {
            ui_dir: None,
            auth: auth::Auth::new(token),
            allowed_hosts: Vec::new(),
            limits: guard::Limits::default(),
            metrics: true,
        }
    }
}

/// One `/api/v1` route per entry of the operation table (`orcha_api::for_each_operation!`).
macro_rules! operation_routes {
    (state = $st:ident; actor = $ac:ident; $(
        $(#[doc = $doc:literal])*
        $name:ident ( $($kind:ident $arg:ident : $argty:ty $(= $default:expr)?)? ) -> $resp:ty,
        $method:ident $path:literal => $call:expr;
    )*) => {
        fn operation_routes(router: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
            // Routes sharing a path (e.g. GET and PUT `/settings`) are merged by axum.
            router $(.route(
                $path,
                axum::routing::on(
                    axum::routing::MethodFilter::$method,
                    operation_routes!(@handler $st, $ac, $call, $($kind $arg : $argty $(= $default)?)?),
                ),
            ))*
        }
    };
    (@handler $st:ident, $ac:ident, $call:expr,) => {
        |State($st): State<Arc<AppState>>| async move {
            let $st = &$st;
            // Every change made over HTTP is recorded as the API's (the token's holder).
            let $ac = orcha_api::Actor::Api;
            let _ = $ac;
            wrap($call.await)
        }
    };
    (@handler $st:ident, $ac:ident, $call:expr, query $arg:ident : $ty:ty) => {
        |State($st): State<Arc<AppState>>, Query($arg): Query<$ty>| async move {
            let $st = &$st;
            // Every change made over HTTP is recorded as the API's (the token's holder).
            let $ac = orcha_api::Actor::Api;
            let _ = $ac;
            wrap($call.await)
        }
    };
    (@handler $st:ident, $ac:ident, $call:expr, body $arg:ident : $ty:ty) => {
        |State($st): State<Arc<AppState>>, Json($arg): Json<$ty>| async move {
            let $st = &$st;
            // Every change made over HTTP is recorded as the API's (the token's holder).
            let $ac = orcha_api::Actor::Api;
            let _ = $ac;
            wrap($call.await)
        }
    };
    (@handler $st:ident, $ac:ident, $call:expr, path $arg:ident : $ty:ty) => {
        |State($st): State<Arc<AppState>>, Path($arg): Path<$ty>| async move {
            let $st = &$st;
            // Every change made over HTTP is recorded as the API's (the token's holder).
            let $ac = orcha_api::Actor::Api;
            let _ = $ac;
            wrap($call.await)
        }
    };
    (@handler $st:ident, $ac:ident, $call:expr, param $arg:ident : $ty:ty = $default:expr) => {{
        /// The one query value, absent meaning the table's default.
        #[derive(Deserialize)]
        struct Param {
            #[serde(default = "default_value")]
            $arg: $ty,
        }
        fn default_value() -> $ty {
            $default
        }
        |State($st): State<Arc<AppState>>, Query(Param { $arg }): Query<Param>| async move {
            let $st = &$st;
            // Every change made over HTTP is recorded as the API's (the token's holder).
            let $ac = orcha_api::Actor::Api;
            let _ = $ac;
            wrap($call.await)
        }
    }};
}

orcha_api::for_each_operation!(operation_routes);

pub fn router(state: Arc<AppState>, options: ServerOptions) -> Router {
    let guard = guard::Guard::new(&options.limits, &options.allowed_hosts);
    let auth = options.auth;
    let needs_token = middleware::from_fn_with_state(
        (Arc::clone(&auth), Arc::clone(&guard)),
        auth::require_token,
    );
    let api = operation_routes(Router::new())
        .route("/openapi.json", get(openapi::serve_document))
        .route("/events", get(events))
        .route(
            "/ws-ticket",
            post(auth::ws_ticket).with_state(Arc::clone(&auth)),
        )
        .fallback(|| async { HttpError(ApiError::not_found("no such API route")) })
        .layer(Extension(Arc::clone(&guard)))
        .layer(needs_token.clone());
    // Readiness and metrics name nodes and the sidecar: only liveness is open.
    let mut probes = Router::new().route("/health/ready", get(ready));
    if options.metrics {
        probes = probes.route("/metrics", get(orcha_app::metrics_listener::metrics));
    }

    let mut app = Router::new()
        .nest("/api/v1", api)
        .merge(probes.route_layer(needs_token))
        .route(
            "/health",
            get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route(
            "/login",
            get(auth::login).with_state((auth, Arc::clone(&guard))),
        );
    if let Some(dir) = options.ui_dir.filter(|d| d.join("index.html").is_file()) {
        let index = dir.join("index.html");
        app = app.fallback_service(
            tower_http::services::ServeDir::new(dir)
                .fallback(tower_http::services::ServeFile::new(index)),
        );
    }
    app.layer(DefaultBodyLimit::max(options.limits.body_bytes))
        .layer(middleware::from_fn_with_state(guard, guard::guard))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            observe_latency,
        ))
        .with_state(state)
}

fn wrap<T>(r: Result<T, ApiError>) -> ApiResult<T> {
    r.map(axum::Json).map_err(HttpError)
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

async fn events(
    State(state): State<Arc<AppState>>,
    Extension(guard): Extension<Arc<guard::Guard>>,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(slot) = guard.websocket_slot() else {
        return HttpError(ApiError::new(
            ErrorCode::Unavailable,
            "too many event WebSockets are open",
        ))
        .into_response();
    };
    ws.on_upgrade(move |socket| async move {
        stream_events(state, socket).await;
        drop(slot);
    })
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
