//! Token prices in the operator's fiat: a small source trait, CoinGecko by default, a cache with staleness and back-off, operator-entered fixed prices, and exact conversion.
//!
//! Every conversion returns the price it used (token, fiat, value, source, observed_at) so the
//! caller can store it next to the converted figure and history never changes when prices do.
//! "No price" is its own outcome: the UI then shows token amounts only, never a zero.
//!
//! The feed never sleeps: staleness and back-off are measured with the `Clock` passed in, so tests
//! move a `ManualClock` instead of waiting.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use orcha_core::secret::Sensitive;
use orcha_core::{AdapterError, Clock, Money, Token};
use serde::Serialize;

use crate::http::{Auth, JsonClient};
use crate::probe::{decode, float_to_decimal};

/// What can carry a price. Not the same list as `orcha_core::Token`: GRASS has a market price but
/// no `Token` (nothing Orcha records is paid in GRASS yet), and a Grass point has no market price
/// at all, only the value the operator assigns to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceAsset {
    Glm,
    Data,
    Storj,
    Pol,
    Grass,
    /// One Grass point, valued only by the operator (`protocols.grass.points_value`).
    GrassPoint,
}

impl PriceAsset {
    /// The assets a market source is asked about; a Grass point is never on a market.
    pub const MARKET: [PriceAsset; 5] = [
        PriceAsset::Glm,
        PriceAsset::Data,
        PriceAsset::Storj,
        PriceAsset::Pol,
        PriceAsset::Grass,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PriceAsset::Glm => "glm",
            PriceAsset::Data => "data",
            PriceAsset::Storj => "storj",
            PriceAsset::Pol => "pol",
            PriceAsset::Grass => "grass",
            PriceAsset::GrassPoint => "points",
        }
    }

    /// The asset an amount of `token` is priced as; `None` for fiat (USD is not converted here).
    pub fn from_token(token: Token) -> Option<PriceAsset> {
        match token {
            Token::Glm => Some(PriceAsset::Glm),
            Token::Data => Some(PriceAsset::Data),
            Token::Storj => Some(PriceAsset::Storj),
            Token::Pol => Some(PriceAsset::Pol),
            Token::Points => Some(PriceAsset::GrassPoint),
            Token::Usd => None,
        }
    }

    /// The `Token` the store's `prices` table keys this asset by; `None` for GRASS, which
    /// `orcha_core::Token` does not have yet.
    pub fn token(self) -> Option<Token> {
        match self {
            PriceAsset::Glm => Some(Token::Glm),
            PriceAsset::Data => Some(Token::Data),
            PriceAsset::Storj => Some(Token::Storj),
            PriceAsset::Pol => Some(Token::Pol),
            PriceAsset::GrassPoint => Some(Token::Points),
            PriceAsset::Grass => None,
        }
    }

    /// CoinGecko's coin id. DATA is listed as `streamr`, POL as `polygon-ecosystem-token`.
    pub fn coingecko_id(self) -> Option<&'static str> {
        match self {
            PriceAsset::Glm => Some("golem"),
            PriceAsset::Data => Some("streamr"),
            PriceAsset::Storj => Some("storj"),
            PriceAsset::Pol => Some("polygon-ecosystem-token"),
            PriceAsset::Grass => Some("grass"),
            PriceAsset::GrassPoint => None,
        }
    }
}

impl std::str::FromStr for PriceAsset {
    type Err = String;
    /// `glm`, `data` (or `streamr`), `storj`, `pol`, `grass`, `points`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "glm" => Ok(PriceAsset::Glm),
            "data" | "streamr" => Ok(PriceAsset::Data),
            "storj" => Ok(PriceAsset::Storj),
            "pol" | "matic" => Ok(PriceAsset::Pol),
            "grass" => Ok(PriceAsset::Grass),
            "points" | "grass_point" => Ok(PriceAsset::GrassPoint),
            other => Err(format!("unknown priced asset `{other}`")),
        }
    }
}

impl std::fmt::Display for PriceAsset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One price as it is used and stored: `value` fiat per one whole unit of `asset`, exact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Price {
    pub asset: PriceAsset,
    /// Lower-case fiat code, e.g. `usd`, `eur`.
    pub fiat: String,
    /// A plain decimal string (`"0.2512"`), never a float.
    pub value: String,
    /// `coingecko`, `operator` (a fixed price), or `operator-assumption` (the value of a point).
    pub source: String,
    /// When the source says the price was valid (CoinGecko's `last_updated_at`) or was entered.
    pub observed_at: DateTime<Utc>,
}

