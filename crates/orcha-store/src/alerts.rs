//! Alerts: opened once per rule and node, cleared, acknowledged.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use crate::{to_ms, Context, Result, Store};

#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub id: i64,
    pub node: Option<String>,
    pub rule: String,
    pub severity: String,
    pub message: String,
    pub opened_at: i64,
    pub cleared_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
}

impl Store {
    /// Opens an alert unless the same rule is already open for the same node; returns the id of
    /// the new alert, or `None` when it was a duplicate.
    pub fn open_alert(
        &mut self,
        node: Option<&str>,
        rule: &str,
        severity: &str,
        message: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let tx = self.conn.transaction().ctx("starting an alert write")?;
        let open: Option<i64> = tx
            .query_row(
                "SELECT id FROM alerts WHERE rule = ?1 AND node IS ?2 AND cleared_at IS NULL",
                params![rule, node],
                |r| r.get(0),
            )
            .optional()
            .ctx("looking for an open alert")?;
        if open.is_some() {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO alerts (node, rule, severity, message, opened_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![node, rule, severity, message, to_ms(at)],
        )
        .ctx("inserting an alert")?;
        let id = tx.last_insert_rowid();
        tx.commit().ctx("committing an alert")?;
        Ok(Some(id))
    }

    /// Clears the open alert of a rule and node; returns its id if one was open.
    pub fn clear_alert(
        &mut self,
        node: Option<&str>,
        rule: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "UPDATE alerts SET cleared_at = ?3 WHERE rule = ?1 AND node IS ?2 AND cleared_at IS NULL RETURNING id",
                params![rule, node, to_ms(at)],
                |r| r.get(0),
            )
            .optional()
            .ctx("clearing an alert")?;
        Ok(id)
    }

    pub fn acknowledge_alert(&mut self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "UPDATE alerts SET acknowledged_at = ?2 WHERE id = ?1 AND acknowledged_at IS NULL",
                params![id, to_ms(at)],
            )
            .ctx("acknowledging an alert")?;
        Ok(n == 1)
    }

    pub fn alerts(&self, include_cleared: bool, limit: u32) -> Result<Vec<AlertRow>> {
        let sql = if include_cleared {
            "SELECT id, node, rule, severity, message, opened_at, cleared_at, acknowledged_at FROM alerts ORDER BY id DESC LIMIT ?1"
        } else {
            "SELECT id, node, rule, severity, message, opened_at, cleared_at, acknowledged_at FROM alerts WHERE cleared_at IS NULL ORDER BY id DESC LIMIT ?1"
        };
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .ctx("preparing the alerts query")?;
        let rows = stmt
            .query_map(params![limit], |r| {
                Ok(AlertRow {
                    id: r.get(0)?,
                    node: r.get(1)?,
                    rule: r.get(2)?,
                    severity: r.get(3)?,
                    message: r.get(4)?,
                    opened_at: r.get(5)?,
                    cleared_at: r.get(6)?,
                    acknowledged_at: r.get(7)?,
                })
            })
            .ctx("querying alerts")?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading alerts")
    }
}
