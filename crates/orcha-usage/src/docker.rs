//! The Docker Engine API on its unix socket: container stats and the container list.
//!
//! Plain HTTP/1.1 with hyper (already built for the enforcement backend) instead of `bollard`,
//! which would add a large dependency tree to a 2-core build for two GET requests. Every call is
//! under a timeout and every answer under a size cap.

use std::path::PathBuf;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::error::UsageError;
use crate::procs::NetBytes;

pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// A stats answer is a few kB; a list of hundreds of containers stays well under this.
const ANSWER_CAP: usize = 4 * 1024 * 1024;

/// A client of one Engine socket.
#[derive(Debug, Clone)]
pub struct DockerEngine {
    pub socket: PathBuf,
    pub timeout: Duration,
    pub cap: usize,
}

/// Cumulative counters of a container, from one stats answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerCounters {
    /// The container's full id (empty when the Engine leaves it out).
    pub id: String,
    pub cpu_ns: u64,
    /// `memory_stats.usage` less inactive file cache, as `docker stats` shows it.
    pub mem_bytes: u64,
    pub net: Option<NetBytes>,
    pub io_read_bytes: Option<u64>,
    pub io_write_bytes: Option<u64>,
}

/// One entry of the container list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    pub image: String,
    /// Host ports published on loopback or all addresses.
    pub public_ports: Vec<u16>,
}

impl Default for DockerEngine {
    fn default() -> Self {
        DockerEngine {
            socket: DEFAULT_SOCKET.into(),
            timeout: Duration::from_secs(5),
            cap: ANSWER_CAP,
        }
    }
}

impl DockerEngine {
    pub fn new(socket: impl Into<PathBuf>, timeout: Duration) -> Self {
        DockerEngine {
            socket: socket.into(),
            timeout,
            cap: ANSWER_CAP,
        }
    }

    /// GETs `path` and parses the JSON answer; a non-2xx status is an `Endpoint` error.
    pub async fn get_json(&self, path: &str, target: &str) -> Result<Value, UsageError> {
        let endpoint = format!("GET {path} on {}", self.socket.display());
        let fail = |reason: String| UsageError::Endpoint {
            target: target.to_owned(),
            endpoint: endpoint.clone(),
            reason,
        };
        let call = async {
            let stream = tokio::net::UnixStream::connect(&self.socket)
                .await
                .map_err(|e| fail(e.to_string()))?;
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| fail(e.to_string()))?;
            let req = Request::get(path)
                .header("host", "docker")
                .body(Empty::<Bytes>::new())
                .map_err(|e| fail(e.to_string()))?;
            // The sender moves in, so the connection closes once the exchange is done.
            let exchange = async {
                let mut sender = sender;
                let resp = sender
                    .send_request(req)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                let status = resp.status();
                let body = Limited::new(resp.into_body(), self.cap)
                    .collect()
                    .await
                    .map_err(|e| {
                        if e.is::<http_body_util::LengthLimitError>() {
                            UsageError::TooLarge {
                                target: target.to_owned(),
                                endpoint: endpoint.clone(),
                                cap: self.cap,
                            }
                        } else {
                            fail(e.to_string())
                        }
                    })?
                    .to_bytes();
                if !status.is_success() {
                    let msg = serde_json::from_slice::<Value>(&body)
                        .ok()
                        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
                    return Err(fail(format!("HTTP {}: {msg}", status.as_u16())));
                }
                serde_json::from_slice(&body).map_err(|e| UsageError::Parse {
                    target: target.to_owned(),
                    path: endpoint.clone(),
                    reason: e.to_string(),
                })
            };
            // The connection is driven beside the exchange (no detached task).
            let (result, _closed) = tokio::join!(exchange, conn);
            result
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(UsageError::Timeout {
                target: target.to_owned(),
                endpoint: endpoint.clone(),
                after: self.timeout,
            }),
        }
    }

    /// One stats sample; `one-shot` skips the Engine's second sample (we take our own deltas).
    pub async fn stats(&self, container: &str) -> Result<ContainerCounters, UsageError> {
        let target = format!("container {container}");
        let path = format!("/containers/{container}/stats?stream=false&one-shot=true");
        let v = self.get_json(&path, &target).await?;
        parse_stats(&v).map_err(|reason| UsageError::Parse {
            target,
            path,
            reason,
        })
    }

    /// The running containers.
    pub async fn list(&self) -> Result<Vec<ContainerSummary>, UsageError> {
        let v = self.get_json("/containers/json", "docker").await?;
        Ok(parse_list(&v))
    }
}

fn u(v: &Value, path: &[&str]) -> Option<u64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_u64()
}