/// What the feed knows about one asset right now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PriceState {
    /// A usable price; `stale` when the source has not answered for longer than `stale_after`.
    Known { price: Price, stale: bool },
    /// Nothing is known: show token amounts only.
    NoPrice,
}

/// An amount converted to fiat, with the price that was used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FiatValue {
    pub fiat: String,
    /// The exact product as a decimal string (trailing zeros trimmed).
    pub value: String,
    pub price: Price,
    pub stale: bool,
}

impl FiatValue {
    /// The value rounded half up to `places` decimals, for display.
    pub fn rounded(&self, places: u8) -> String {
        round_decimal(&self.value, places)
    }
}

/// The outcome of a conversion: a value, or "no price" as its own state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Conversion {
    Value(FiatValue),
    NoPrice {
        #[serde(serialize_with = "ser_token")]
        token: Token,
    },
}

fn ser_token<S: serde::Serializer>(t: &Token, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

/// Why a conversion could not be done at all (as opposed to "no price").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("price `{0}` is not a positive decimal number")]
    BadPrice(String),
    #[error("a {amount} amount cannot be converted with a price of {price}")]
    WrongAsset { amount: Token, price: PriceAsset },
}

/// Converts `amount` with `price` exactly: the product of the base units and the price's digits,
/// with no float anywhere.
pub fn convert(amount: &Money, price: &Price, stale: bool) -> Result<FiatValue, PriceError> {
    if PriceAsset::from_token(amount.token) != Some(price.asset) {
        return Err(PriceError::WrongAsset {
            amount: amount.token,
            price: price.asset,
        });
    }
    Ok(FiatValue {
        fiat: price.fiat.clone(),
        value: multiply(amount, &price.value)?,
        price: price.clone(),
        stale,
    })
}

/// `amount` (any token) times the decimal `price`, exactly, as a trimmed decimal string. For
/// callers that price something that is not a [`PriceAsset`] (US dollars into another fiat).
pub fn multiply(amount: &Money, price: &str) -> Result<String, PriceError> {
    let (p_digits, p_decimals) =
        decimal_digits(price).ok_or_else(|| PriceError::BadPrice(price.to_owned()))?;
    let a_digits = amount.amount.unsigned_abs().to_string();
    let product = mul_digits(a_digits.as_bytes(), &p_digits);
    let decimals = usize::from(amount.decimals) + p_decimals;
    let mut value = place_point(&product, decimals);
    if amount.amount < 0 && value.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        value.insert(0, '-');
    }
    Ok(value)
}

/// The exact sum of two non-negative plain decimal strings (`"1.25"` + `"0.005"` = `"1.255"`);
/// `None` when either is not one. Totals of fiat values are added this way, never as floats.
pub fn add_decimals(a: &str, b: &str) -> Option<String> {
    let split = |s: &str| -> Option<(Vec<u8>, Vec<u8>)> {
        let s = s.trim();
        let (i, f) = s.split_once('.').unwrap_or((s, ""));
        let ok = !i.is_empty()
            && i.bytes().all(|c| c.is_ascii_digit())
            && f.bytes().all(|c| c.is_ascii_digit());
        ok.then(|| (i.as_bytes().to_vec(), f.as_bytes().to_vec()))
    };
    let ((ai, af), (bi, bf)) = (split(a)?, split(b)?);
    let frac = af.len().max(bf.len());
    let int = ai.len().max(bi.len());
    let digits = |i: &[u8], f: &[u8]| -> Vec<u8> {
        let mut v = vec![b'0'; int - i.len()];
        v.extend_from_slice(i);
        v.extend_from_slice(f);
        v.resize(int + frac, b'0');
        v
    };
    let (x, y) = (digits(&ai, &af), digits(&bi, &bf));
    let mut out = vec![0u8; x.len() + 1];
    let mut carry = 0u8;
    for k in (0..x.len()).rev() {
        let d = (x[k] - b'0') + (y[k] - b'0') + carry;
        out[k + 1] = b'0' + d % 10;
        carry = d / 10;
    }
    out[0] = b'0' + carry;
    Some(place_point(&out, frac))
}

/// Converts with whatever the feed knows: a value with the price used, or `NoPrice`.
pub fn convert_with(amount: &Money, state: &PriceState) -> Result<Conversion, PriceError> {
    match state {
        PriceState::Known { price, stale } => convert(amount, price, *stale).map(Conversion::Value),
        PriceState::NoPrice => Ok(Conversion::NoPrice {
            token: amount.token,
        }),
    }
}

