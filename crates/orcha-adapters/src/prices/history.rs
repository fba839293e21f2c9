//! Past prices: CoinGecko's `market_chart/range`, daily (hourly for ranges up to 90 days), each
//! point a `Price` with its own time, so a figure can be valued at the price of its day.

use chrono::{DateTime, TimeZone, Utc};
use orcha_core::AdapterError;

use super::convert::{decimal_digits, place_point};
use super::model::{Price, PriceAsset};
use super::source::CoinGecko;
use crate::probe::{decode, float_to_decimal};

/// `{"prices": [[ms, price], …], "market_caps": …, "total_volumes": …}`; only prices are read.
#[derive(serde::Deserialize)]
struct RawRange {
    prices: Vec<(f64, f64)>,
}

impl CoinGecko {
    /// `GET /coins/{id}/market_chart/range?vs_currency=…&from=…&to=…` (Unix seconds). An asset
    /// CoinGecko has no id for gives no prices; a zero price (no market) is left out, not kept as
    /// "free".
    pub async fn range(
        &self,
        asset: PriceAsset,
        fiat: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Price>, AdapterError> {
        let Some(id) = self.ids.get(&asset) else {
            return Ok(Vec::new());
        };
        let fiat = fiat.to_ascii_lowercase();
        let path = format!(
            "/coins/{id}/market_chart/range?vs_currency={fiat}&from={}&to={}",
            from.timestamp(),
            to.timestamp()
        );
        let endpoint = self.client.url(&format!("/coins/{id}/market_chart/range"));
        let body = self.client.get_bytes(&path).await?;
        let raw: RawRange = decode(&endpoint, &body)?;
        let mut out = Vec::new();
        for (i, (ms, v)) in raw.prices.iter().enumerate() {
            let bad = |why: &str| AdapterError::Malformed {
                endpoint: endpoint.clone(),
                what: format!("field `prices[{i}]`: {why}"),
            };
            if !v.is_finite() || *v < 0.0 {
                return Err(bad("the price is not a non-negative number"));
            }
            if *v == 0.0 {
                continue;
            }
            let at = (ms.is_finite() && *ms >= 0.0)
                .then(|| Utc.timestamp_millis_opt(*ms as i64).single())
                .flatten()
                .ok_or_else(|| bad("the time is not Unix milliseconds"))?;
            let text = float_to_decimal(*v, 12).ok_or_else(|| bad("not a number"))?;
            let value = place_point(
                text.replace('.', "").as_bytes(),
                text.split_once('.').map_or(0, |(_, fr)| fr.len()),
            );
            if decimal_digits(&value).is_none() {
                continue;
            }
            out.push(Price {
                asset,
                fiat: fiat.clone(),
                value,
                source: "coingecko market_chart/range".to_owned(),
                observed_at: at,
            });
        }
        Ok(out)
    }
}
