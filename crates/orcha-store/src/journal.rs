//! The apply journal: one row per apply, opened before any node changes and closed after.

use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::{from_ms, to_ms, Context, Result, Store};

/// One apply as journaled; `plan` and `previous` are JSON objects keyed by node id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    pub id: i64,
    pub decision_id: Option<i64>,
    pub actor: String,
    pub plan: String,
    pub previous: String,
    pub state: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub detail: Option<String>,
}

impl Store {
    /// Opens a journal row in state `started`; returns its id.
    pub fn journal_begin(
        &mut self,
        at: DateTime<Utc>,
        decision_id: Option<i64>,
        actor: &str,
        plan: &str,
        previous: &str,
    ) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO apply_journal (decision_id, actor, plan, previous, state, started_at)
                 VALUES (?1, ?2, ?3, ?4, 'started', ?5)",
                params![decision_id, actor, plan, previous, to_ms(at)],
            )
            .ctx("opening an apply journal row")?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Closes a journal row with its final state (`done`, `rolled_back`, `reconciled`).
    pub fn journal_finish(
        &mut self,
        id: i64,
        state: &str,
        at: DateTime<Utc>,
        detail: &str,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE apply_journal SET state = ?2, finished_at = ?3, detail = ?4 WHERE id = ?1",
                params![id, state, to_ms(at), detail],
            )
            .ctx("closing an apply journal row")?;
        Ok(())
    }

    /// Journal rows, newest first; only those in `state` when given.
    pub fn journal(&self, state: Option<&str>, limit: i64) -> Result<Vec<JournalRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, decision_id, actor, plan, previous, state, started_at, finished_at, detail
                 FROM apply_journal WHERE (?1 IS NULL OR state = ?1) ORDER BY id DESC LIMIT ?2",
            )
            .ctx("preparing the journal query")?;
        let rows = stmt
            .query_map(params![state, limit], |r| {
                Ok(JournalRow {
                    id: r.get(0)?,
                    decision_id: r.get(1)?,
                    actor: r.get(2)?,
                    plan: r.get(3)?,
                    previous: r.get(4)?,
                    state: r.get(5)?,
                    started_at: from_ms(r.get(6)?),
                    finished_at: r.get::<_, Option<i64>>(7)?.map(from_ms),
                    detail: r.get(8)?,
                })
            })
            .ctx("querying the journal")?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading the journal")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn begin_finish_and_query_by_state() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("o.db")).unwrap();
        let at = from_ms(1_700_000_000_000);
        let a = s.journal_begin(at, Some(3), "api", "{}", "{}").unwrap();
        let b = s
            .journal_begin(at, None, "orchestrator", "{}", "{}")
            .unwrap();
        s.journal_finish(a, "done", at, "applied").unwrap();
        let open = s.journal(Some("started"), 10).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].id, b);
        assert_eq!(s.journal(None, 10).unwrap().len(), 2);
        assert_eq!(
            s.journal(Some("done"), 10).unwrap()[0].detail.as_deref(),
            Some("applied")
        );
    }
}
