//! The configuration audit log: every setting change, and the newest value of switched keys.

use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::{to_ms, Context, Result, Store};

impl Store {
    pub fn count_config_audit(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT count(*) FROM config_audit", [], |r| r.get(0))
            .ctx("counting audit rows")
    }

    pub fn audit_config(
        &mut self,
        at: DateTime<Utc>,
        actor: &str,
        key: &str,
        old: Option<&str>,
        new: Option<&str>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO config_audit (at, actor, key, old_value, new_value) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![to_ms(at), actor, key, old, new],
            )
            .ctx("writing the config audit log")?;
        Ok(())
    }

    /// The newest audited value of every key starting with `prefix`, so switches the operator
    /// flipped at run time (pause, per-node auto-apply) survive a restart of the app.
    pub fn latest_audited(&self, prefix: &str) -> Result<Vec<(String, Option<String>)>> {
        // `LIKE` would treat `_` and `%` in keys as wildcards; compare the prefix literally.
        let mut stmt = self
            .conn
            .prepare(
                "SELECT key, new_value FROM config_audit a \
                 WHERE substr(key, 1, length(?1)) = ?1 \
                 AND id = (SELECT MAX(id) FROM config_audit b WHERE b.key = a.key) \
                 ORDER BY key",
            )
            .ctx("querying the config audit log")?;
        let rows = stmt
            .query_map(params![prefix], |r| Ok((r.get(0)?, r.get(1)?)))
            .ctx("querying the config audit log")?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading the config audit log")
    }
}
