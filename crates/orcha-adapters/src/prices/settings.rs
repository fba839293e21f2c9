//! Price settings: the fiat, the source, refresh timing and the operator's fixed prices.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::PriceAsset;

/// How an operator-entered price combines with the market source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixedMode {
    /// Always use the fixed price, never the market one.
    Override,
    /// Use the fixed price only while the market has no fresh price.
    Fallback,
}

/// A price the operator typed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedPrice {
    /// Fiat per whole token, a decimal string.
    pub value: String,
    pub mode: FixedMode,
    /// When the operator entered it (stored with every conversion that uses it).
    pub entered_at: DateTime<Utc>,
}

/// How the feed is set up. The lead wires these from the configuration.
#[derive(Clone, Debug)]
pub struct PriceSettings {
    /// The operator's fiat currency, lower-case (`usd`, `eur`, …).
    pub fiat: String,
    /// Market prices are fetched again after this long (15 min).
    pub refresh_every: Duration,
    /// A market price not refreshed for this long is marked stale (30 min).
    pub stale_after: Duration,
    /// First back-off after a failure; doubled per failure in a row (429 or otherwise).
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Operator-entered prices per asset.
    pub fixed: BTreeMap<PriceAsset, FixedPrice>,
    /// Fiat per Grass point (`prices.grass_fiat_per_point`), an operator assumption.
    pub points_value: Option<String>,
    /// Replaces the source name of every fixed price and of the point value when set: the demo
    /// labels its simulated prices `demo` so nobody takes them for an operator's.
    pub fixed_label: Option<String>,
}

impl Default for PriceSettings {
    fn default() -> Self {
        PriceSettings {
            fiat: "usd".to_owned(),
            refresh_every: Duration::from_secs(15 * 60),
            stale_after: Duration::from_secs(30 * 60),
            backoff_base: Duration::from_secs(60),
            backoff_max: Duration::from_secs(60 * 60),
            fixed: BTreeMap::new(),
            points_value: None,
            fixed_label: None,
        }
    }
}

impl PriceSettings {
    /// The settings the configuration implies: `[prices]` (fiat, refresh and stale minutes,
    /// `fixed` in `fixed_mode`, `grass_fiat_per_point`), plus the older keys it supersedes:
    /// `allocation.fiat_per_token` as fallback prices where `prices.fixed` has none, and
    /// `protocols.grass.points_value` when `grass_fiat_per_point` is empty. Keys are as in
    /// [`PriceAsset::from_str`]; `usd` (fiat per US dollar) is not an asset and is left to the
    /// caller; other unknown keys are skipped with a warning. `now` stamps the fixed prices.
    pub fn from_config(config: &orcha_core::config::Config, now: DateTime<Utc>) -> Self {
        let p = &config.prices;
        let mut s = PriceSettings {
            fiat: p.fiat.trim().to_ascii_lowercase(),
            refresh_every: Duration::from_secs(p.refresh_minutes.max(1).saturating_mul(60)),
            stale_after: Duration::from_secs(p.stale_minutes.max(1).saturating_mul(60)),
            ..PriceSettings::default()
        };
        let mode = if p.fixed_mode == "override" {
            FixedMode::Override
        } else {
            FixedMode::Fallback
        };
        let older = config
            .allocation
            .fiat_per_token
            .iter()
            .map(|(t, v)| (t, v, FixedMode::Fallback, "allocation.fiat_per_token"));
        let newer = p.fixed.iter().map(|(t, v)| (t, v, mode, "prices.fixed"));
        // The newer section is inserted last, so it wins over the older key for the same token.
        for (token, value, mode, key) in older.chain(newer) {
            if token.eq_ignore_ascii_case("usd") {
                continue;
            }
            match token.parse::<PriceAsset>() {
                Ok(PriceAsset::GrassPoint) | Err(_) => {
                    tracing::warn!(token, key, "not a priced token, ignored")
                }
                Ok(asset) => {
                    s.fixed.insert(
                        asset,
                        FixedPrice {
                            value: value.trim().to_owned(),
                            mode,
                            entered_at: now,
                        },
                    );
                }
            }
        }
        s.points_value = [
            p.grass_fiat_per_point.as_str(),
            config.protocols.grass.points_value.as_str(),
        ]
        .into_iter()
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(str::to_owned);
        s
    }
}
