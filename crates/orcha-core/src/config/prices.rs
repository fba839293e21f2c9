//! The `[prices]` table: where token prices come from and the operator's fixed fallbacks.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::validate::is_decimal;

/// Market prices of the tokens the nodes earn, in the operator's fiat currency. The CoinGecko API
/// key (optional) lives in the keyring as `prices:coingecko/api_key`, never here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PricesConfig {
    /// The operator's fiat currency, a CoinGecko `vs_currency` code (`usd`, `eur`, `chf`, …).
    pub fiat: String,
    /// `coingecko` (market prices, refreshed) or `fixed-only` (no network: only `fixed`).
    pub source: String,
    /// CoinGecko's API base (the pro API is `https://pro-api.coingecko.com/api/v3`).
    pub base_url: String,
    /// Minutes between market refreshes.
    pub refresh_minutes: u64,
    /// Minutes without a successful refresh after which a market price is marked stale.
    pub stale_minutes: u64,
    /// How `fixed` combines with the market: `fallback` (used while there is no fresh market
    /// price) or `override` (always used; the token is not fetched).
    pub fixed_mode: String,
    /// Fiat per whole token, decimal strings, keyed `glm`, `data`, `storj`, `pol`, `grass`, or
    /// `usd` (fiat per US dollar, for Storj's USD earnings when `fiat` is not `usd`).
    pub fixed: BTreeMap<String, String>,
    /// Fiat value the operator assumes for one Grass point (a decimal string); empty falls back
    /// to `protocols.grass.points_value`, and both empty means points are shown as points.
    pub grass_fiat_per_point: String,
}

/// The keys `prices.fixed` accepts.
pub const FIXED_PRICE_KEYS: [&str; 6] = ["glm", "data", "storj", "pol", "grass", "usd"];

impl Default for PricesConfig {
    fn default() -> Self {
        PricesConfig {
            fiat: "usd".to_owned(),
            source: "coingecko".to_owned(),
            base_url: "https://api.coingecko.com/api/v3".to_owned(),
            refresh_minutes: 15,
            stale_minutes: 30,
            fixed_mode: "fallback".to_owned(),
            fixed: BTreeMap::new(),
            grass_fiat_per_point: String::new(),
        }
    }
}

impl PricesConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        let fiat_ok = (2..=10).contains(&self.fiat.len())
            && self.fiat.bytes().all(|b| b.is_ascii_lowercase());
        if !fiat_ok {
            return Err(format!(
                "`prices.fiat` = {:?} must be a lower-case currency code like \"usd\" or \"eur\"",
                self.fiat
            ));
        }
        if !["coingecko", "fixed-only"].contains(&self.source.as_str()) {
            return Err(format!(
                "`prices.source` = {:?} must be \"coingecko\" or \"fixed-only\"",
                self.source
            ));
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(format!(
                "`prices.base_url` = {:?} must start with http:// or https://",
                self.base_url
            ));
        }
        if self.refresh_minutes == 0 {
            return Err("`prices.refresh_minutes` must be at least 1".to_owned());
        }
        if self.stale_minutes < self.refresh_minutes {
            return Err(format!(
                "`prices.stale_minutes` ({}) must be at least `prices.refresh_minutes` ({})",
                self.stale_minutes, self.refresh_minutes
            ));
        }
        if !["fallback", "override"].contains(&self.fixed_mode.as_str()) {
            return Err(format!(
                "`prices.fixed_mode` = {:?} must be \"fallback\" or \"override\"",
                self.fixed_mode
            ));
        }
        for (token, v) in &self.fixed {
            if !FIXED_PRICE_KEYS.contains(&token.as_str()) {
                return Err(format!(
                    "`prices.fixed.{token}`: unknown token (expected one of {}; Grass points are `prices.grass_fiat_per_point`)",
                    FIXED_PRICE_KEYS.join(", ")
                ));
            }
            if !is_positive_decimal(v) {
                return Err(format!(
                    "`prices.fixed.{token}` = {v:?} must be a positive decimal string like \"0.25\""
                ));
            }
        }
        if !self.grass_fiat_per_point.is_empty() && !is_positive_decimal(&self.grass_fiat_per_point)
        {
            return Err(format!(
                "`prices.grass_fiat_per_point` = {:?} must be empty or a positive decimal string like \"0.0001\"",
                self.grass_fiat_per_point
            ));
        }
        Ok(())
    }
}

/// A decimal that is more than zero: a price of zero would make earnings look worthless.
fn is_positive_decimal(s: &str) -> bool {
    is_decimal(s) && s.bytes().any(|b| (b'1'..=b'9').contains(&b))
}
