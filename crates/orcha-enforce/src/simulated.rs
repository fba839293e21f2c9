//! The demo simulator's emulated cgroups and `tc`: CPU and bandwidth of the simulated nodes that
//! have no knob of their own (Streamr, Grass), set through the simulator's control API.
//!
//! On a real machine those limits are a cgroup's `cpu.max` and a `tc` class; the simulated nodes
//! are not processes, so the simulator keeps the limits and its pay rules obey them. This backend
//! exists so the demo and `orcha bench loop` turn the same levers a real install does, through
//! the same apply path (write, read back, compare). It only talks to loopback.

use std::net::SocketAddr;
use std::time::Duration;

use async_trait::async_trait;
use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use orcha_core::ResourceKind;
use serde_json::{json, Value};

use crate::{check_read_back, EnforceError, EnforcementBackend, Limits};

/// The control API answers an allocation of seven numbers; anything larger is not it.
const MAX_REPLY_BYTES: usize = 64 << 10;

/// Which simulated node this backend limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimulatedNode {
    /// CPU threads and bandwidth (`streamr_cpu_threads`, `streamr_bandwidth_mbps`).
    Streamr,
    /// Bandwidth (`grass_bandwidth_mbps`).
    Grass,
}

impl SimulatedNode {
    fn fields(self) -> &'static [(ResourceKind, &'static str)] {
        match self {
            SimulatedNode::Streamr => &[
                (ResourceKind::Cpu, "streamr_cpu_threads"),
                (ResourceKind::Bandwidth, "streamr_bandwidth_mbps"),
            ],
            SimulatedNode::Grass => &[(ResourceKind::Bandwidth, "grass_bandwidth_mbps")],
        }
    }
}

/// Base units per simulator unit: millicores per thread, bit/s per Mbit/s.
fn scale(k: ResourceKind) -> f64 {
    match k {
        ResourceKind::Cpu => 1000.0,
        ResourceKind::Bandwidth => 1e6,
        ResourceKind::Memory | ResourceKind::Disk => 1.0,
    }
}

/// One simulated node's CPU and bandwidth limits.
#[derive(Debug, Clone)]
pub struct SimulatedBackend {
    control: SocketAddr,
    node: SimulatedNode,
    timeout: Duration,
}

impl SimulatedBackend {
    /// `control` is the simulator's control API (`http://127.0.0.1:PORT`); anything that is not
    /// a loopback address is refused, so this can never reach another machine.
    pub fn new(control: &str, node: SimulatedNode) -> Result<Self, EnforceError> {
        let refused = |why: &str| EnforceError::Refused {
            what: format!("simulator control API {control:?}: {why}"),
        };
        let addr = control
            .strip_prefix("http://")
            .ok_or_else(|| refused("must be http://<loopback address>:<port>"))?
            .trim_end_matches('/');
        let control: SocketAddr = addr
            .parse()
            .map_err(|_| refused("must be http://<loopback address>:<port>"))?;
        if !control.ip().is_loopback() {
            return Err(refused("only a loopback address is allowed"));
        }
        Ok(SimulatedBackend {
            control,
            node,
            timeout: Duration::from_secs(5),
        })
    }

    fn target(&self) -> String {
        format!("simulated {:?} limits at {}", self.node, self.control)
    }

    async fn request(&self, method: Method, body: Option<Value>) -> Result<Value, EnforceError> {
        let io = |reason: String| EnforceError::Io {
            target: self.target(),
            reason,
        };
        let call = async {
            let stream = tokio::net::TcpStream::connect(self.control)
                .await
                .map_err(|e| io(e.to_string()))?;
            let host = self.control.to_string();
            crate::http1::exchange(
                stream,
                method,
                &host,
                "/control/allocation",
                body,
                MAX_REPLY_BYTES,
            )
            .await
            .map_err(io)
        };
        let (status, bytes): (StatusCode, Bytes) = tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| EnforceError::Timeout {
                what: self.target(),
                after: self.timeout,
            })??;
        let text = String::from_utf8_lossy(&bytes);
        if !status.is_success() {
            return Err(io(format!("HTTP {}: {}", status.as_u16(), text.trim())));
        }
        serde_json::from_slice(&bytes).map_err(|e| io(format!("the reply is not JSON: {e}")))
    }

    fn limits_of(&self, allocation: &Value) -> Result<Limits, EnforceError> {
        self.node
            .fields()
            .iter()
            .map(|(k, field)| {
                let v = allocation[*field]
                    .as_f64()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| EnforceError::Io {
                        target: self.target(),
                        reason: format!("the allocation has no number {field}"),
                    })?;
                Ok((*k, (v * scale(*k)).round() as u64))
            })
            .collect()
    }
}

#[async_trait]
impl EnforcementBackend for SimulatedBackend {
    fn name(&self) -> &'static str {
        "simulated"
    }

    fn resources(&self) -> Vec<ResourceKind> {
        self.node.fields().iter().map(|(k, _)| *k).collect()
    }

    async fn read(&self) -> Result<Limits, EnforceError> {
        let a = self.request(Method::GET, None).await?;
        self.limits_of(&a)
    }

    async fn apply(&self, limits: &Limits) -> Result<Limits, EnforceError> {
        let mut body = serde_json::Map::new();
        let mut wanted = Limits::new();
        for (k, field) in self.node.fields() {
            if let Some(v) = limits.get(k) {
                body.insert((*field).to_owned(), json!(*v as f64 / scale(*k)));
                wanted.insert(*k, *v);
            }
        }
        if body.is_empty() {
            return Ok(Limits::new());
        }
        self.request(Method::POST, Some(Value::Object(body)))
            .await?;
        let read = self.read().await?;
        check_read_back(&self.target(), &wanted, &read)?;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_loopback_control_api_is_accepted() {
        assert!(SimulatedBackend::new("http://127.0.0.1:4000", SimulatedNode::Grass).is_ok());
        assert!(SimulatedBackend::new("http://[::1]:4000/", SimulatedNode::Grass).is_ok());
        for bad in [
            "http://10.0.0.1:4000",
            "https://127.0.0.1:4000",
            "127.0.0.1:4000",
            "http://localhost:4000",
        ] {
            let e = SimulatedBackend::new(bad, SimulatedNode::Streamr).unwrap_err();
            assert!(matches!(e, EnforceError::Refused { .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn limits_are_read_in_base_units_and_a_missing_field_is_named() {
        let b = SimulatedBackend::new("http://127.0.0.1:4000", SimulatedNode::Streamr).unwrap();
        let a = json!({"streamr_cpu_threads": 2.5, "streamr_bandwidth_mbps": 40.0});
        let l = b.limits_of(&a).unwrap();
        assert_eq!(l[&ResourceKind::Cpu], 2500);
        assert_eq!(l[&ResourceKind::Bandwidth], 40_000_000);
        let e = b
            .limits_of(&json!({"streamr_cpu_threads": 1.0}))
            .unwrap_err();
        assert!(e.to_string().contains("streamr_bandwidth_mbps"), "{e}");
    }
}
