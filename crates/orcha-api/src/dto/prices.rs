//! Prices and fiat totals as the API shows them: every fiat figure carries the price it used, and "no price" is its own state, never a zero.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::MoneyDto;

/// What is known about one price right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceFreshness {
    /// Refreshed within `prices.stale_minutes`, or a fixed price or assumption.
    Fresh,
    /// The market source has not answered for longer than `prices.stale_minutes`; still used.
    Stale,
    /// Nothing is known: show token amounts only.
    None,
}

/// One price: fiat per whole unit of `asset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PriceDto {
    /// `glm`, `data`, `storj`, `pol`, `grass` (the token), `points` (one Grass point) or `usd`.
    pub asset: String,
    pub fiat: String,
    pub state: PriceFreshness,
    /// A decimal string; absent when there is no price.
    pub value: Option<String>,
    /// `coingecko`, `operator` (a fixed price), `operator-assumption` (the value of a Grass
    /// point), `demo` or `identity` (US dollars in USD).
    pub source: Option<String>,
    /// When the source says the price was valid, or when the operator's value took effect.
    pub observed_at: Option<DateTime<Utc>>,
    /// True for the operator's assumed value of a Grass point: not a market price.
    pub assumption: bool,
}

/// The price feed's state and every price it knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PricesDto {
    pub fiat: String,
    /// `coingecko`, `fixed-only` or `demo`.
    pub source: String,
    /// When the market source last answered.
    pub last_refresh: Option<DateTime<Utc>>,
    /// Set while the feed waits after a failure (a 429 doubles the wait each time).
    pub backoff_until: Option<DateTime<Utc>>,
    /// The last failure of the source, while it lasts.
    pub last_error: Option<String>,
    pub prices: Vec<PriceDto>,
}

/// An amount in fiat with the price used; `value` absent means "no price", never zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct FiatAmountDto {
    pub fiat: String,
    /// The exact value as a decimal string.
    pub value: Option<String>,
    /// The price the value was computed with.
    pub price: Option<PriceDto>,
}

/// What one node earned in one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct WindowEarningsDto {
    /// `today` (since 00:00 UTC), `7d` or `30d`.
    pub window: String,
    pub from: DateTime<Utc>,
    /// Exact, in the node's own token; absent when fewer than two readings cover the window.
    pub amount: Option<MoneyDto>,
    /// Absent when `amount` is.
    pub fiat: Option<FiatAmountDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct NodeEarningsTotalsDto {
    pub node: String,
    pub windows: Vec<WindowEarningsDto>,
}

/// All nodes together in one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct OverallEarningsDto {
    pub window: String,
    pub from: DateTime<Utc>,
    /// Exact sums per token.
    pub amounts: Vec<MoneyDto>,
    /// The fiat sum of every priced amount; `value` absent when none of them has a price.
    pub fiat: FiatAmountDto,
    /// Amounts left out of the fiat sum because their token has no price.
    pub unpriced: Vec<MoneyDto>,
}

/// Earnings of today, the last 7 and the last 30 days, per node and overall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct EarningsTotalsDto {
    pub fiat: String,
    pub at: DateTime<Utc>,
    pub nodes: Vec<NodeEarningsTotalsDto>,
    pub overall: Vec<OverallEarningsDto>,
}
