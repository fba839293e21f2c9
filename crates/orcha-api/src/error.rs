//! The runtime's own errors; `ops` turns them into the edge's `ApiError` (see `dto`).
//!
//! Runtime code (orchestrator, cycle, alerts) reports failures in its own terms so it never
//! depends on how the front doors present them.

use orcha_store::StoreError;

/// A store call run through `AppState::db` failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The blocking task running the call panicked or was cancelled.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
}

/// Why the operator's test notification could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("no alert channel is configured (see the [alerts] settings)")]
    NoChannel,
}
