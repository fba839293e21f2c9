//! The running app's prices: the refresher task and every price used recorded in the store.
//!
//! The book itself (`PriceBook`, `Quote`) is `crate::price_book`, below `state`; this module
//! needs `AppState` for the store, so it sits above it. `run` is the refresher task the
//! orchestrator owns (it stops on the same cancellation token as the pollers).

use std::sync::Arc;

use orcha_adapters::prices::RefreshOutcome;
use orcha_core::AdapterError;
use tokio_util::sync::CancellationToken;

pub use crate::price_book::{PriceBook, Quote, SECRET_KEY};
use crate::state::AppState;

/// Writes the given prices to the store (an identical row is not written twice), so every
/// figure converted with them can be traced to the price used. A failure is logged: a missing
/// price record never blocks a conversion.
pub async fn record(state: &AppState, quotes: impl IntoIterator<Item = Quote>) {
    let fresh = state.prices.unrecorded(quotes);
    if fresh.is_empty() {
        return;
    }
    let rows = fresh.clone();
    let written = state
        .db(move |s| {
            for q in &rows {
                s.record_price(&q.asset, &q.fiat, &q.value, &q.source, q.observed_at)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, "Could not record the prices used.");
        // Forget them, so the next attempt writes them again.
        let mut seen = state
            .prices
            .recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for q in fresh {
            seen.remove(&q.asset);
        }
    }
}

/// Every price known now, recorded.
async fn record_known(state: &AppState) {
    let known: Vec<Quote> = state
        .prices
        .listing()
        .into_iter()
        .filter_map(|(_, q)| q)
        .collect();
    record(state, known).await;
}

/// Refreshes once when due and records what is known afterwards. The error is the source's
/// (`RateLimited` during a back-off); the cache keeps its last prices either way.
pub async fn refresh(state: &AppState) -> Result<RefreshOutcome, AdapterError> {
    let outcome = state.prices.refresh().await;
    match &outcome {
        Ok(RefreshOutcome::Refreshed(assets)) => {
            tracing::debug!(count = assets.len(), "Prices refreshed.")
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(kind = e.kind(), error = %e, "Price refresh failed; the last prices stay in use.")
        }
    }
    record_known(state).await;
    outcome
}

/// The refresher: asks the market every `refresh_every`, waits out a back-off after a failure,
/// and stops when `cancel` fires (also in the middle of a request). Without a market source it
/// records the fixed prices once and ends.
pub async fn run(state: Arc<AppState>, cancel: CancellationToken) {
    if !state.prices.has_market() {
        record_known(&state).await;
        return;
    }
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = refresh(&state) => {}
        }
        let wait = state.prices.next_wait();
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests;
