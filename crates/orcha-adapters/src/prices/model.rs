//! Price types: what can carry a price, a price with its provenance, fiat values and why a conversion failed.

use chrono::{DateTime, Utc};
use orcha_core::Token;
use serde::Serialize;

use super::convert::round_decimal;

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

pub(super) fn ser_token<S: serde::Serializer>(t: &Token, s: S) -> Result<S::Ok, S::Error> {
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
