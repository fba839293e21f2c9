//! Enforcement backends: how a node's CPU, memory, disk and egress limits are really changed.
//!
//! One trait, several mechanisms, chosen per node by how it runs (`allocation.nodes` in the
//! config): cgroups for native processes and systemd units, the Docker Engine API for containers,
//! `tc` for egress bandwidth, and the protocol's own knobs through its adapter. Every backend
//! reads each value back after writing it; a value that does not read back is an apply failure,
//! so the caller can roll back instead of trusting a write that did not take.

pub mod cgroup;
pub mod docker;
mod http1;
pub mod knob;
pub mod simulated;
pub mod tc;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use orcha_core::{AdapterError, ResourceKind};

/// Limits per resource, in base units (millicores, bytes, bytes, bits per second).
/// `UNLIMITED` means "no limit" (cgroup `max`, Docker 0, no tc class).
pub type Limits = BTreeMap<ResourceKind, u64>;

/// The value that stands for "no limit" in `Limits`.
pub const UNLIMITED: u64 = u64::MAX;

/// Why a backend could not enforce or read a limit. Callers branch on the variant: a mismatch
/// or an IO failure rolls the transaction back, `Unsupported` means the resource is fixed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnforceError {
    #[error("not supported: {what}")]
    Unsupported { what: String },
    #[error("{target}: {reason}")]
    Io { target: String, reason: String },
    #[error("{target}: wrote {resource} = {wrote} but read back {read}")]
    Mismatch {
        target: String,
        resource: ResourceKind,
        wrote: String,
        read: String,
    },
    #[error("{what} does not exist")]
    NotFound { what: String },
    #[error("{what} did not finish within {} ms", after.as_millis())]
    Timeout { what: String, after: Duration },
    /// A precondition of the node's own knob does not hold (refused, never forced).
    #[error("refused: {what}")]
    Refused { what: String },
}

impl From<AdapterError> for EnforceError {
    fn from(e: AdapterError) -> Self {
        match e {
            // Adapters report refused preconditions as Unsupported with a "refused" sentence.
            AdapterError::Unsupported { what } if what.contains("refused") => {
                EnforceError::Refused { what }
            }
            AdapterError::Unsupported { what } => EnforceError::Unsupported { what },
            AdapterError::Timeout { endpoint, after } => EnforceError::Timeout {
                what: endpoint,
                after,
            },
            other => EnforceError::Io {
                target: "node".to_owned(),
                reason: other.to_string(),
            },
        }
    }
}

/// One mechanism that enforces some resources of one node.
#[async_trait]
pub trait EnforcementBackend: Send + Sync {
    /// A short stable name (`cgroup-v2`, `cgroup-v1`, `systemd`, `docker`, `tc`, `protocol`).
    fn name(&self) -> &'static str;

    /// The resources this backend enforces.
    fn resources(&self) -> Vec<ResourceKind>;

    /// The limits in force now, for the resources this backend enforces and can read.
    async fn read(&self) -> Result<Limits, EnforceError>;

    /// Writes `limits` (only resources this backend enforces), reads them back and returns what
    /// was read. A read-back that differs from the write is `Mismatch`.
    async fn apply(&self, limits: &Limits) -> Result<Limits, EnforceError>;

    /// Restarts the node through its own mechanism (systemd unit, container restart).
    async fn restart(&self) -> Result<(), EnforceError> {
        Err(EnforceError::Unsupported {
            what: format!("{} cannot restart a node", self.name()),
        })
    }
}

/// Compares what was written with what was read back, resource by resource.
pub(crate) fn check_read_back(
    target: &str,
    wanted: &Limits,
    read: &Limits,
) -> Result<(), EnforceError> {
    for (resource, want) in wanted {
        let got = read.get(resource).copied();
        if got != Some(*want) {
            return Err(EnforceError::Mismatch {
                target: target.to_owned(),
                resource: *resource,
                wrote: show(*want),
                read: got.map_or_else(|| "nothing".to_owned(), show),
            });
        }
    }
    Ok(())
}

fn show(v: u64) -> String {
    if v == UNLIMITED {
        "unlimited".to_owned()
    } else {
        v.to_string()
    }
}

/// Runs a command with a timeout; stdout on success, a sentence naming the command otherwise.
pub(crate) async fn run_command(
    program: &str,
    args: &[&str],
    timeout: Duration,
) -> Result<String, EnforceError> {
    let shown = format!("{program} {}", args.join(" "));
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).kill_on_drop(true);
    let out = match tokio::time::timeout(timeout, cmd.output()).await {
        Err(_) => {
            return Err(EnforceError::Timeout {
                what: shown,
                after: timeout,
            })
        }
        Ok(Err(e)) => {
            return Err(EnforceError::Io {
                target: shown,
                reason: e.to_string(),
            })
        }
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        return Err(EnforceError::Io {
            target: shown,
            reason: format!(
                "exited with {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
