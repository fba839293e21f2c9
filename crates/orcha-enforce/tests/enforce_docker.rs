//! The Docker backend against a local fake of the Engine API on a unix socket: it records every
//! request and answers with the Engine's real response shapes.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use orcha_core::ResourceKind;
use orcha_enforce::docker::DockerBackend;
use orcha_enforce::{EnforceError, EnforcementBackend, Limits, UNLIMITED};
use serde_json::{json, Value};

#[derive(Default)]
struct Engine {
    requests: Vec<(String, String, Value)>,
    nano_cpus: i64,
    memory: i64,
    /// When set, the engine "accepts" updates but keeps this memory value (a mismatch).
    stuck_memory: Option<i64>,
    restarts: u32,
    /// `State.Health.Status` after a restart.
    health: Option<&'static str>,
}

type Shared = Arc<Mutex<Engine>>;

fn not_found(id: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "message": format!("No such container: {id}") })),
    )
}

async fn update(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut e = s.lock().unwrap();
    e.requests.push((
        "POST".into(),
        format!("/containers/{id}/update"),
        body.clone(),
    ));
    if id != "storagenode" {
        return not_found(&id);
    }
    if let Some(n) = body.get("NanoCpus").and_then(Value::as_i64) {
        e.nano_cpus = n;
    }
    if let Some(m) = body.get("Memory").and_then(Value::as_i64) {
        e.memory = e.stuck_memory.unwrap_or(if m < 0 { 0 } else { m });
    }
    (StatusCode::OK, Json(json!({ "Warnings": [] })))
}

async fn inspect(State(s): State<Shared>, Path(id): Path<String>) -> (StatusCode, Json<Value>) {
    let mut e = s.lock().unwrap();
    e.requests
        .push(("GET".into(), format!("/containers/{id}/json"), Value::Null));
    if id != "storagenode" {
        return not_found(&id);
    }
    (
        StatusCode::OK,
        Json(json!({
            "Id": "4fa6e0f0c678",
            "Name": "/storagenode",
            "State": {
                "Status": "running", "Running": true,
                "Health": { "Status": e.health.unwrap_or("healthy") }
            },
            "HostConfig": {
                "NanoCpus": e.nano_cpus, "CpuQuota": 0, "CpuPeriod": 0,
                "Memory": e.memory, "MemorySwap": -1
            }
        })),
    )
}

async fn restart(State(s): State<Shared>, Path(id): Path<String>) -> StatusCode {
    let mut e = s.lock().unwrap();
    e.requests.push((
        "POST".into(),
        format!("/containers/{id}/restart"),
        Value::Null,
    ));
    e.restarts += 1;
    StatusCode::NO_CONTENT
}

fn fake_engine() -> (tempfile::TempDir, String, Shared) {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("docker.sock");
    let state: Shared = Arc::default();
    let app = Router::new()
        .route("/containers/{id}/update", post(update))
        .route("/containers/{id}/json", get(inspect))
        .route("/containers/{id}/restart", post(restart))
        .with_state(Arc::clone(&state));
    let listener = tokio::net::UnixListener::bind(&sock).unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (dir, sock.display().to_string(), state)
}

#[tokio::test]
async fn update_then_read_back_cpu_and_memory() {
    let (_dir, sock, engine) = fake_engine();
    let b = DockerBackend::new(&sock, "storagenode");
    assert_eq!(
        b.read().await.unwrap(),
        Limits::from([
            (ResourceKind::Cpu, UNLIMITED),
            (ResourceKind::Memory, UNLIMITED)
        ])
    );
    let wanted = Limits::from([
        (ResourceKind::Cpu, 1500),
        (ResourceKind::Memory, 2 * 1024 * 1024 * 1024),
    ]);
    assert_eq!(b.apply(&wanted).await.unwrap(), wanted);
    let e = engine.lock().unwrap();
    let (method, path, body) = &e.requests[1];
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/containers/storagenode/update")
    );
    assert_eq!(body["NanoCpus"], 1_500_000_000_i64);
    assert_eq!(body["Memory"], 2_147_483_648_i64);
    assert_eq!(body["MemorySwap"], -1);
    // The write is followed by a read-back.
    assert_eq!(e.requests[2].1, "/containers/storagenode/json");
}

#[tokio::test]
async fn a_value_that_does_not_read_back_is_a_mismatch() {
    let (_dir, sock, engine) = fake_engine();
    engine.lock().unwrap().stuck_memory = Some(1024 * 1024 * 1024);
    let b = DockerBackend::new(&sock, "storagenode");
    let err = b
        .apply(&Limits::from([(
            ResourceKind::Memory,
            2 * 1024 * 1024 * 1024,
        )]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EnforceError::Mismatch {
                resource: ResourceKind::Memory,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("read back 1073741824"), "{err}");
}

#[tokio::test]
async fn a_missing_container_is_not_found_and_a_dead_socket_is_io() {
    let (_dir, sock, _engine) = fake_engine();
    let b = DockerBackend::new(&sock, "nope");
    let err = b.read().await.unwrap_err();
    assert!(matches!(err, EnforceError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("No such container: nope"), "{err}");
    let err = b
        .apply(&Limits::from([(ResourceKind::Cpu, 1000)]))
        .await
        .unwrap_err();
    assert!(matches!(err, EnforceError::NotFound { .. }), "{err}");

    let dead = DockerBackend::new("/nonexistent/docker.sock", "storagenode");
    let err = dead.read().await.unwrap_err();
    assert!(matches!(err, EnforceError::Io { .. }), "{err}");
}

#[tokio::test]
async fn restart_goes_through_the_engine_and_checks_health_after() {
    let (_dir, sock, engine) = fake_engine();
    let b = DockerBackend::new(&sock, "storagenode");
    b.restart().await.unwrap();
    assert_eq!(engine.lock().unwrap().restarts, 1);
    engine.lock().unwrap().health = Some("unhealthy");
    let err = b.restart().await.unwrap_err();
    assert!(
        err.to_string().contains("not healthy after the restart"),
        "{err}"
    );
}