/// Reads the counters of a stats answer (cgroup v1 and v2 shapes).
pub fn parse_stats(v: &Value) -> Result<ContainerCounters, String> {
    let cpu_ns = u(v, &["cpu_stats", "cpu_usage", "total_usage"])
        .ok_or("no cpu_stats.cpu_usage.total_usage (is the container running?)")?;
    let usage = u(v, &["memory_stats", "usage"]).ok_or("no memory_stats.usage")?;
    // v1 reports total_inactive_file, v2 inactive_file.
    let inactive = u(v, &["memory_stats", "stats", "total_inactive_file"])
        .or_else(|| u(v, &["memory_stats", "stats", "inactive_file"]))
        .unwrap_or(0);
    let net = v.get("networks").and_then(Value::as_object).map(|nets| {
        nets.values().fold(NetBytes::default(), |acc, n| NetBytes {
            rx: acc.rx.saturating_add(u(n, &["rx_bytes"]).unwrap_or(0)),
            tx: acc.tx.saturating_add(u(n, &["tx_bytes"]).unwrap_or(0)),
        })
    });
    let io = v
        .get("blkio_stats")
        .and_then(|b| b.get("io_service_bytes_recursive"))
        .and_then(Value::as_array);
    let (r, w) = match io {
        Some(rows) => {
            let sum = |op: &str| {
                rows.iter()
                    .filter(|r| {
                        r.get("op")
                            .and_then(Value::as_str)
                            .is_some_and(|o| o.eq_ignore_ascii_case(op))
                    })
                    .filter_map(|r| u(r, &["value"]))
                    .fold(0u64, u64::saturating_add)
            };
            (Some(sum("read")), Some(sum("write")))
        }
        None => (None, None),
    };
    Ok(ContainerCounters {
        id: v.get("id").and_then(Value::as_str).unwrap_or("").to_owned(),
        cpu_ns,
        mem_bytes: usage.saturating_sub(inactive),
        net,
        io_read_bytes: r,
        io_write_bytes: w,
    })
}

/// Reads a `/containers/json` answer; malformed entries are skipped.
pub fn parse_list(v: &Value) -> Vec<ContainerSummary> {
    let Some(items) = v.as_array() else {
        return vec![];
    };
    items
        .iter()
        .filter_map(|c| {
            let id = c.get("Id")?.as_str()?.to_owned();
            let name = c
                .get("Names")
                .and_then(Value::as_array)
                .and_then(|n| n.first())
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim_start_matches('/')
                .to_owned();
            let image = c
                .get("Image")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let mut public_ports: Vec<u16> = c
                .get("Ports")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| u16::try_from(u(p, &["PublicPort"])?).ok())
                        .collect()
                })
                .unwrap_or_default();
            public_ports.sort_unstable();
            public_ports.dedup();
            Some(ContainerSummary {
                id,
                name,
                image,
                public_ports,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stats_of_v1_and_v2_engines_are_read() {
        let v1 = json!({
            "cpu_stats": {"cpu_usage": {"total_usage": 5_000_000_000u64}},
            "memory_stats": {"usage": 300, "stats": {"total_inactive_file": 100}},
            "networks": {"eth0": {"rx_bytes": 10, "tx_bytes": 20}, "eth1": {"rx_bytes": 1, "tx_bytes": 2}},
            "blkio_stats": {"io_service_bytes_recursive": [
                {"major": 8, "minor": 0, "op": "Read", "value": 7},
                {"major": 8, "minor": 0, "op": "Write", "value": 9},
                {"major": 8, "minor": 0, "op": "Total", "value": 16}]}
        });
        let c = parse_stats(&v1).unwrap();
        assert_eq!(c.cpu_ns, 5_000_000_000);
        assert_eq!(c.mem_bytes, 200);
        assert_eq!(c.net, Some(NetBytes { rx: 11, tx: 22 }));
        assert_eq!((c.io_read_bytes, c.io_write_bytes), (Some(7), Some(9)));
        let v2 = json!({
            "cpu_stats": {"cpu_usage": {"total_usage": 1}},
            "memory_stats": {"usage": 50, "stats": {"inactive_file": 80}},
            "blkio_stats": {"io_service_bytes_recursive": null}
        });
        let c = parse_stats(&v2).unwrap();
        assert_eq!((c.mem_bytes, c.net, c.io_read_bytes), (0, None, None));
        // A stopped container answers with empty stats.
        assert!(parse_stats(&json!({"cpu_stats": {}, "memory_stats": {}})).is_err());
    }

    #[test]
    fn container_list_keeps_names_images_and_public_ports() {
        let v = json!([
            {"Id": "abc", "Names": ["/storagenode"], "Image": "storjlabs/storagenode:latest",
             "Ports": [{"PrivatePort": 14002, "PublicPort": 14002, "Type": "tcp"},
                       {"PrivatePort": 28967, "Type": "tcp"}]},
            {"Names": ["/no-id"]},
            "garbage"
        ]);
        let l = parse_list(&v);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].name, "storagenode");
        assert_eq!(l[0].public_ports, vec![14002]);
        assert!(parse_list(&json!({"message": "x"})).is_empty());
    }

    #[tokio::test]
    async fn a_missing_socket_is_an_endpoint_error_naming_it() {
        let d = DockerEngine::new("/nonexistent/docker.sock", Duration::from_secs(1));
        let e = d.stats("x").await.unwrap_err();
        assert!(e.to_string().contains("/nonexistent/docker.sock"), "{e}");
        assert!(e.to_string().contains("container x"), "{e}");
    }
}
