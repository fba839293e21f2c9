//! One outer timeout for every call to a node or an enforcement backend.
//!
//! Adapters and backends bound their own requests; this bound catches whatever they miss, and
//! reports it as the caller's own `Timeout` error so it is handled like any other.

use std::future::Future;
use std::time::Duration;

use orcha_core::AdapterError;
use orcha_enforce::EnforceError;

/// An error type with a "did not answer in time" variant.
pub trait TimedOut {
    fn timed_out(what: &str, after: Duration) -> Self;
}

impl TimedOut for AdapterError {
    fn timed_out(what: &str, after: Duration) -> Self {
        AdapterError::Timeout {
            endpoint: what.to_owned(),
            after,
        }
    }
}

impl TimedOut for EnforceError {
    fn timed_out(what: &str, after: Duration) -> Self {
        EnforceError::Timeout {
            what: what.to_owned(),
            after,
        }
    }
}

/// Runs `fut`, failing with `E`'s timeout after `limit`; `what` names the endpoint or action.
pub async fn bounded<T, E: TimedOut>(
    limit: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    tokio::time::timeout(limit, fut)
        .await
        .unwrap_or_else(|_| Err(E::timed_out(what, limit)))
}
