//! The price book: market feed, fixed prices and the operator's value of a Grass point, in memory.
//!
//! `PriceBook` lives in `AppState` and answers without IO, so it sits below `state`; the
//! refresher task and the store records that need `AppState` are in `crate::prices`. A GRASS token
//! price never values Grass points: points are priced only by the operator's assumption
//! (`prices.grass_fiat_per_point`). "No price" is `None` everywhere, never a zero.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orcha_adapters::prices::{
    multiply, CoinGecko, Price, PriceAsset, PriceFeed, PriceSettings, PriceSource, PriceState,
    RefreshOutcome,
};
use orcha_core::config::Config;
use orcha_core::secret::{SecretKey, SecretStore, Sensitive};
use orcha_core::{AdapterError, Clock, Money, Token};

/// The keyring entry of the optional CoinGecko API key (a demo or pro key).
pub const SECRET_KEY: &str = "prices:coingecko/api_key";

/// One CoinGecko request may take this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Reading the keyring may take this long (a locked or absent Secret Service can hang).
const KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

/// The assets the API lists, in display order; `usd` is added when the fiat is not USD.
const LISTED: [PriceAsset; 6] = [
    PriceAsset::Glm,
    PriceAsset::Data,
    PriceAsset::Storj,
    PriceAsset::Pol,
    PriceAsset::Grass,
    PriceAsset::GrassPoint,
];

/// A price as the app uses it: fiat per whole unit of `asset` (`glm`, `grass`, `points`, `usd`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub asset: String,
    pub fiat: String,
    /// A plain decimal string, never a float.
    pub value: String,
    /// `coingecko`, `operator`, `operator-assumption` (a Grass point), `demo` or `identity`.
    pub source: String,
    pub observed_at: DateTime<Utc>,
    pub stale: bool,
}

impl Quote {
    fn from_price(p: Price, stale: bool) -> Self {
        Quote {
            asset: p.asset.as_str().to_owned(),
            fiat: p.fiat,
            value: p.value,
            source: p.source,
            observed_at: p.observed_at,
            stale,
        }
    }

    /// True when the price is an assumption of the operator rather than a market or fixed price.
    pub fn is_assumption(&self) -> bool {
        self.asset == PriceAsset::GrassPoint.as_str()
    }
}

/// CoinGecko with the API key read from the keyring at every fetch, so a key stored or deleted
/// in Settings counts from the next refresh on, without a restart.
struct KeyringCoinGecko {
    base: String,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl PriceSource for KeyringCoinGecko {
    fn name(&self) -> &str {
        "coingecko"
    }

    async fn fetch(&self, assets: &[PriceAsset], fiat: &str) -> Result<Vec<Price>, AdapterError> {
        self.source().await?.fetch(assets, fiat).await
    }

    async fn range(
        &self,
        asset: PriceAsset,
        fiat: &str,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Price>, AdapterError> {
        self.source().await?.range(asset, fiat, from, to).await
    }
}

impl KeyringCoinGecko {
    /// CoinGecko with the key the keyring holds now.
    async fn source(&self) -> Result<CoinGecko, AdapterError> {
        let secrets = Arc::clone(&self.secrets);
        let read =
            tokio::task::spawn_blocking(move || secrets.get(&SecretKey(SECRET_KEY.to_owned())));
        // Without a key the public API still answers (with a lower rate limit), so a keyring
        // problem is logged and the request goes out without one.
        let key: Option<Sensitive<String>> = match tokio::time::timeout(KEYRING_TIMEOUT, read).await
        {
            Ok(Ok(Ok(key))) => key,
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, "Could not read the CoinGecko API key; asking without one.");
                None
            }
            Ok(Err(_)) | Err(_) => {
                tracing::warn!("The keyring did not answer; asking CoinGecko without an API key.");
                None
            }
        };
        CoinGecko::new(&self.base, key, REQUEST_TIMEOUT, Arc::clone(&self.clock))
    }
}

/// The prices the app knows, for conversions, the optimizer and the API.
pub struct PriceBook {
    feed: PriceFeed,
    fiat: String,
    /// `coingecko`, `fixed-only` or `demo`, as the API reports it.
    mode: String,
    /// Fiat per US dollar when the fiat is not USD (`prices.fixed.usd`); Storj earns dollars.
    usd: Option<Quote>,
    clock: Arc<dyn Clock>,
    /// The last price recorded per asset, so an unchanged price is not written again.
    pub(crate) recorded: Mutex<BTreeMap<String, Quote>>,
}

impl std::fmt::Debug for PriceBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PriceBook")
            .field("fiat", &self.fiat)
            .field("mode", &self.mode)
            .finish()
    }
}

