//! Optional encryption at rest: the SQLCipher key, telling an encrypted file from a plain one,
//! and converting a database between the two (`orcha db encrypt|decrypt`).
//!
//! The key is 32 random bytes handed to SQLCipher as a raw key (`x'…'`), so opening skips the
//! passphrase KDF. A plain SQLite file starts with "SQLite format 3\0"; an SQLCipher file starts
//! with its random salt, so the header alone says whether a key is needed. A conversion copies
//! with `sqlcipher_export` into a new file in the same directory inside one read transaction,
//! checks the copy (integrity and every table's row count), keeps the old file aside and renames
//! the new one into place, so a failure at any point leaves the database as it was.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::{make_private_file, Context, Result, Store, StoreError, SQLITE_MAGIC};

/// A database key. Never printed (its `Debug` is redacted) and wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct DbKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(<redacted>)")
    }
}

/// A stored key that is not 64 hex digits; the message never shows the value.
#[derive(Debug, thiserror::Error)]
#[error("the stored database key is not 64 hex digits")]
pub struct BadKey;

impl DbKey {
    /// 32 bytes from the OS random source.
    pub fn generate() -> std::io::Result<DbKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut()).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(DbKey(key))
    }

    /// The form it is stored in (keyring, credentials file): 64 lowercase hex digits.
    pub fn to_hex(&self) -> Zeroizing<String> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = Zeroizing::new(String::with_capacity(64));
        for b in self.0.iter() {
            s.push(HEX[usize::from(b >> 4)] as char);
            s.push(HEX[usize::from(b & 0xf)] as char);
        }
        s
    }

    pub fn from_hex(text: &str) -> std::result::Result<DbKey, BadKey> {
        let text = text.trim().as_bytes();
        if text.len() != 64 {
            return Err(BadKey);
        }
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8).ok_or(BadKey);
        let mut key = Zeroizing::new([0u8; 32]);
        for (i, pair) in text.chunks_exact(2).enumerate() {
            key[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
        }
        Ok(DbKey(key))
    }

    /// SQLCipher's raw-key literal, `x'<hex>'`, as the value of `PRAGMA key` or `ATTACH … KEY`.
    fn raw_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", self.to_hex().as_str()))
    }
}

/// What the first bytes of a database file say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Missing or empty: a new database is made.
    New,
    /// Starts with the SQLite header.
    Plain,
    /// Anything else: SQLCipher (or not a database at all).
    NotPlain,
    /// Shorter than a header.
    Truncated,
}

/// Reads the first 16 bytes of `path`.
pub fn file_kind(path: &Path) -> Result<FileKind> {
    let io = |e: std::io::Error| StoreError::Io {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::New),
        Err(e) => return Err(io(e)),
    };
    let mut header = Vec::with_capacity(16);
    file.take(16).read_to_end(&mut header).map_err(io)?;
    Ok(match header.len() {
        0 => FileKind::New,
        n if n < 16 => FileKind::Truncated,
        _ if header == SQLITE_MAGIC => FileKind::Plain,
        _ => FileKind::NotPlain,
    })
}

/// Is the database at `path` encrypted (it exists and does not start with the SQLite header)?
/// The front doors ask this to decide whether to fetch the key; the file is the only record.
pub fn is_encrypted(path: &Path) -> Result<bool> {
    Ok(file_kind(path)? == FileKind::NotPlain)
}

/// Applies `key` to a fresh connection; must be its first statement.
pub(crate) fn apply_key(conn: &rusqlite::Connection, key: &DbKey) -> Result<()> {
    // SQLCipher's own log would print "error decrypting page 1" on stderr, outside Orcha's
    // logs, for a wrong key that `StoreError::KeyMissingOrWrong` already reports.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")
        .ctx("quieting SQLCipher's log")?;
    // Built here, not by `pragma_update`, so the only copy of the SQL text is wiped after use.
    let sql = Zeroizing::new(format!("PRAGMA key = \"{}\";", key.raw_literal().as_str()));
    conn.execute_batch(&sql).ctx("applying the database key")
}

/// What a conversion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// The previous file, kept beside the database.
    pub set_aside: PathBuf,
    /// Rows per table, the same before and after.
    pub rows: BTreeMap<String, i64>,
}

impl Store {
    /// This database's key, `None` when it is plain.
    pub fn is_encrypted(&self) -> bool {
        self.key.is_some()
    }

    /// Another connection to the same database, with the same key (scheduled backups copy
    /// through their own connection so the application's is not held for the whole copy).
    pub fn reopen(&self) -> Result<Store> {
        Store::open_with_key(&self.path, self.key.as_ref())
    }

