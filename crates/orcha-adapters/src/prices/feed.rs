//! The price feed: a cache per asset with staleness and back-off, measured on the injected `Clock`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use orcha_core::{AdapterError, Clock, Money};

use super::convert::{convert_with, decimal_digits};
use super::model::{Conversion, Price, PriceAsset, PriceError, PriceState};
use super::settings::{FixedMode, PriceSettings};
use super::source::PriceSource;

#[derive(Clone, Debug)]
pub(super) struct Cached {
    pub(super) price: Price,
    pub(super) fetched_at: DateTime<Utc>,
}

#[derive(Default, Debug)]
pub(super) struct FeedState {
    pub(super) cache: BTreeMap<PriceAsset, Cached>,
    pub(super) last_success: Option<DateTime<Utc>>,
    pub(super) failures: u32,
    pub(super) backoff_until: Option<DateTime<Utc>>,
    pub(super) last_error: Option<AdapterError>,
}

/// What the feed did on `refresh`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The source answered; these assets got a price.
    Refreshed(Vec<PriceAsset>),
    /// The cache is younger than `refresh_every`.
    NotDue,
    /// There is no market source (fixed prices only).
    NoSource,
}

/// Cached market prices plus the operator's fixed prices. Shared as `Arc<PriceFeed>`; no lock is
/// held across the fetch.
pub struct PriceFeed {
    pub(super) source: Option<Arc<dyn PriceSource>>,
    pub(super) settings: PriceSettings,
    pub(super) clock: Arc<dyn Clock>,
    /// When the settings took effect: the time of the operator's point value, so the same
    /// assumption always carries the same timestamp.
    pub(super) started_at: DateTime<Utc>,
    pub(super) state: Mutex<FeedState>,
}

impl PriceFeed {
    pub fn new(
        source: Option<Arc<dyn PriceSource>>,
        settings: PriceSettings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        PriceFeed {
            source,
            settings,
            started_at: clock.now(),
            clock,
            state: Mutex::new(FeedState::default()),
        }
    }

    pub fn settings(&self) -> &PriceSettings {
        &self.settings
    }

