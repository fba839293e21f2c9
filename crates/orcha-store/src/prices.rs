//! Recorded token prices, so every fiat conversion can be traced to the price it used.

use chrono::{DateTime, Utc};
use orcha_core::Token;
use rusqlite::params;

use crate::{from_ms, to_ms, Context, Result, Store};

/// One recorded price: fiat per whole unit of `asset`, as it was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRow {
    pub asset: String,
    pub fiat: String,
    pub value: String,
    pub source: String,
    pub observed_at: DateTime<Utc>,
}

impl Store {
    pub fn insert_price(
        &mut self,
        token: Token,
        fiat: &str,
        value: &str,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO prices (token, fiat, value, source, observed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token.as_str(), fiat, value, source, to_ms(at)],
            )
            .ctx("inserting a price")?;
        Ok(())
    }

    /// Records a price used for a conversion, keyed by the priced asset's name (`glm`, `grass`,
    /// `points`, … — GRASS has no `Token`), unless the identical row is already there, so the
    /// price a figure was converted with can always be found again. Returns true when it
    /// inserted a row.
    pub fn record_price(
        &mut self,
        asset: &str,
        fiat: &str,
        value: &str,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "INSERT INTO prices (token, fiat, value, source, observed_at) SELECT ?1, ?2, ?3, ?4, ?5 \
                 WHERE NOT EXISTS (SELECT 1 FROM prices WHERE token = ?1 AND fiat = ?2 AND value = ?3 AND source = ?4 AND observed_at = ?5)",
                params![asset, fiat, value, source, to_ms(at)],
            )
            .ctx("recording a price")?;
        Ok(n > 0)
    }

    /// The recorded price of an asset nearest `at`, no further than `window` away (earlier wins
    /// a tie), so a figure is valued at a price of its own time or not at all.
    pub fn price_near(
        &self,
        asset: &str,
        fiat: &str,
        at: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<Option<PriceRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT token, fiat, value, source, observed_at FROM prices \
                 WHERE token = ?1 AND fiat = ?2 AND observed_at BETWEEN ?3 AND ?4 \
                 ORDER BY abs(observed_at - ?5), observed_at LIMIT 1",
            )
            .ctx("preparing the nearest price query")?;
        let mut rows = stmt
            .query_map(
                params![
                    asset,
                    fiat,
                    to_ms(at - window),
                    to_ms(at + window),
                    to_ms(at)
                ],
                |r| {
                    Ok(PriceRow {
                        asset: r.get(0)?,
                        fiat: r.get(1)?,
                        value: r.get(2)?,
                        source: r.get(3)?,
                        observed_at: from_ms(r.get(4)?),
                    })
                },
            )
            .ctx("querying the nearest price")?;
        rows.next().transpose().ctx("reading the nearest price")
    }

    /// The recorded prices of one asset in one fiat, newest first, at most `limit`.
    pub fn price_rows(&self, asset: &str, fiat: &str, limit: u32) -> Result<Vec<PriceRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT token, fiat, value, source, observed_at FROM prices WHERE token = ?1 AND fiat = ?2 ORDER BY observed_at DESC, rowid DESC LIMIT ?3",
            )
            .ctx("preparing the price query")?;
        let rows = stmt
            .query_map(params![asset, fiat, limit], |r| {
                Ok(PriceRow {
                    asset: r.get(0)?,
                    fiat: r.get(1)?,
                    value: r.get(2)?,
                    source: r.get(3)?,
                    observed_at: from_ms(r.get(4)?),
                })
            })
            .ctx("querying prices")?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading prices")
    }
}