    /// Rows in every table, for checking a copy.
    pub fn row_counts(&self) -> Result<BTreeMap<String, i64>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .ctx("listing tables")?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .ctx("listing tables")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx("listing tables")?;
        let mut counts = BTreeMap::new();
        for name in names {
            let n: i64 = self
                .conn
                .query_row(
                    &format!("SELECT count(*) FROM \"{}\"", name.replace('"', "\"\"")),
                    [],
                    |r| r.get(0),
                )
                .ctx("counting rows")?;
            counts.insert(name, n);
        }
        Ok(counts)
    }

    fn schema_version_raw(&self) -> rusqlite::Result<i64> {
        self.conn
            .query_row("PRAGMA main.user_version", [], |r| r.get(0))
    }

    /// Copies the whole database into the new file `dst`, encrypted with `dst_key` or plain, as
    /// of one moment (a single read transaction, so a concurrent writer cannot tear the copy).
    /// `dst` must not exist; it is created 0600. Schema version and application id come along.
    pub fn export_to(&self, dst: &Path, dst_key: Option<&DbKey>) -> Result<()> {
        if dst.exists() {
            return Err(StoreError::Io {
                path: dst.to_owned(),
                reason: "already exists; an export never overwrites a file".to_owned(),
            });
        }
        make_private_file(dst).map_err(|e| StoreError::Io {
            path: dst.to_owned(),
            reason: e.to_string(),
        })?;
        let key = match dst_key {
            Some(k) => k.raw_literal(),
            // An empty key attaches a plain database.
            None => Zeroizing::new(String::new()),
        };
        let target = dst.to_string_lossy().into_owned();
        self.conn
            .execute(
                "ATTACH DATABASE ?1 AS export KEY ?2",
                rusqlite::params![target, key.as_str()],
            )
            .ctx("attaching the export target")?;
        // The schema version is copied by hand: `sqlcipher_export` run inside a transaction
        // leaves the target's `user_version` at 0, which would re-run every migration.
        let copied = self
            .conn
            .execute_batch("BEGIN; SELECT sqlcipher_export('export');")
            .and_then(|()| self.schema_version_raw())
            .and_then(|v| {
                self.conn
                    .execute_batch(&format!("PRAGMA export.user_version = {v}; COMMIT;"))
            })
            .ctx("exporting the database");
        if copied.is_err() {
            let _ = self.conn.execute_batch("ROLLBACK;");
        }
        let detached = self
            .conn
            .execute_batch("DETACH DATABASE export;")
            .ctx("detaching the export target");
        copied?;
        detached?;
        std::fs::File::open(dst)
            .and_then(|f| f.sync_all())
            .map_err(|e| StoreError::Io {
                path: dst.to_owned(),
                reason: e.to_string(),
            })
    }
}

/// Converts the database at `db` from `from` (its current key, `None` when plain) to `to`.
/// The old file is kept as `<db>.<aside_suffix>`; until the final rename nothing at `db` changes,
/// and a copy that does not check out is deleted. The caller holds the data-dir lock.
pub fn convert(
    db: &Path,
    from: Option<&DbKey>,
    to: Option<&DbKey>,
    aside_suffix: &str,
) -> Result<Converted> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |e: std::io::Error| StoreError::Io {
            path: path.clone(),
            reason: e.to_string(),
        }
    };
    let fresh = PathBuf::from(format!("{}.new-{aside_suffix}", db.display()));
    let rows = {
        let source = Store::open_with_key(db, from)?;
        let rows = source.row_counts()?;
        source.export_to(&fresh, to).inspect_err(|_| {
            let _ = std::fs::remove_file(&fresh);
        })?;
        // Fold the WAL into the old file, so the file kept aside is complete on its own.
        source
            .conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .ctx("checkpointing the old database")?;
        rows
    };
    let checked = (|| -> Result<()> {
        let copy = Store::open_with_key(&fresh, to)?;
        let check = copy.integrity_check()?;
        if check != "ok" {
            return Err(StoreError::InvalidRow(format!(
                "the converted copy fails its integrity check: {check}"
            )));
        }
        let copied = copy.row_counts()?;
        if copied != rows {
            return Err(StoreError::InvalidRow(format!(
                "the converted copy has other row counts ({copied:?}) than the original ({rows:?})"
            )));
        }
        copy.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .ctx("checkpointing the converted copy")
    })();
    if let Err(e) = checked {
        remove_with_sidecars(&fresh);
        return Err(e);
    }
    std::fs::File::open(&fresh)
        .and_then(|f| f.sync_all())
        .map_err(io(&fresh))?;
    let set_aside = PathBuf::from(format!("{}.{aside_suffix}", db.display()));
    std::fs::rename(db, &set_aside).map_err(io(db))?;
    for ext in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{ext}", db.display()));
        if side.exists() {
            let aside = PathBuf::from(format!("{}.{aside_suffix}{ext}", db.display()));
            std::fs::rename(&side, aside).map_err(io(&side))?;
        }
    }
    std::fs::rename(&fresh, db).map_err(io(db))?;
    remove_with_sidecars(&fresh);
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The renames are durable only once the directory is.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(Converted { set_aside, rows })
}

fn remove_with_sidecars(path: &Path) {
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
}