    /// Past market prices of `asset` in the operator's fiat; empty without a market source.
    pub async fn range(
        &self,
        asset: super::PriceAsset,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<super::Price>, AdapterError> {
        match &self.source {
            Some(s) => s.range(asset, &self.settings.fiat, from, to).await,
            None => Ok(Vec::new()),
        }
    }

    /// The market source's name, or `None` when the feed has fixed prices only.
    pub fn source_name(&self) -> Option<String> {
        self.source.as_ref().map(|s| s.name().to_owned())
    }

    /// When the source last answered.
    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        self.lock().last_success
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, FeedState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fetches market prices when due. During a back-off it answers `RateLimited` with the time
    /// left, without asking the source.
    pub async fn refresh(&self) -> Result<RefreshOutcome, AdapterError> {
        let Some(source) = self.source.clone() else {
            return Ok(RefreshOutcome::NoSource);
        };
        let now = self.clock.now();
        {
            let st = self.lock();
            if let Some(until) = st.backoff_until.filter(|u| *u > now) {
                return Err(AdapterError::RateLimited {
                    endpoint: format!("{} price source (backing off)", source.name()),
                    retry_after: (until - now).to_std().ok(),
                });
            }
            if st
                .last_success
                .is_some_and(|t| now - t < chrono_dur(self.settings.refresh_every))
            {
                return Ok(RefreshOutcome::NotDue);
            }
        }
        let assets: Vec<PriceAsset> = PriceAsset::MARKET
            .into_iter()
            .filter(|a| {
                self.settings
                    .fixed
                    .get(a)
                    .is_none_or(|f| f.mode != FixedMode::Override)
            })
            .collect();
        let result = source.fetch(&assets, &self.settings.fiat).await;
        let now = self.clock.now();
        let mut st = self.lock();
        match result {
            Ok(prices) => {
                let got: Vec<PriceAsset> = prices.iter().map(|p| p.asset).collect();
                for price in prices {
                    st.cache.insert(
                        price.asset,
                        Cached {
                            price,
                            fetched_at: now,
                        },
                    );
                }
                st.last_success = Some(now);
                st.failures = 0;
                st.backoff_until = None;
                st.last_error = None;
                Ok(RefreshOutcome::Refreshed(got))
            }
            Err(e) => {
                st.failures = st.failures.saturating_add(1);
                // Doubling per failure in a row; a longer Retry-After from the source wins.
                let exp = self
                    .settings
                    .backoff_base
                    .saturating_mul(1u32 << (st.failures - 1).min(16))
                    .min(self.settings.backoff_max);
                let wait = match &e {
                    AdapterError::RateLimited {
                        retry_after: Some(r),
                        ..
                    } => exp.max(*r),
                    _ => exp,
                };
                st.backoff_until = Some(now + chrono_dur(wait));
                st.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// When the next market fetch may happen at the earliest, if the feed is backing off.
    pub fn backoff_until(&self) -> Option<DateTime<Utc>> {
        self.lock().backoff_until
    }

    /// The last failure of the source, if the most recent attempt failed.
    pub fn last_error(&self) -> Option<AdapterError> {
        self.lock().last_error.clone()
    }

    /// What is known about `asset` now, without any IO.
    pub fn state(&self, asset: PriceAsset) -> PriceState {
        let fiat = self.settings.fiat.to_ascii_lowercase();
        if asset == PriceAsset::GrassPoint {
            return match self
                .settings
                .points_value
                .as_deref()
                .filter(|v| decimal_digits(v).is_some())
            {
                Some(v) => PriceState::Known {
                    price: Price {
                        asset,
                        fiat,
                        value: v.trim().to_owned(),
                        source: self
                            .settings
                            .fixed_label
                            .clone()
                            .unwrap_or_else(|| "operator-assumption".to_owned()),
                        observed_at: self.started_at,
                    },
                    stale: false,
                },
                None => PriceState::NoPrice,
            };
        }
        let fixed = self
            .settings
            .fixed
            .get(&asset)
            .filter(|f| decimal_digits(&f.value).is_some())
            .map(|f| {
                (
                    f.mode,
                    Price {
                        asset,
                        fiat: fiat.clone(),
                        value: f.value.trim().to_owned(),
                        source: self
                            .settings
                            .fixed_label
                            .clone()
                            .unwrap_or_else(|| "operator".to_owned()),
                        observed_at: f.entered_at,
                    },
                )
            });
        if let Some((FixedMode::Override, price)) = &fixed {
            return PriceState::Known {
                price: price.clone(),
                stale: false,
            };
        }
        let now = self.clock.now();
        let cached = self.lock().cache.get(&asset).cloned();
        match (cached, fixed) {
            (Some(c), _) if now - c.fetched_at <= chrono_dur(self.settings.stale_after) => {
                PriceState::Known {
                    price: c.price,
                    stale: false,
                }
            }
            (_, Some((_, price))) => PriceState::Known {
                price,
                stale: false,
            },
            (Some(c), None) => PriceState::Known {
                price: c.price,
                stale: true,
            },
            (None, None) => PriceState::NoPrice,
        }
    }

    /// Refreshes when due (a failed refresh is logged and leaves the cache as it is), then
    /// answers for `asset`.
    pub async fn price(&self, asset: PriceAsset) -> PriceState {
        if let Err(e) = self.refresh().await {
            tracing::debug!(error = %e, "price refresh failed; using what is cached");
        }
        self.state(asset)
    }

    /// Converts `amount` with the current state of its asset: a value with the price used, or
    /// `NoPrice` (also for fiat amounts and tokens no source prices).
    pub fn convert(&self, amount: &Money) -> Result<Conversion, PriceError> {
        match PriceAsset::from_token(amount.token) {
            Some(asset) => convert_with(amount, &self.state(asset)),
            None => Ok(Conversion::NoPrice {
                token: amount.token,
            }),
        }
    }
}

pub(super) fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
