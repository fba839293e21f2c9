//! What the adapter integration tests share: a replay HTTP server, fixtures, clocks and checks against tests/expected/.

// Every test file compiles its own copy of this module and uses a different part of it, so what
// one test binary leaves unused is not dead code.
#![allow(dead_code)]

pub mod storj;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, Utc};
use orcha_core::config::Config;
use orcha_core::{ManualClock, ProtocolId};
use serde_json::Value;

/// The recorded protocol payloads live outside the crate, shared with the other test suites.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
// Named from `crates/`, not from this crate: orcha-enforce's knob test includes this module too.
const EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../orcha-adapters/tests/expected"
);
const BIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../orcha-adapters/tests/bin");

/// One answer of the replay server; `delay` holds it back to provoke client timeouts.
#[derive(Clone)]
pub struct Canned {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub retry_after: Option<&'static str>,
    pub delay: Duration,
}

pub fn raw(status: StatusCode, content_type: &'static str, body: &str) -> Canned {
    Canned {
        status,
        content_type,
        body: body.as_bytes().to_vec(),
        retry_after: None,
        delay: Duration::ZERO,
    }
}

pub fn json_body(v: &Value) -> Canned {
    raw(StatusCode::OK, "application/json", &v.to_string())
}

/// One protocol's recorded payloads (shared/fixtures/`0`) and the hand-written expectations of
/// what the adapter makes of them (tests/expected/`0`).
pub struct Recorded(pub &'static str);

impl Recorded {
    pub fn dir(&self) -> String {
        format!("{FIXTURES}/{}", self.0)
    }

    /// A recorded payload served as it was recorded: event streams as such, everything else as
    /// JSON.
    pub fn fixture(&self, name: &str) -> Canned {
        let body = std::fs::read(format!("{}/{name}", self.dir()))
            .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
        let content_type = if name.ends_with(".sse.txt") {
            "text/event-stream"
        } else {
            "application/json"
        };
        Canned {
            status: StatusCode::OK,
            content_type,
            body,
            retry_after: None,
            delay: Duration::ZERO,
        }
    }

    /// A temporary folder holding copies of `names`, for tests that let the code edit real files.
    pub fn copies(&self, names: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for name in names {
            std::fs::copy(format!("{}/{name}", self.dir()), dir.path().join(name)).unwrap();
        }
        dir
    }

    pub fn expected(&self, name: &str) -> Value {
        let text = std::fs::read_to_string(format!("{EXPECTED}/{}/{name}", self.0))
            .unwrap_or_else(|e| panic!("expected/{name}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    pub fn check_expected(&self, name: &str, got: Value) {
        let want = self.expected(name);
        assert!(
            same(&got, &want),
            "{name}: normalized output differs from the hand-written expectation\n got: {}\nwant: {}",
            serde_json::to_string_pretty(&got).unwrap(),
            serde_json::to_string_pretty(&want).unwrap()
        );
    }
}

/// A fake executable from tests/bin; a checkout may lose the executable bit, so it is restored.
pub fn fake_bin(name: &str) -> PathBuf {
    let path = PathBuf::from(format!("{BIN}/{name}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

/// A request as the replay server saw it, for answers that depend on more than the path.
#[derive(Clone)]
pub struct Seen {
    pub method: Method,
    /// Path and query, as the client sent them.
    pub uri: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn authorization(&self) -> Option<&str> {
        self.header(header::AUTHORIZATION.as_str())
    }
}

type Answer = dyn Fn(&Replay, &Seen) -> Option<Canned> + Send + Sync;

/// A local HTTP server replaying canned answers by exact path, counting and logging requests.
///
/// A protocol that needs more (auth, GraphQL operation names, JSON-RPC batches) passes an answer
/// function that sees every request first: its answer wins, `None` falls through to the routes.
#[derive(Clone, Default)]
pub struct Replay {
    routes: Arc<Mutex<HashMap<String, Canned>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    log: Arc<Mutex<Vec<Seen>>>,
    answer: Option<Arc<Answer>>,
}

impl Replay {
    pub fn answering(f: impl Fn(&Replay, &Seen) -> Option<Canned> + Send + Sync + 'static) -> Self {
        Replay {
            answer: Some(Arc::new(f)),
            ..Replay::default()
        }
    }

    /// Sets the answer under `key`: a path, or whatever key the answer function looks up.
    pub fn set(&self, key: &str, c: Canned) -> &Self {
        self.routes.lock().unwrap().insert(key.to_owned(), c);
        self
    }

    pub fn unset(&self, key: &str) {
        self.routes.lock().unwrap().remove(key);
    }

    pub fn route(&self, key: &str) -> Option<Canned> {
        self.routes.lock().unwrap().get(key).cloned()
    }

    /// Counts one hit under `key`; every request already counts under its path.
    pub fn count(&self, key: &str) {
        *self.hits.lock().unwrap().entry(key.to_owned()).or_default() += 1;
    }

    pub fn hits(&self, key: &str) -> usize {
        self.hits.lock().unwrap().get(key).copied().unwrap_or(0)
    }

    /// Path and query of every request so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.uri.clone())
            .collect()
    }

    /// The body of the last request to `path`.
    pub fn last_body(&self, path: &str) -> Option<Bytes> {
        let log = self.log.lock().unwrap();
        log.iter()
            .rev()
            .find(|s| s.path == path)
            .map(|s| s.body.clone())
    }

    /// Starts serving on a free local port and returns the base URL.
    pub async fn serve(&self) -> String {
        async fn handle(State(r): State<Replay>, req: Request) -> Response {
            let (parts, body) = req.into_parts();
            let seen = Seen {
                method: parts.method,
                uri: parts.uri.to_string(),
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().map(str::to_owned),
                headers: parts.headers,
                body: to_bytes(body, 1 << 20).await.unwrap(),
            };
            r.log.lock().unwrap().push(seen.clone());
            r.count(&seen.path);
            let canned = match &r.answer {
                Some(f) => f(&r, &seen).or_else(|| r.route(&seen.path)),
                None => r.route(&seen.path),
            };
            match canned {
                Some(c) => reply(c).await,
                None => Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(Body::from("{}"))
                    .unwrap(),
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().fallback(handle).with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }
}

/// A replay server with one route, for tests where the HTTP side is not the point.
pub async fn serve_one(path: &str, c: Canned) -> String {
    Replay::default().set(path, c).serve().await
}

async fn reply(c: Canned) -> Response {
    if !c.delay.is_zero() {
        tokio::time::sleep(c.delay).await;
    }
    let mut r = Response::builder()
        .status(c.status)
        .header(header::CONTENT_TYPE, c.content_type);
    if let Some(ra) = c.retry_after {
        r = r.header(header::RETRY_AFTER, ra);
    }
    r.body(Body::from(c.body)).unwrap()
}

/// A base URL on a port nobody listens on, for the unreachable cases.
pub fn dead_base() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

pub fn t(ts: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(ts)
        .unwrap()
        .with_timezone(&Utc)
}

/// A clock standing still at `ts` until the test moves it.
pub fn clock(ts: &str) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(t(ts)))
}

/// Equal JSON, with numbers compared by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Builds the configuration's `protocol` node through the factory, as the app does, and probes
/// it.
pub async fn probe_through_factory(
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
    protocol: ProtocolId,
) -> Value {
    let store = orcha_core::secret::MemorySecretStore::default();
    let ctx = orcha_adapters::AdapterContext {
        config,
        secrets: &store,
        env,
        timeout: Duration::from_secs(2),
        clock: Arc::new(orcha_core::SystemClock),
    };
    let node = config
        .nodes()
        .into_iter()
        .find(|n| n.id.protocol() == protocol)
        .unwrap();
    let a = orcha_adapters::build_adapter(&node, &ctx).unwrap();
    orcha_adapters::probe::probe(a.as_ref()).await
}
