//! Node health over time: each poll's state and the reasons behind it.

use chrono::{DateTime, Utc};
use orcha_core::NodeId;
use rusqlite::{params, OptionalExtension};

use crate::{to_ms, Context, Result, Store};
use orcha_core::HealthStatus;

#[derive(Debug, Clone, PartialEq)]
pub struct HealthRow {
    pub node: String,
    pub ts: i64,
    pub state: String,
    pub reasons: Vec<String>,
}

impl Store {
    pub fn record_health(
        &mut self,
        node: &NodeId,
        ts: DateTime<Utc>,
        status: &HealthStatus,
    ) -> Result<()> {
        let tx = self.conn.transaction().ctx("starting a health write")?;
        Self::ensure_node(&tx, node, to_ms(ts))?;
        let reasons = serde_json::to_string(&status.reasons()).unwrap_or_else(|_| "[]".to_owned());
        tx.execute(
            "INSERT INTO health (node, ts, state, reasons) VALUES (?1, ?2, ?3, ?4)",
            params![node.to_string(), to_ms(ts), status.state_name(), reasons],
        )
        .ctx("inserting health")?;
        tx.commit().ctx("committing health")
    }

    pub fn latest_health(&self, node: &NodeId) -> Result<Option<HealthRow>> {
        self.conn
            .query_row(
                "SELECT node, ts, state, reasons FROM health WHERE node = ?1 ORDER BY ts DESC, rowid DESC LIMIT 1",
                params![node.to_string()],
                |r| {
                    let reasons: String = r.get(3)?;
                    Ok(HealthRow {
                        node: r.get(0)?,
                        ts: r.get(1)?,
                        state: r.get(2)?,
                        reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                    })
                },
            )
            .optional()
            .ctx("reading the latest health")
    }
}
