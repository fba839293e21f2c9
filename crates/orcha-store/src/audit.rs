//! The configuration audit log: every change with who made it, hash-chained so edits show.
//!
//! Each row's `hash` is SHA-256 over the previous row's hash and the row's own fields, so an
//! edited or deleted row inside the log breaks the chain at that row (`verify_audit_chain`).
//! Truncating the newest rows cannot be seen from the log alone; backups and the metric of the
//! row count are what show that.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::{from_ms, to_ms, Context, Result, Store};

/// One audited change, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who made the change: `desktop`, `api`, `cli`, `orchestrator`, …
    pub actor: String,
    pub key: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub hash: String,
}

/// What `verify_audit_chain` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditChain {
    /// Every row's hash matches; this many rows.
    Intact(u64),
    /// The first row whose hash does not match its content and predecessor.
    BrokenAt { id: i64 },
}

fn row_hash(
    prev: &str,
    id: i64,
    at_ms: i64,
    actor: &str,
    key: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields, and a distinct marker for "no value", so no two different rows
    // serialize to the same bytes.
    let field = |h: &mut Sha256, v: Option<&[u8]>| match v {
        Some(b) => {
            h.update((b.len() as u64).to_be_bytes());
            h.update(b);
        }
        None => h.update(u64::MAX.to_be_bytes()),
    };
    field(&mut h, Some(prev.as_bytes()));
    h.update(id.to_be_bytes());
    h.update(at_ms.to_be_bytes());
    field(&mut h, Some(actor.as_bytes()));
    field(&mut h, Some(key.as_bytes()));
    field(&mut h, old.map(str::as_bytes));
    field(&mut h, new.map(str::as_bytes));
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

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
        let tx = self
            .conn
            .transaction()
            .ctx("writing the config audit log")?;
        let prev: String = tx
            .query_row(
                "SELECT hash FROM config_audit ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .ctx("reading the audit chain")?
            .flatten()
            .unwrap_or_default();
        tx.execute(
            "INSERT INTO config_audit (at, actor, key, old_value, new_value) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![to_ms(at), actor, key, old, new],
        )
        .ctx("writing the config audit log")?;
        let id = tx.last_insert_rowid();
        let hash = row_hash(&prev, id, to_ms(at), actor, key, old, new);
        tx.execute(
            "UPDATE config_audit SET hash = ?1 WHERE id = ?2",
            params![hash, id],
        )
        .ctx("sealing the audit row")?;
        tx.commit().ctx("writing the config audit log")
    }

    /// Hashes rows written before the log was chained (schema version 2 and older), in order.
    pub(crate) fn seal_unhashed_audit_rows(&mut self) -> Result<()> {
        let tx = self.conn.transaction().ctx("sealing the audit log")?;
        let unsealed: i64 = tx
            .query_row(
                "SELECT count(*) FROM config_audit WHERE hash IS NULL",
                [],
                |r| r.get(0),
            )
            .ctx("sealing the audit log")?;
        if unsealed == 0 {
            return Ok(());
        }
        let rows = read_rows(&tx, i64::MAX, None)?;
        let mut prev = String::new();
        for r in rows.iter().rev() {
            let hash = if r.hash.is_empty() {
                let h = row_hash(
                    &prev,
                    r.id,
                    to_ms(r.at),
                    &r.actor,
                    &r.key,
                    r.old_value.as_deref(),
                    r.new_value.as_deref(),
                );
                tx.execute(
                    "UPDATE config_audit SET hash = ?1 WHERE id = ?2",
                    params![h, r.id],
                )
                .ctx("sealing the audit log")?;
                h
            } else {
                r.hash.clone()
            };
            prev = hash;
        }
        tx.commit().ctx("sealing the audit log")
    }

    /// Recomputes every row's hash from its content and its predecessor.
    pub fn verify_audit_chain(&self) -> Result<AuditChain> {
        let rows = read_rows(&self.conn, i64::MAX, None)?;
        let mut prev = String::new();
        for r in rows.iter().rev() {
            let want = row_hash(
                &prev,
                r.id,
                to_ms(r.at),
                &r.actor,
                &r.key,
                r.old_value.as_deref(),
                r.new_value.as_deref(),
            );
            if want != r.hash {
                return Ok(AuditChain::BrokenAt { id: r.id });
            }
            prev = want;
        }
        Ok(AuditChain::Intact(rows.len() as u64))
    }

    /// The newest `limit` rows, newest first; `before` pages back from a row id.
    pub fn audit_log(&self, limit: i64, before: Option<i64>) -> Result<Vec<AuditRow>> {
        read_rows(&self.conn, limit, before)
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

fn read_rows(
    conn: &rusqlite::Connection,
    limit: i64,
    before: Option<i64>,
) -> Result<Vec<AuditRow>> {
    let mut stmt = conn
        .prepare(
            "SELECT id, at, actor, key, old_value, new_value, hash FROM config_audit \
             WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
        )
        .ctx("reading the config audit log")?;
    let rows = stmt
        .query_map(params![before.unwrap_or(i64::MAX), limit.max(0)], |r| {
            Ok(AuditRow {
                id: r.get(0)?,
                at: from_ms(r.get(1)?),
                actor: r.get(2)?,
                key: r.get(3)?,
                old_value: r.get(4)?,
                new_value: r.get(5)?,
                hash: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            })
        })
        .ctx("reading the config audit log")?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .ctx("reading the config audit log")
}
