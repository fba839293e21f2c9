//! Payouts as events: stored once per key of the node's own record, listed by time.

use chrono::{DateTime, Utc};
use orcha_core::{NodeId, PayoutEvent, PayoutKind};
use rusqlite::params;

use crate::money_from_row;
use crate::{from_ms, to_ms, Context, Result, Store, StoreError};

/// One stored payout event of one node.
#[derive(Debug, Clone, PartialEq)]
pub struct PayoutRow {
    pub node: NodeId,
    pub event: PayoutEvent,
    pub detected_at: DateTime<Utc>,
}

impl Store {
    /// Stores the events not stored yet (by node and key) and returns those it added, so a
    /// caller can announce each payout once.
    pub fn record_payouts(
        &mut self,
        node: &NodeId,
        events: &[PayoutEvent],
        now: DateTime<Utc>,
    ) -> Result<Vec<PayoutEvent>> {
        let tx = self.conn.transaction().ctx("starting a payouts write")?;
        Self::ensure_node(&tx, node, to_ms(now))?;
        let mut added = Vec::new();
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO payouts (node, key, kind, token, amount, decimals, at, reference, detail, detected_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .ctx("preparing the payouts insert")?;
            for e in events {
                let n = stmt
                    .execute(params![
                        node.to_string(),
                        e.key,
                        e.kind.as_str(),
                        e.amount.token.as_str(),
                        e.amount.amount.to_string(),
                        e.amount.decimals,
                        to_ms(e.at),
                        e.reference,
                        e.detail,
                        to_ms(now)
                    ])
                    .ctx("inserting a payout")?;
                if n > 0 {
                    added.push(e.clone());
                }
            }
        }
        tx.commit().ctx("committing payouts")?;
        Ok(added)
    }

    /// Every node with an earnings figure or a payout, in id order.
    pub fn nodes_with_money(&self) -> Result<Vec<NodeId>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT node FROM earnings UNION SELECT node FROM payouts UNION SELECT node FROM earned_periods ORDER BY node",
            )
            .ctx("preparing the nodes query")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .ctx("querying nodes")?;
        let mut out = Vec::new();
        for row in rows {
            let id = row.ctx("reading nodes")?;
            out.push(
                id.parse()
                    .map_err(|e| StoreError::InvalidRow(format!("node `{id}`: {e}")))?,
            );
        }
        Ok(out)
    }

    /// Payout events with `from <= at < to`, oldest first.
    pub fn payouts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<PayoutRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT node, key, kind, token, amount, decimals, at, reference, detail, detected_at \
                 FROM payouts WHERE at >= ?1 AND at < ?2 ORDER BY at, node, key",
            )
            .ctx("preparing the payouts query")?;
        let rows = stmt
            .query_map(params![to_ms(from), to_ms(to)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, u8>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, i64>(9)?,
                ))
            })
            .ctx("querying payouts")?;
        let mut out = Vec::new();
        for row in rows {
            let (node, key, kind, token, amount, decimals, at, reference, detail, detected) =
                row.ctx("reading payouts")?;
            out.push(PayoutRow {
                node: node
                    .parse()
                    .map_err(|e| StoreError::InvalidRow(format!("payouts.node: {e}")))?,
                event: PayoutEvent {
                    key,
                    kind: kind.parse::<PayoutKind>().map_err(StoreError::InvalidRow)?,
                    amount: money_from_row(&token, &amount, decimals)?,
                    at: from_ms(at),
                    reference,
                    detail,
                },
                detected_at: from_ms(detected),
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

    fn event(key: &str, micro: i128) -> PayoutEvent {
        PayoutEvent {
            key: key.to_owned(),
            kind: PayoutKind::Payout,
            amount: Money::new(Token::Usd, micro, 6),
            at: Utc.with_ymd_and_hms(2021, 8, 1, 0, 0, 0).unwrap(),
            reference: Some("zksync:0xabc".to_owned()),
            detail: "paystub".to_owned(),
        }
    }

    #[test]
    fn a_payout_is_stored_once_and_read_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("o.db")).unwrap();
        let node: NodeId = "storj:main".parse().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let a = event("storj:sat:2021-07:distributed", 12_528_337);
        let added = s
            .record_payouts(&node, std::slice::from_ref(&a), now)
            .unwrap();
        assert_eq!(added.len(), 1);
        // The same record again, plus a new one: only the new one is added.
        let b = event("storj:sat:2021-08:distributed", 1);
        let added = s
            .record_payouts(&node, &[a.clone(), b.clone()], now)
            .unwrap();
        assert_eq!(added, vec![b]);
        let rows = s
            .payouts(now - chrono::Duration::days(20_000), now)
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].event, a);
        assert_eq!(rows[0].event.amount.to_decimal_string(), "12.528337");
        assert_eq!(rows[0].node, node);
    }
}