impl PriceBook {
    /// The book the configuration describes. In demo mode every fixed price is labelled `demo`
    /// and nothing is fetched (the demo must not reach the internet).
    pub fn from_config(
        config: &Config,
        secrets: Arc<dyn SecretStore>,
        clock: Arc<dyn Clock>,
        demo: bool,
    ) -> Self {
        let now = clock.now();
        let mut settings = PriceSettings::from_config(config, now);
        let market = config.prices.source == "coingecko" && !demo;
        let mode = if demo {
            settings.fixed_label = Some("demo".to_owned());
            "demo"
        } else if market {
            "coingecko"
        } else {
            "fixed-only"
        };
        let source: Option<Arc<dyn PriceSource>> = market.then(|| {
            Arc::new(KeyringCoinGecko {
                base: config.prices.base_url.clone(),
                secrets,
                clock: Arc::clone(&clock),
            }) as Arc<dyn PriceSource>
        });
        let fiat = settings.fiat.clone();
        let usd = config
            .prices
            .fixed
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("usd"))
            .map(|(_, v)| Quote {
                asset: "usd".to_owned(),
                fiat: fiat.clone(),
                value: v.trim().to_owned(),
                source: if demo { "demo" } else { "operator" }.to_owned(),
                observed_at: now,
                stale: false,
            });
        PriceBook {
            feed: PriceFeed::new(source, settings, Arc::clone(&clock)),
            fiat,
            mode: mode.to_owned(),
            usd,
            clock,
            recorded: Mutex::new(BTreeMap::new()),
        }
    }

    /// The operator's fiat currency, lower-case.
    pub fn fiat(&self) -> &str {
        &self.fiat
    }

    /// `coingecko`, `fixed-only` or `demo`.
    pub fn mode(&self) -> &str {
        &self.mode
    }

    /// Past market prices of one asset in the operator's fiat (#20); empty without a market.
    pub async fn history(
        &self,
        asset: PriceAsset,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Price>, AdapterError> {
        self.feed.range(asset, from, to).await
    }

    /// True when a market source is refreshed in the background.
    pub fn has_market(&self) -> bool {
        self.feed.source_name().is_some()
    }

    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        self.feed.last_success()
    }

    /// The end of the current back-off, while one lasts.
    pub fn backoff_until(&self) -> Option<DateTime<Utc>> {
        let now = self.clock.now();
        self.feed.backoff_until().filter(|u| *u > now)
    }

    pub fn last_error(&self) -> Option<AdapterError> {
        self.feed.last_error()
    }

    /// Asks the market source when due (see `PriceFeed::refresh`).
    pub async fn refresh(&self) -> Result<RefreshOutcome, AdapterError> {
        self.feed.refresh().await
    }

    /// What is known about one asset now, without IO; `None` is "no price".
    pub fn quote(&self, asset: PriceAsset) -> Option<Quote> {
        match self.feed.state(asset) {
            PriceState::Known { price, stale } => Some(Quote::from_price(price, stale)),
            PriceState::NoPrice => None,
        }
    }

    /// The price an amount of `token` is converted with. Points map to the operator's value of
    /// a point, never to the GRASS token; US dollars convert one to one into USD and otherwise
    /// need `prices.fixed.usd`.
    pub fn quote_token(&self, token: Token) -> Option<Quote> {
        match token {
            Token::Usd if self.fiat == "usd" => Some(Quote {
                asset: "usd".to_owned(),
                fiat: self.fiat.clone(),
                value: "1".to_owned(),
                source: "identity".to_owned(),
                observed_at: DateTime::<Utc>::UNIX_EPOCH,
                stale: false,
            }),
            Token::Usd => self.usd.clone(),
            other => PriceAsset::from_token(other).and_then(|a| self.quote(a)),
        }
    }

    /// Every listed asset with what is known about it, in display order.
    pub fn listing(&self) -> Vec<(String, Option<Quote>)> {
        let mut out: Vec<(String, Option<Quote>)> = LISTED
            .iter()
            .map(|a| (a.as_str().to_owned(), self.quote(*a)))
            .collect();
        if self.fiat != "usd" {
            out.push(("usd".to_owned(), self.usd.clone()));
        }
        out
    }

    /// `amount` in fiat, exactly, with the price used; `None` when its token has no price.
    pub fn convert(&self, amount: &Money) -> Option<(String, Quote)> {
        let quote = self.quote_token(amount.token)?;
        let value = multiply(amount, &quote.value).ok()?;
        Some((value, quote))
    }

    /// Fiat per unit of `token` as a float, for the optimizer's curves (which are floats by
    /// nature); `Err` says why there is none.
    pub fn rate(&self, token: Token) -> Result<(f64, Quote), String> {
        let quote = self.quote_token(token).ok_or_else(|| match token {
            Token::Points => "Grass points have no fiat value (set prices.grass_fiat_per_point to the value you assume for one point)".to_owned(),
            Token::Usd => format!(
                "US dollars have no {} rate (set prices.fixed.usd)",
                self.fiat.to_uppercase()
            ),
            t => format!(
                "{} has no {} price (the feed has none yet; set prices.fixed.{t} to use your own)",
                t.as_str().to_uppercase(),
                self.fiat.to_uppercase()
            ),
        })?;
        match quote.value.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok((v, quote)),
            _ => Err(format!(
                "the {} price {:?} is not a positive number",
                quote.asset, quote.value
            )),
        }
    }

    /// The quotes not yet recorded (the identity of USD into USD is never recorded), marking
    /// them as recorded; the caller writes them.
    pub(crate) fn unrecorded(&self, quotes: impl IntoIterator<Item = Quote>) -> Vec<Quote> {
        let mut seen = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
        quotes
            .into_iter()
            .filter(|q| q.source != "identity")
            .filter(|q| {
                let same = seen.get(&q.asset).is_some_and(|r| {
                    (&r.value, &r.source, r.observed_at, &r.fiat)
                        == (&q.value, &q.source, q.observed_at, &q.fiat)
                });
                if !same {
                    seen.insert(q.asset.clone(), q.clone());
                }
                !same
            })
            .collect()
    }

    /// How long the refresher waits before asking again: until the back-off ends after a
    /// failure, else `refresh_every`.
    pub(crate) fn next_wait(&self) -> Duration {
        let now = self.clock.now();
        match self.feed.backoff_until().filter(|u| *u > now) {
            Some(until) => (until - now)
                .to_std()
                .unwrap_or(Duration::from_secs(1))
                .max(Duration::from_secs(1)),
            None => self.feed.settings().refresh_every,
        }
    }
}