/// A decimal string → (digits without the point, number of fractional digits); only
/// non-negative plain decimals with at least one non-zero digit.
fn decimal_digits(s: &str) -> Option<(Vec<u8>, usize)> {
    let s = s.trim();
    let (i, f) = s.split_once('.').unwrap_or((s, ""));
    if (i.is_empty() && f.is_empty())
        || !i.bytes().all(|b| b.is_ascii_digit())
        || !f.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits: Vec<u8> = i.bytes().chain(f.bytes()).collect();
    if !digits.iter().any(|b| *b != b'0') {
        return None;
    }
    Some((digits, f.len()))
}

/// Schoolbook multiplication of two ASCII digit strings; exact for any length.
fn mul_digits(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u32; a.len() + b.len()];
    for (i, da) in a.iter().rev().enumerate() {
        for (j, db) in b.iter().rev().enumerate() {
            out[i + j] += u32::from(da - b'0') * u32::from(db - b'0');
        }
    }
    let mut carry = 0;
    for d in out.iter_mut() {
        let v = *d + carry;
        *d = v % 10;
        carry = v / 10;
    }
    // `carry` is zero here: the product of an m- and an n-digit number has at most m+n digits.
    out.iter().rev().map(|d| b'0' + *d as u8).collect()
}

/// ASCII digits with `decimals` fractional digits → a trimmed decimal string (`"12.5"`, `"0"`).
fn place_point(digits: &[u8], decimals: usize) -> String {
    let text = String::from_utf8_lossy(digits).into_owned();
    let padded = format!("{text:0>width$}", width = decimals + 1);
    let (i, f) = padded.split_at(padded.len() - decimals);
    let i = i.trim_start_matches('0');
    let i = if i.is_empty() { "0" } else { i };
    let f = f.trim_end_matches('0');
    if f.is_empty() {
        i.to_owned()
    } else {
        format!("{i}.{f}")
    }
}

