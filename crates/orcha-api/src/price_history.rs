//! Past prices for valuing earnings at their own time (#20): each token the nodes earn, fetched
//! from the market source's range API and cached in the store's `prices` table with its source
//! and time (the same table every conversion records its price in; identical rows are kept once).

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use orcha_adapters::prices::PriceAsset;
use orcha_core::ProtocolId;

use crate::state::AppState;

/// CoinGecko's public API answers ranges up to a year back.
pub const MAX_DAYS_BACK: i64 = 365;

/// What one backfill stored and could not get.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PriceBackfill {
    /// Prices recorded for the first time, per asset.
    pub recorded: Vec<(String, usize)>,
    /// Assets the source could not give, and why.
    pub gaps: Vec<(String, String)>,
}

/// The market assets the configured nodes earn in (Storj pays USD, Grass points are valued only
/// by the operator's assumption: neither is fetched).
fn earned_assets(state: &AppState) -> BTreeSet<PriceAsset> {
    state
        .nodes
        .iter()
        .filter_map(|n| match n.config.id.protocol() {
            ProtocolId::Golem => Some(PriceAsset::Glm),
            ProtocolId::Streamr => Some(PriceAsset::Data),
            _ => None,
        })
        .collect()
}

/// Fetches and stores the prices of `[from, to]` (clamped to a year back) for every earned asset.
pub async fn backfill(
    state: &Arc<AppState>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> PriceBackfill {
    let from = from.max(to - Duration::days(MAX_DAYS_BACK));
    let fiat = state.prices.fiat().to_ascii_lowercase();
    let mut out = PriceBackfill::default();
    for asset in earned_assets(state) {
        let prices = match state.prices.history(asset, from, to).await {
            Ok(p) => p,
            Err(e) => {
                out.gaps.push((asset.as_str().to_owned(), e.to_string()));
                continue;
            }
        };
        let fiat = fiat.clone();
        let stored = state
            .db(move |s| {
                let mut n = 0;
                for p in &prices {
                    if s.record_price(asset.as_str(), &fiat, &p.value, &p.source, p.observed_at)? {
                        n += 1;
                    }
                }
                Ok(n)
            })
            .await;
        match stored {
            Ok(n) => out.recorded.push((asset.as_str().to_owned(), n)),
            Err(e) => out.gaps.push((asset.as_str().to_owned(), e.to_string())),
        }
    }
    out
}
