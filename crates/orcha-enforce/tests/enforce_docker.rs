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
use orcha_enforce::docker::{DockerBackend, NO_MEMORY_LIMIT};
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

/// The fake host's CPU count (`NCPU` of `GET /info`).
const HOST_CPUS: i64 = 4;

async fn info(State(s): State<Shared>) -> Json<Value> {
    s.lock()
        .unwrap()
        .requests
        .push(("GET".into(), "/info".into(), Value::Null));
    Json(json!({ "NCPU": HOST_CPUS, "ServerVersion": "20.10.24" }))
}

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
    // As the real Engine does: NanoCpus 0 leaves the limit as it is, more than the host's CPUs
    // is refused.
    match body.get("NanoCpus").and_then(Value::as_i64) {
        Some(n) if n > HOST_CPUS * 1_000_000_000 => {
            return (
                StatusCode::BAD_REQUEST,
                Json(
                    json!({ "message": "Range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available" }),
                ),
            );
        }
        Some(0) | None => {}
        Some(n) => e.nano_cpus = n,
    }
    // As the real Engine (20.10) does: 0 leaves the limit as it is, anything below 6 MB (-1
    // included) is refused, so a limit can only be lifted by writing the kernel's maximum.
    match body.get("Memory").and_then(Value::as_i64) {
        Some(m) if m != 0 && m < 6 << 20 => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "message": "Minimum memory limit allowed is 6MB" })),
            );
        }
        Some(0) | None => {}
        Some(m) => e.memory = e.stuck_memory.unwrap_or(m),
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
        .route("/info", get(info))
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
    let update = e
        .requests
        .iter()
        .position(|(m, p, _)| m == "POST" && p == "/containers/storagenode/update")
        .expect("an update was sent");
    let body = &e.requests[update].2;
    assert_eq!(body["NanoCpus"], 1_500_000_000_i64);
    assert_eq!(body["Memory"], 2_147_483_648_i64);
    assert_eq!(body["MemorySwap"], -1);
    // The write is followed by a read-back.
    assert_eq!(e.requests[update + 1].1, "/containers/storagenode/json");
}

#[tokio::test]
async fn lifting_limits_writes_what_the_engine_accepts_and_reads_back_unlimited() {
    let (_dir, sock, engine) = fake_engine();
    let b = DockerBackend::new(&sock, "storagenode");
    let limited = Limits::from([(ResourceKind::Cpu, 500), (ResourceKind::Memory, 64 << 20)]);
    assert_eq!(b.apply(&limited).await.unwrap(), limited);
    let unlimited = Limits::from([
        (ResourceKind::Cpu, UNLIMITED),
        (ResourceKind::Memory, UNLIMITED),
    ]);
    assert_eq!(b.apply(&unlimited).await.unwrap(), unlimited);
    let e = engine.lock().unwrap();
    let last_update = e
        .requests
        .iter()
        .rev()
        .find(|(m, p, _)| m == "POST" && p.ends_with("/update"))
        .expect("an update was sent");
    // All the host's CPUs, and the kernel's "no limit" for memory: 0 and -1 do not lift.
    assert_eq!(last_update.2["NanoCpus"], HOST_CPUS * 1_000_000_000);
    assert_eq!(last_update.2["Memory"], NO_MEMORY_LIMIT);
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
