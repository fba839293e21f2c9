//! The control API on its own port: faults, stepping, restarts, external allocation, and the
//! truth (history, ledger, response curves, score) for tests and the demo.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use orcha_core::{Clock, ProtocolId};
use serde_json::{json, Value};

use crate::faults::FaultKind;
use crate::serve::{json_error, Shared};
use crate::world::ExternalAllocation;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/control/status", get(status))
        .route("/control/step", post(step))
        .route("/control/fault", post(add_fault))
        .route("/control/fault/{id}", delete(clear_fault))
        .route("/control/faults", get(list_faults))
        .route("/control/storj/restart", post(restart_storj))
        .route("/control/allocation", get(allocation).post(set_allocation))
        .route("/control/history", get(history))
        .route("/control/ledger", get(ledger))
        .route("/control/curves", get(curves))
        .route("/control/usage", get(usage))
        .route("/control/score", get(score))
        .fallback(|| async { json_error(StatusCode::NOT_FOUND, "message", "not found") })
        .with_state(shared)
}

fn bad(message: impl Into<String>) -> Response {
    json_error(StatusCode::BAD_REQUEST, "message", message)
}

async fn status(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let w = sh.world();
    Json(json!({
        "now": w.now(),
        "clock": sh.clock.now(),
        "start": w.scenario().start,
        "minute": w.minute(),
        "mode": sh.clock.mode_name(),
        "speed": sh.clock.speed(),
        "scenario": w.scenario().name,
        "seed": w.scenario().seed,
        "storj_shape": w.storj_shape(),
    }))
}

async fn step(State(sh): State<Arc<Shared>>, body: Option<Json<Value>>) -> Response {
    let minutes = body
        .and_then(|Json(v)| v.get("minutes").and_then(Value::as_u64))
        .unwrap_or(1);
    if minutes > 10 * 366 * 1440 {
        return bad("minutes: at most ten years per step");
    }
    let by = chrono::Duration::minutes(i64::try_from(minutes).unwrap_or(0));
    if let Err(e) = sh.clock.advance(by) {
        return json_error(StatusCode::CONFLICT, "message", e.to_string());
    }
    let (now, minute) = {
        let w = sh.world();
        (w.now(), w.minute())
    };
    sh.settle().await;
    Json(json!({ "now": now, "minute": minute })).into_response()
}

/// Parses `{"target": "storj", "kind": "offline", ..., "duration_minutes": 30, "start_in_minutes": 0}`.
pub(crate) fn parse_fault(v: Value) -> Result<(ProtocolId, FaultKind, u64, Option<u64>), String> {
    let Value::Object(mut map) = v else {
        return Err("body must be a JSON object".into());
    };
    let target = map
        .remove("target")
        .and_then(|t| t.as_str().map(str::to_owned))
        .ok_or("target: missing (storj, golem, streamr or grass)")?;
    let target: ProtocolId = target
        .parse()
        .map_err(|e: orcha_core::domain::IdError| format!("target: {e}"))?;
    let num = |v: Option<Value>, field: &str| -> Result<Option<u64>, String> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(x) => x
                .as_u64()
                .map(Some)
                .ok_or(format!("{field}: must be a non-negative integer")),
        }
    };
    let duration = num(map.remove("duration_minutes"), "duration_minutes")?;
    let start_in = num(map.remove("start_in_minutes"), "start_in_minutes")?.unwrap_or(0);
    let kind: FaultKind =
        serde_json::from_value(Value::Object(map)).map_err(|e| format!("fault: {e}"))?;
    if let FaultKind::EarningsDrop { percent } = kind {
        if !(0.0..=100.0).contains(&percent) {
            return Err("percent: must be within 0..=100".into());
        }
    }
    if let FaultKind::DiskFilling { gb_per_hour } = kind {
        if !(gb_per_hour.is_finite() && gb_per_hour >= 0.0) {
            return Err("gb_per_hour: must be a non-negative number".into());
        }
    }
    Ok((target, kind, start_in, duration))
}

async fn add_fault(State(sh): State<Arc<Shared>>, Json(v): Json<Value>) -> Response {
    match parse_fault(v) {
        Ok((target, kind, start_in, duration)) => {
            let id = sh.world().inject_fault(target, kind, start_in, duration);
            sh.settle().await;
            (StatusCode::CREATED, Json(json!({ "id": id }))).into_response()
        }
        Err(e) => bad(e),
    }
}

async fn clear_fault(State(sh): State<Arc<Shared>>, Path(id): Path<u64>) -> Response {
    let cleared = sh.world().clear_fault(id);
    sh.settle().await;
    if cleared {
        StatusCode::NO_CONTENT.into_response()
    } else {
        json_error(StatusCode::NOT_FOUND, "message", format!("no fault {id}"))
    }
}

async fn list_faults(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let w = sh.world();
    Json(json!(w.faults().all()))
}

async fn restart_storj(State(sh): State<Arc<Shared>>) -> StatusCode {
    sh.world().restart_storj();
    sh.settle().await;
    StatusCode::ACCEPTED
}

async fn allocation(State(sh): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(sh.world().allocation()))
}

async fn set_allocation(
    State(sh): State<Arc<Shared>>,
    Json(ext): Json<ExternalAllocation>,
) -> Response {
    match sh.world().set_external(ext) {
        Ok(a) => Json(json!(a)).into_response(),
        Err(e) => bad(e),
    }
}

async fn history(State(sh): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(sh.world().history()))
}

async fn ledger(State(sh): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(sh.world().ledger()))
}

async fn curves(State(sh): State<Arc<Shared>>) -> Json<Value> {
    // The true marginal values at the current operating point, USD per hour per unit.
    Json(json!(sh.world().marginal_values()))
}

/// What an OS meter would read of the nodes without a usage API of their own, in the units
/// Orcha's meters report (millicores, bit/s), so the demo measures them as it would real ones.
async fn usage(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let u = sh.world().os_use();
    Json(json!({
        "golem:main": {
            "cpu_millicores": (u.golem_cpu_threads * 1000.0).round(),
            "mem_bytes": (u.golem_mem_gib * 1024.0 * 1024.0 * 1024.0).round(),
        },
        "streamr:main": {
            "cpu_millicores": (u.streamr_cpu_threads * 1000.0).round(),
            "bandwidth_up_bps": (u.streamr_up_mbps * 1e6).round(),
        },
        "grass:main": {
            "bandwidth_up_bps": (u.grass_up_mbps * 1e6).round(),
        },
    }))
}

async fn score(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let s = crate::live_score(&sh.world());
    Json(json!(s))
}
