//! The one error type of the crate: every variant names the target and the file or endpoint.

use std::time::Duration;

/// Why a reading, a bound or a detection step failed. `target` is the node's target as
/// displayed (`process storagenode`, `unit yagna.service`, …); `path`/`endpoint` is what was read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// No running process matches the target (the node is stopped, or the name is wrong).
    #[error("{target}: no running process found ({detail})")]
    NoProcess { target: String, detail: String },
    /// A file under /proc, /sys or the storage path could not be read.
    #[error("{target}: cannot read {path}: {reason}")]
    Read {
        target: String,
        path: String,
        reason: String,
    },
    /// A file was read but its content is not what the kernel documents.
    #[error("{target}: unexpected content in {path}: {reason}")]
    Parse {
        target: String,
        path: String,
        reason: String,
    },
    /// A socket or command did not answer in time.
    #[error("{target}: {endpoint} did not answer within {after:?}")]
    Timeout {
        target: String,
        endpoint: String,
        after: Duration,
    },
    /// The Docker Engine, `tc` or `systemctl` answered with an error.
    #[error("{target}: {endpoint} failed: {reason}")]
    Endpoint {
        target: String,
        endpoint: String,
        reason: String,
    },
    /// The answer was larger than the cap, which no legitimate answer reaches.
    #[error("{target}: {endpoint} answered more than {cap} bytes")]
    TooLarge {
        target: String,
        endpoint: String,
        cap: usize,
    },
    /// The machine has nothing to measure this with (no cgroup hierarchy, no link speed, …).
    #[error("{target}: {what} is not available on this machine")]
    Unavailable { target: String, what: String },
}

impl UsageError {
    pub(crate) fn read(target: &str, path: impl std::fmt::Display, e: impl ToString) -> Self {
        UsageError::Read {
            target: target.to_owned(),
            path: path.to_string(),
            reason: e.to_string(),
        }
    }

    pub(crate) fn parse(target: &str, path: impl std::fmt::Display, reason: impl ToString) -> Self {
        UsageError::Parse {
            target: target.to_owned(),
            path: path.to_string(),
            reason: reason.to_string(),
        }
    }
}
