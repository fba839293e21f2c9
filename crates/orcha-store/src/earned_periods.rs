//! Earned periods from the nodes' own records (the backfill), stored once per key.

use chrono::{DateTime, Utc};
use orcha_core::{EarnedPeriod, NodeId};
use rusqlite::params;

use crate::money_from_row;
use crate::{from_ms, to_ms, Context, Result, Store};

impl Store {
    /// Stores the periods not stored yet (by node and key); returns how many it added.
    pub fn record_earned_periods(
        &mut self,
        node: &NodeId,
        periods: &[EarnedPeriod],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let tx = self
            .conn
            .transaction()
            .ctx("starting an earned-periods write")?;
        Self::ensure_node(&tx, node, to_ms(now))?;
        let mut added = 0;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO earned_periods (node, key, start, end_at, token, amount, decimals, source, recorded_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .ctx("preparing the earned-periods insert")?;
            for p in periods {
                added += stmt
                    .execute(params![
                        node.to_string(),
                        p.key,
                        to_ms(p.start),
                        to_ms(p.end),
                        p.amount.token.as_str(),
                        p.amount.amount.to_string(),
                        p.amount.decimals,
                        p.source,
                        to_ms(now)
                    ])
                    .ctx("inserting an earned period")?;
            }
        }
        tx.commit().ctx("committing earned periods")?;
        Ok(added)
    }

    /// A node's earned periods, oldest first.
    pub fn earned_periods(&self, node: &NodeId) -> Result<Vec<EarnedPeriod>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT key, start, end_at, token, amount, decimals, source FROM earned_periods \
                 WHERE node = ?1 ORDER BY start, key",
            )
            .ctx("preparing the earned-periods query")?;
        let rows = stmt
            .query_map(params![node.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, u8>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .ctx("querying earned periods")?;
        let mut out = Vec::new();
        for row in rows {
            let (key, start, end, token, amount, decimals, source) =
                row.ctx("reading earned periods")?;
            out.push(EarnedPeriod {
                key,
                start: from_ms(start),
                end: from_ms(end),
                amount: money_from_row(&token, &amount, decimals)?,
                source,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use orcha_core::{Money, Token};

    #[test]
    fn a_period_is_stored_once_and_read_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("o.db")).unwrap();
        let node: NodeId = "storj:main".parse().unwrap();
        let p = EarnedPeriod {
            key: "storj:sat:2021-07".into(),
            start: Utc.with_ymd_and_hms(2021, 7, 1, 0, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2021, 8, 1, 0, 0, 0).unwrap(),
            amount: Money::new(Token::Usd, 8_024_729, 6),
            source: "paystub 2021-07 sat".into(),
        };
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            s.record_earned_periods(&node, std::slice::from_ref(&p), now)
                .unwrap(),
            1
        );
        assert_eq!(
            s.record_earned_periods(&node, std::slice::from_ref(&p), now)
                .unwrap(),
            0
        );
        assert_eq!(s.earned_periods(&node).unwrap(), vec![p]);
    }
}
