//! Price sources: the `PriceSource` trait and CoinGecko, the default market source.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use orcha_core::secret::Sensitive;
use orcha_core::{AdapterError, Clock};

use super::convert::{decimal_digits, place_point};
use super::model::{Price, PriceAsset};
use crate::http::{Auth, JsonClient};
use crate::probe::{decode, float_to_decimal};

/// Where market prices come from. A source answers for the assets it knows and leaves the others
/// out; an unknown asset is not an error.
#[async_trait]
pub trait PriceSource: Send + Sync {
    /// Short stable name stored with every price (`coingecko`).
    fn name(&self) -> &str;

    async fn fetch(&self, assets: &[PriceAsset], fiat: &str) -> Result<Vec<Price>, AdapterError>;

    /// Past prices of one asset between `from` and `to`, each with its own time (#20). The
    /// default: the source keeps no history.
    async fn range(
        &self,
        _asset: PriceAsset,
        _fiat: &str,
        _from: chrono::DateTime<Utc>,
        _to: chrono::DateTime<Utc>,
    ) -> Result<Vec<Price>, AdapterError> {
        Ok(Vec::new())
    }
}

/// CoinGecko's public simple-price API.
pub const COINGECKO_URL: &str = "https://api.coingecko.com/api/v3";

/// CoinGecko's `GET /simple/price?ids=…&vs_currencies=…&include_last_updated_at=true`.
pub struct CoinGecko {
    pub(super) client: JsonClient,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) ids: BTreeMap<PriceAsset, String>,
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

    async fn range(
        &self,
        asset: PriceAsset,
        fiat: &str,
        from: chrono::DateTime<Utc>,
        to: chrono::DateTime<Utc>,
    ) -> Result<Vec<Price>, AdapterError> {
        CoinGecko::range(self, asset, fiat, from, to).await
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