/// Rounds a plain decimal string half up (away from zero) to `places` decimals.
fn round_decimal(s: &str, places: u8) -> String {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (i, f) = body.split_once('.').unwrap_or((body, ""));
    let p = usize::from(places);
    let mut digits: Vec<u8> = i
        .bytes()
        .chain(f.bytes().chain(std::iter::repeat(b'0')).take(p))
        .collect();
    if f.as_bytes().get(p).is_some_and(|b| *b >= b'5') {
        let mut k = digits.len();
        loop {
            if k == 0 {
                digits.insert(0, b'1');
                break;
            }
            k -= 1;
            if digits[k] == b'9' {
                digits[k] = b'0';
            } else {
                digits[k] += 1;
                break;
            }
        }
    }
    let split = digits.len() - p;
    let int_part = String::from_utf8_lossy(&digits[..split]).into_owned();
    let int_part = if int_part.is_empty() {
        "0".to_owned()
    } else {
        int_part
    };
    let sign = if neg && digits.iter().any(|b| *b != b'0') {
        "-"
    } else {
        ""
    };
    if p == 0 {
        format!("{sign}{int_part}")
    } else {
        format!(
            "{sign}{int_part}.{}",
            String::from_utf8_lossy(&digits[split..])
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Sources.

/// Where market prices come from. A source answers for the assets it knows and leaves the others
/// out; an unknown asset is not an error.
#[async_trait]
pub trait PriceSource: Send + Sync {
    /// Short stable name stored with every price (`coingecko`).
    fn name(&self) -> &str;

    async fn fetch(&self, assets: &[PriceAsset], fiat: &str) -> Result<Vec<Price>, AdapterError>;
}

/// CoinGecko's public simple-price API.
pub const COINGECKO_URL: &str = "https://api.coingecko.com/api/v3";

/// CoinGecko's `GET /simple/price?ids=…&vs_currencies=…&include_last_updated_at=true`.
pub struct CoinGecko {
    client: JsonClient,
    clock: Arc<dyn Clock>,
    ids: BTreeMap<PriceAsset, String>,
}

impl CoinGecko {
    /// `base` is e.g. `https://api.coingecko.com/api/v3`; an API key goes in the demo-key header,
    /// or the pro-key header when `base` is the pro API.
    pub fn new(
        base: &str,
        api_key: Option<Sensitive<String>>,
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AdapterError> {
        let header = if base.contains("pro-api.") {
            "x-cg-pro-api-key"
        } else {
            "x-cg-demo-api-key"
        };
        let auth = api_key.map_or(Auth::None, |k| Auth::Header(header, k));
        let client = JsonClient::new(
            base,
            timeout,
            auth,
            "check the CoinGecko API key in Settings (or remove it to use the public API)",
        )?;
        let ids = PriceAsset::MARKET
            .iter()
            .filter_map(|a| a.coingecko_id().map(|id| (*a, id.to_owned())))
            .collect();
        Ok(CoinGecko { client, clock, ids })
    }

    /// Replaces the CoinGecko coin id of one asset (ids have changed before: MATIC → POL).
    pub fn with_id(mut self, asset: PriceAsset, id: &str) -> Self {
        self.ids.insert(asset, id.to_owned());
        self
    }
}

#[async_trait]
impl PriceSource for CoinGecko {
    fn name(&self) -> &str {
        "coingecko"
    }

    async fn fetch(&self, assets: &[PriceAsset], fiat: &str) -> Result<Vec<Price>, AdapterError> {
        let fiat = fiat.to_ascii_lowercase();
        let wanted: Vec<(PriceAsset, &str)> = assets
            .iter()
            .filter_map(|a| self.ids.get(a).map(|id| (*a, id.as_str())))
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = wanted.iter().map(|(_, id)| *id).collect();
        let path = format!(
            "/simple/price?ids={}&vs_currencies={fiat}&include_last_updated_at=true",
            ids.join(",")
        );
        let body = self.client.get_bytes(&path).await?;
        let endpoint = self.client.url("/simple/price");
        // `{"golem": {"usd": 0.25, "last_updated_at": 1767225600}}`; ids CoinGecko does not know
        // are simply absent from the object.
        let answer: BTreeMap<String, BTreeMap<String, serde_json::Value>> =
            decode(&endpoint, &body)?;
        let now = self.clock.now();
        let mut out = Vec::new();
        for (asset, id) in wanted {
            let Some(entry) = answer.get(id) else {
                continue;
            };
            let Some(v) = entry.get(&fiat) else {
                continue;
            };
            let bad = |why: &str| AdapterError::Malformed {
                endpoint: endpoint.clone(),
                what: format!("field `{id}.{fiat}`: {why}"),
            };
            let f = v.as_f64().ok_or_else(|| bad("not a number"))?;
            if !f.is_finite() || f < 0.0 {
                return Err(bad("not a non-negative number"));
            }
            // CoinGecko reports 0 for coins it has no market for: that is "no price", not free.
            if f == 0.0 {
                continue;
            }
            let text = float_to_decimal(f, 12).ok_or_else(|| bad("not a number"))?;
            let value = place_point(
                text.replace('.', "").as_bytes(),
                text.split_once('.').map_or(0, |(_, fr)| fr.len()),
            );
            if decimal_digits(&value).is_none() {
                // Below 1e-12 per token: too small to be one of the tokens we price.
                continue;
            }
            let observed_at = entry
                .get("last_updated_at")
                .and_then(serde_json::Value::as_i64)
                .and_then(|s| Utc.timestamp_opt(s, 0).single())
                .unwrap_or(now);
            out.push(Price {
                asset,
                fiat: fiat.clone(),
                value,
                source: self.name().to_owned(),
                observed_at,
            });
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// The feed.

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

#[derive(Clone, Debug)]
struct Cached {
    price: Price,
    fetched_at: DateTime<Utc>,
}

#[derive(Default, Debug)]
struct FeedState {
    cache: BTreeMap<PriceAsset, Cached>,
    last_success: Option<DateTime<Utc>>,
    failures: u32,
    backoff_until: Option<DateTime<Utc>>,
    last_error: Option<AdapterError>,
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
    source: Option<Arc<dyn PriceSource>>,
    settings: PriceSettings,
    clock: Arc<dyn Clock>,
    /// When the settings took effect: the time of the operator's point value, so the same
    /// assumption always carries the same timestamp.
    started_at: DateTime<Utc>,
    state: Mutex<FeedState>,
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

    /// The market source's name, or `None` when the feed has fixed prices only.
    pub fn source_name(&self) -> Option<String> {
        self.source.as_ref().map(|s| s.name().to_owned())
    }

    /// When the source last answered.
    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        self.lock().last_success
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FeedState> {
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

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(asset: PriceAsset, value: &str) -> Price {
        Price {
            asset,
            fiat: "usd".into(),
            value: value.into(),
            source: "test".into(),
            observed_at: Utc.timestamp_opt(1_767_225_600, 0).single().unwrap(),
        }
    }

    #[test]
    fn conversion_is_exact_and_keeps_the_price() {
        // 1291.28 DATA at 0.0123 USD = 15.882744 USD.
        let data = Money::new(Token::Data, 1_291_280_000_000_000_000_000, 18);
        let v = convert(&data, &price(PriceAsset::Data, "0.0123"), false).unwrap();
        assert_eq!(v.value, "15.882744");
        assert_eq!(v.rounded(2), "15.88");
        assert_eq!(v.price.value, "0.0123");
        // One wei at a tiny price stays exact.
        let wei = Money::new(Token::Glm, 1, 18);
        let v = convert(&wei, &price(PriceAsset::Glm, "0.25"), false).unwrap();
        assert_eq!(v.value, "0.00000000000000000025");
        assert_eq!(v.rounded(2), "0.00");
        // Amounts far beyond i128 products stay exact.
        let big = Money::new(Token::Data, i128::MAX, 18);
        let v = convert(&big, &price(PriceAsset::Data, "123456789.123456789"), false).unwrap();
        assert_eq!(
            v.value,
            "21005084207694523969580463851.721844058022750592191930603"
        );
        let neg = Money::new(Token::Data, -1_500_000_000_000_000_000, 18);
        assert_eq!(
            convert(&neg, &price(PriceAsset::Data, "2"), false)
                .unwrap()
                .value,
            "-3"
        );
        assert!(matches!(
            convert(&data, &price(PriceAsset::Glm, "1"), false),
            Err(PriceError::WrongAsset { .. })
        ));
        for bad in ["0", "-1", "abc", "1e5", ""] {
            assert!(
                convert(&data, &price(PriceAsset::Data, bad), false).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn settings_follow_the_configuration() {
        let mut c = orcha_core::config::Config::default();
        c.allocation
            .fiat_per_token
            .insert("glm".into(), "0.25".into());
        c.allocation
            .fiat_per_token
            .insert("doge".into(), "1".into());
        c.protocols.grass.points_value = " 0.001 ".into();
        let at = Utc.timestamp_opt(0, 0).single().unwrap();
        let s = PriceSettings::from_config(&c, at);
        assert_eq!(s.fixed.len(), 1);
        assert_eq!(s.fixed[&PriceAsset::Glm].mode, FixedMode::Fallback);
        assert_eq!(s.points_value.as_deref(), Some("0.001"));
        assert_eq!(s.fiat, "usd");
        assert_eq!("STREAMR".parse::<PriceAsset>(), Ok(PriceAsset::Data));

        // `[prices]` wins over the older keys and sets the mode, fiat and timing.
        c.prices.fiat = "eur".into();
        c.prices.refresh_minutes = 5;
        c.prices.stale_minutes = 10;
        c.prices.fixed_mode = "override".into();
        c.prices.fixed.insert("glm".into(), "0.3".into());
        c.prices.fixed.insert("usd".into(), "0.9".into());
        c.prices.grass_fiat_per_point = "0.002".into();
        let s = PriceSettings::from_config(&c, at);
        assert_eq!(s.fiat, "eur");
        assert_eq!(s.refresh_every, Duration::from_secs(300));
        assert_eq!(s.stale_after, Duration::from_secs(600));
        assert_eq!(s.fixed.len(), 1, "usd is not an asset");
        assert_eq!(s.fixed[&PriceAsset::Glm].value, "0.3");
        assert_eq!(s.fixed[&PriceAsset::Glm].mode, FixedMode::Override);
        assert_eq!(s.points_value.as_deref(), Some("0.002"));
    }

    #[test]
    fn decimals_add_exactly() {
        assert_eq!(add_decimals("1.25", "0.005").as_deref(), Some("1.255"));
        assert_eq!(add_decimals("999.9", "0.1").as_deref(), Some("1000"));
        assert_eq!(add_decimals("0", "0").as_deref(), Some("0"));
        assert_eq!(
            add_decimals("0.00000000000000000025", "12").as_deref(),
            Some("12.00000000000000000025")
        );
        assert_eq!(add_decimals("-1", "2"), None);
        assert_eq!(add_decimals("1e3", "2"), None);
        let usd = Money::new(Token::Usd, 1234, 2);
        assert_eq!(multiply(&usd, "0.9").unwrap(), "11.106");
        assert!(multiply(&usd, "0").is_err());
    }

    #[test]
    fn rounding_carries() {
        assert_eq!(round_decimal("9.995", 2), "10.00");
        assert_eq!(round_decimal("0.004", 2), "0.00");
        assert_eq!(round_decimal("-1.005", 2), "-1.01");
        assert_eq!(round_decimal("12", 0), "12");
        assert_eq!(place_point(b"000150", 4), "0.015");
        assert_eq!(place_point(b"0", 3), "0");
    }
}
