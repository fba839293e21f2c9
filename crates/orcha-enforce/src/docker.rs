//! CPU and memory limits of a Docker container through the Engine API on its unix socket.
//!
//! `POST /containers/{id}/update` changes the limits without a restart (what `docker update
//! --cpus --memory` does); `GET /containers/{id}/json` reads them back from `HostConfig`. Plain
//! HTTP/1.1 over the socket with hyper keeps the dependency small and every call under a timeout.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use orcha_core::ResourceKind;
use serde_json::{json, Value};

use crate::{check_read_back, EnforceError, EnforcementBackend, Limits, UNLIMITED};

pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The largest Engine API reply read (a container's inspect document is a few KiB).
pub const MAX_REPLY_BYTES: usize = 4 << 20;

/// The kernel's "no limit" for a memory cgroup (`i64::MAX` rounded down to a 4 KiB page). The
/// Engine cannot lift a memory limit through `update` (0 means "unchanged" and -1 is refused with
/// "Minimum memory limit allowed is 6MB", seen on Docker 20.10 against a real engine), so
/// lifting writes this value, and reading treats it (or more) as unlimited.
pub const NO_MEMORY_LIMIT: i64 = 0x7FFF_FFFF_FFFF_F000;

/// One container.
#[derive(Debug, Clone)]
pub struct DockerBackend {
    socket: PathBuf,
    container: String,
    timeout: Duration,
}

impl DockerBackend {
    /// `socket` empty means the default `/var/run/docker.sock`.
    pub fn new(socket: &str, container: &str) -> Self {
        let socket = if socket.is_empty() {
            DEFAULT_SOCKET
        } else {
            socket
        };
        DockerBackend {
            socket: socket.into(),
            container: container.to_owned(),
            timeout: Duration::from_secs(10),
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn target(&self) -> String {
        format!("docker container {}", self.container)
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        timeout: Duration,
    ) -> Result<(StatusCode, Bytes), EnforceError> {
        let what = format!("{method} {path} on {}", self.socket.display());
        let io = |reason: String| EnforceError::Io {
            target: what.clone(),
            reason,
        };
        let call = async {
            let stream = tokio::net::UnixStream::connect(&self.socket)
                .await
                .map_err(|e| io(e.to_string()))?;
            // Docker's answers here are a container's inspect document or an error message;
            // anything larger is not the Engine API.
            crate::http1::exchange(
                stream,
                method.clone(),
                "docker",
                path,
                body,
                MAX_REPLY_BYTES,
            )
            .await
            .map_err(io)
        };
        match tokio::time::timeout(timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(EnforceError::Timeout {
                what,
                after: timeout,
            }),
        }
    }

    /// Maps the Engine's error statuses; its body carries `{"message": …}`.
    fn check(&self, status: StatusCode, body: &Bytes, path: &str) -> Result<(), EnforceError> {
        if status.is_success() {
            return Ok(());
        }
        let message = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        if status == StatusCode::NOT_FOUND {
            return Err(EnforceError::NotFound {
                what: format!("{} ({message})", self.target()),
            });
        }
        Err(EnforceError::Io {
            target: format!("{} {path}", self.target()),
            reason: format!("HTTP {}: {message}", status.as_u16()),
        })
    }

    /// The Engine's `NCPU` from `GET /info`: how many CPUs a container can be given at most.
    async fn host_cpus(&self) -> Result<u64, EnforceError> {
        let path = "/info";
        let (status, body) = self.request(Method::GET, path, None, self.timeout).await?;
        self.check(status, &body, path)?;
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("NCPU").and_then(Value::as_u64))
            .filter(|n| *n > 0)
            .ok_or_else(|| EnforceError::Io {
                target: format!("{} {path}", self.target()),
                reason: "the answer has no NCPU".to_owned(),
            })
    }

    async fn inspect(&self) -> Result<Value, EnforceError> {
        let path = format!("/containers/{}/json", self.container);
        let (status, body) = self.request(Method::GET, &path, None, self.timeout).await?;
        self.check(status, &body, &path)?;
        serde_json::from_slice(&body).map_err(|e| EnforceError::Io {
            target: path,
            reason: format!("unreadable answer: {e}"),
        })
    }
}

/// Reads CPU and memory limits from an inspect answer's `HostConfig`. `host_cpus` is the
/// Engine's `NCPU`: a `--cpus` of all of them is no limit (see `DockerBackend::apply`).
pub fn limits_of(inspect: &Value, host_cpus: u64) -> Result<Limits, String> {
    let hc = inspect
        .get("HostConfig")
        .ok_or("the answer has no HostConfig")?;
    let int = |k: &str| hc.get(k).and_then(Value::as_i64).unwrap_or(0);
    let nano = int("NanoCpus");
    let (quota, period) = (int("CpuQuota"), int("CpuPeriod"));
    let cpu = if nano > 0 && nano.unsigned_abs() >= host_cpus.saturating_mul(1_000_000_000) {
        UNLIMITED
    } else if nano > 0 {
        nano.unsigned_abs() / 1_000_000
    } else if quota > 0 {
        let period = if period > 0 { period } else { 100_000 };
        quota.unsigned_abs() * 1000 / period.unsigned_abs()
    } else {
        UNLIMITED
    };
    let memory = match int("Memory") {
        m if m >= NO_MEMORY_LIMIT => UNLIMITED,
        m if m > 0 => m.unsigned_abs(),
        _ => UNLIMITED,
    };
    Ok(Limits::from([
        (ResourceKind::Cpu, cpu),
        (ResourceKind::Memory, memory),
    ]))
}

#[async_trait]
impl EnforcementBackend for DockerBackend {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn resources(&self) -> Vec<ResourceKind> {
        vec![ResourceKind::Cpu, ResourceKind::Memory]
    }

    async fn read(&self) -> Result<Limits, EnforceError> {
        let v = self.inspect().await?;
        let host_cpus = self.host_cpus().await?;
        limits_of(&v, host_cpus).map_err(|reason| EnforceError::Io {
            target: self.target(),
            reason,
        })
    }

    async fn apply(&self, limits: &Limits) -> Result<Limits, EnforceError> {
        let mut body = serde_json::Map::new();
        let mut wanted = Limits::new();
        if let Some(&m) = limits.get(&ResourceKind::Cpu) {
            if m == UNLIMITED {
                // The Engine keeps the old limit on NanoCpus 0 and refuses more CPUs than the
                // host has ("Range of CPUs is from 0.01 to N.00"), so all of them is no limit.
                let all = self.host_cpus().await?.saturating_mul(1_000_000_000);
                body.insert("NanoCpus".into(), json!(all));
            } else {
                body.insert("NanoCpus".into(), json!(m.max(1) * 1_000_000));
            }
            wanted.insert(ResourceKind::Cpu, if m == UNLIMITED { m } else { m.max(1) });
        }
        if let Some(&b) = limits.get(&ResourceKind::Memory) {
            // A swap limit below the new memory limit would be refused; -1 lifts it.
            body.insert(
                "Memory".into(),
                json!(if b == UNLIMITED {
                    NO_MEMORY_LIMIT
                } else {
                    i64::try_from(b).unwrap_or(NO_MEMORY_LIMIT)
                }),
            );
            body.insert("MemorySwap".into(), json!(-1));
            wanted.insert(ResourceKind::Memory, b);
        }
        if body.is_empty() {
            return Ok(Limits::new());
        }
        let path = format!("/containers/{}/update", self.container);
        let (status, answer) = self
            .request(Method::POST, &path, Some(Value::Object(body)), self.timeout)
            .await?;
        self.check(status, &answer, &path)?;
        let read = self.read().await?;
        check_read_back(&self.target(), &wanted, &read)?;
        Ok(read)
    }

    async fn restart(&self) -> Result<(), EnforceError> {
        // Storj runs with --stop-timeout 300; give the Engine that long plus the start.
        let path = format!("/containers/{}/restart?t=300", self.container);
        let (status, body) = self
            .request(Method::POST, &path, None, Duration::from_secs(330))
            .await?;
        self.check(status, &body, &path)?;
        let v = self.inspect().await?;
        let running = v
            .pointer("/State/Running")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let health = v.pointer("/State/Health/Status").and_then(Value::as_str);
        if !running || health == Some("unhealthy") {
            return Err(EnforceError::Io {
                target: self.target(),
                reason: format!(
                    "not healthy after the restart (running: {running}, health: {})",
                    health.unwrap_or("none")
                ),
            });
        }
        Ok(())
    }
}
