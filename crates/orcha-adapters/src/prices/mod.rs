//! Token prices in the operator's fiat: a small source trait, CoinGecko by default, a cache with staleness and back-off, operator-entered fixed prices, and exact conversion.
//!
//! Every conversion returns the price it used (token, fiat, value, source, observed_at) so the
//! caller can store it next to the converted figure and history never changes when prices do.
//! "No price" is its own outcome: the UI then shows token amounts only, never a zero.
//!
//! The feed never sleeps: staleness and back-off are measured with the `Clock` passed in, so tests
//! move a `ManualClock` instead of waiting.

mod convert;
mod feed;
mod history;
mod model;
mod settings;
mod source;
#[cfg(test)]
mod tests;

pub use self::convert::{add_decimals, convert, convert_with, multiply};
pub use self::feed::{PriceFeed, RefreshOutcome};
pub use self::model::{Conversion, FiatValue, Price, PriceAsset, PriceError, PriceState};
pub use self::settings::{FixedMode, FixedPrice, PriceSettings};
pub use self::source::{CoinGecko, PriceSource, COINGECKO_URL};
