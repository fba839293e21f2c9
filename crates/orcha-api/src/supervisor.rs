//! Supervised background tasks: a task that panics is logged, counted and started again.
//!
//! The pollers, the cycle loop and the price feed each run in their own tokio task; the
//! supervisor awaits that task's `JoinHandle`, so a panic (a bug in an adapter, a poisoned
//! assumption) ends one run of the task instead of silently ending the loop for good. Restarts
//! back off exponentially so a task that panics at once does not spin, and the back-off resets
//! after the task has run healthily for a while. A task that returns normally is done.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// How long to wait before restarting a crashed task.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    /// A run at least this long counts as healthy: the next crash waits `initial` again.
    pub healthy_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            healthy_after: Duration::from_secs(300),
        }
    }
}

/// Aborts the running task when the supervisor itself is dropped or aborted (the shutdown
/// deadline passed), so no task outlives its supervisor.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `make()` as a task until it returns or `cancel` fires; restarts it after a panic.
pub async fn supervise<F, Fut>(
    name: String,
    metrics: Metrics,
    cancel: CancellationToken,
    backoff: Backoff,
    make: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut wait = backoff.initial;
    loop {
        let started = Instant::now();
        let handle = tokio::spawn(make());
        let guard = AbortOnDrop(handle.abort_handle());
        let result = handle.await;
        drop(guard);
        let err = match result {
            Ok(()) => return,
            // Only the shutdown path aborts; nothing to restart then.
            Err(e) if e.is_cancelled() => return,
            Err(e) => e,
        };
        let why = panic_message(err.into_panic());
        if started.elapsed() >= backoff.healthy_after {
            wait = backoff.initial;
        }
        metrics.task_restarts.with_label_values(&[&name]).inc();
        tracing::error!(
            task = %name,
            panic = %why,
            restart_in_ms = wait.as_millis() as u64,
            "Background task panicked; restarting it."
        );
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(backoff.max);
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-text panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn restarts_with_growing_then_reset_backoff() {
        let metrics = Metrics::new();
        let runs = Arc::new(AtomicU32::new(0));
        let r = Arc::clone(&runs);
        let backoff = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(4),
            healthy_after: Duration::from_secs(100),
        };
        let t0 = Instant::now();
        supervise(
            "t".into(),
            metrics.clone(),
            CancellationToken::new(),
            backoff,
            move || {
                let n = r.fetch_add(1, Ordering::SeqCst);
                async move {
                    assert!(n >= 4, "crash number {n}");
                }
            },
        )
        .await;
        assert_eq!(runs.load(Ordering::SeqCst), 5);
        assert_eq!(metrics.task_restarts.with_label_values(&["t"]).get(), 4);
        // 1 + 2 + 4 + 4 (capped).
        assert_eq!(t0.elapsed().as_secs(), 11);
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_during_backoff_stops() {
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        supervise(
            "t".into(),
            Metrics::new(),
            cancel,
            Backoff::default(),
            move || {
                c.cancel();
                async { panic!("boom") }
            },
        )
        .await;
    }
}
