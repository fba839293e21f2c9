//! The Grass dashboard cloud API (`retrieveUser`, `activeDevices`, `epochEarnings`) with raw-token
//! auth and the `{"result":{"data":…}}` envelope.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::SecondsFormat;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::faults::SurfaceFaults;
use crate::serve::Shared;

const USER_ID: &str = "2zzMadeUpUserId000000000000";

fn envelope(data: Value) -> Json<Value> {
    Json(json!({ "result": { "data": data } }))
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "code": -32600, "message": message } })),
    )
        .into_response()
}

#[derive(Clone)]
struct AuthState {
    shared: Arc<Shared>,
    faults: watch::Receiver<SurfaceFaults>,
}

/// Grass sends the access token verbatim in `Authorization` (no `Bearer`).
async fn auth(State(st): State<AuthState>, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match token {
        None => error(StatusCode::UNAUTHORIZED, "Unauthorized: missing token"),
        Some(t) if t != st.shared.grass_token || st.faults.borrow().token_revoked => error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: invalid or expired token",
        ),
        Some(_) => next.run(req).await,
    }
}

pub(crate) fn router(shared: Arc<Shared>, faults: watch::Receiver<SurfaceFaults>) -> Router {
    Router::new()
        .route("/retrieveUser", get(retrieve_user))
        .route("/activeDevices", get(active_devices))
        .route("/epochEarnings", get(epoch_earnings))
        .route_layer(middleware::from_fn_with_state(
            AuthState {
                shared: shared.clone(),
                faults,
            },
            auth,
        ))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "No procedure found") })
        .with_state(shared)
}

async fn retrieve_user(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let w = sh.world();
    envelope(json!({
        "userId": USER_ID,
        "email": "operator@example.invalid",
        "username": "orcha-sim",
        "isVerified": true,
        "totalPoints": w.grass.settled_points,
        "totalUptime": w.grass.total_uptime_s.round() as u64,
    }))
}

async fn active_devices(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let w = sh.world();
    let uptime = w.grass.epochs.last().map_or(0.0, |e| e.uptime_s);
    let bw = w.allocation().grass_bandwidth_mbps;
    // The IP score follows the bandwidth granted: a starved device scores low.
    let ip_score = (100.0 * (1.0 - (-bw / 20.0).exp())).round() as u64;
    envelope(json!([{
        "deviceId": "00000000-0000-5000-8000-000000000001",
        "userId": USER_ID,
        "type": "desktop",
        "ipAddress": "192.0.2.10",
        "ipScore": ip_score,
        "multiplier": 1.25,
        "aggUptime": uptime.round() as u64,
        "lastConnectedAt": w.now().to_rfc3339_opts(SecondsFormat::Millis, true),
    }]))
}

async fn epoch_earnings(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let w = sh.world();
    let now = w.now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let list: Vec<Value> = w
        .grass
        .epochs
        .iter()
        .rev()
        .enumerate()
        .map(|(i, e)| {
            json!({
                "epochName": format!("Epoch {}", e.index + 1),
                // Stage 2 = running, 3 = settled (clients only compare it).
                "stage": if i == 0 { 2 } else { 3 },
                "startDate": e.start.to_rfc3339_opts(SecondsFormat::Millis, true),
                "endDate": e.end.to_rfc3339_opts(SecondsFormat::Millis, true),
                "totalPoints": e.points,
                "rewardPoints": e.points * 0.95,
                "referralPoints": e.points * 0.05,
                "totalUptime": e.uptime_s.round() as u64,
                "modified": now,
            })
        })
        .collect();
    envelope(json!({ "data": list }))
}
