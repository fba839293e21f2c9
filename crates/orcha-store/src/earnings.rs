//! Exact earnings: amounts stored as base-unit text with their token, never as floats.

use chrono::{DateTime, Utc};
use orcha_core::NodeId;
use rusqlite::params;

use crate::money_from_row;
use crate::{from_ms, to_ms, Context, Result, Store, StoreError};
use orcha_core::{EarningsData, EarningsKind, Money};

impl Store {
    pub fn insert_earnings(&mut self, node: &NodeId, earnings: &EarningsData) -> Result<()> {
        let tx = self.conn.transaction().ctx("starting an earnings write")?;
        let ts = to_ms(earnings.observed_at);
        Self::ensure_node(&tx, node, ts)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO earnings (node, kind, token, amount, decimals, observed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .ctx("preparing the earnings insert")?;
            for (kind, m) in &earnings.figures {
                stmt.execute(params![
                    node.to_string(),
                    kind.as_str(),
                    m.token.as_str(),
                    m.amount.to_string(),
                    m.decimals,
                    ts
                ])
                .ctx("inserting earnings")?;
            }
        }
        tx.commit().ctx("committing earnings")
    }

    /// The newest value of each earnings figure of a node.
    pub fn latest_earnings(
        &self,
        node: &NodeId,
    ) -> Result<Vec<(EarningsKind, Money, DateTime<Utc>)>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT kind, token, amount, decimals, max(observed_at) FROM earnings WHERE node = ?1 GROUP BY kind ORDER BY kind",
            )
            .ctx("preparing the earnings query")?;
        let rows = stmt
            .query_map(params![node.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, u8>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .ctx("querying earnings")?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, token, amount, decimals, ts) = row.ctx("reading earnings")?;
            let kind: EarningsKind = kind.parse().map_err(StoreError::InvalidRow)?;
            out.push((
                kind,
                money_from_row(&token, &amount, decimals)?,
                from_ms(ts),
            ));
        }
        Ok(out)
    }

    /// The history of one earnings figure of a node, oldest first.
    pub fn earnings_history(
        &self,
        node: &NodeId,
        kind: EarningsKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, Money)>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT observed_at, token, amount, decimals FROM earnings WHERE node = ?1 AND kind = ?2 AND observed_at >= ?3 AND observed_at < ?4 ORDER BY observed_at",
            )
            .ctx("preparing the earnings history query")?;
        let rows = stmt
            .query_map(
                params![node.to_string(), kind.as_str(), to_ms(from), to_ms(to)],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, u8>(3)?,
                    ))
                },
            )
            .ctx("querying earnings history")?;
        let mut out = Vec::new();
        for row in rows {
            let (ts, token, amount, decimals) = row.ctx("reading earnings history")?;
            out.push((from_ms(ts), money_from_row(&token, &amount, decimals)?));
        }
        Ok(out)
    }
}
