//! The SQLite store: time series with rollups, exact earnings, decisions, alerts and the audit log.
//!
//! One `Store` owns one connection. Writes are batched in transactions; the database runs in WAL
//! mode with `synchronous = NORMAL`, so a committed transaction survives the process being killed.
//! An existing file that is not a SQLite database is refused and never touched. The file may be
//! encrypted with SQLCipher (`cipher`); it then opens only with its key.
//!
//! This file opens the database and migrates it; each table family has its own `impl Store`
//! module, and every public type is re-exported here.

mod alerts;
mod audit;
pub mod backup;
pub mod cipher;
mod cycles;
mod earned_periods;
mod earnings;
mod forecasts;
mod health;
mod journal;
pub mod lock;
mod migrations;
mod payouts;
mod prices;
mod samples;

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use orcha_core::{Money, NodeId, Token};
use rusqlite::{params, Connection, OpenFlags};

pub use alerts::AlertRow;
pub use audit::{AuditChain, AuditRow};
pub use cipher::DbKey;
pub use cycles::{CycleStepRow, DecisionRow};
pub use forecasts::{ForecastRow, ForecastRun};
pub use health::HealthRow;
pub use journal::JournalRow;
pub use lock::{DataDirLock, LockError};
pub use migrations::MIGRATIONS;
pub use payouts::PayoutRow;
pub use prices::PriceRow;
pub use samples::{Point, Resolution, Retention, RetentionReport, Sample};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path} is not a SQLite database ({reason}); it was left untouched: move it away or restore a backup")]
    NotADatabase { path: PathBuf, reason: String },
    #[error("database {path} is encrypted or not a SQLite database: the key in the keyring (`db:key`) is missing or wrong; it was left untouched")]
    KeyMissingOrWrong { path: PathBuf },
    #[error("database {path} is not encrypted; it opens without a key")]
    NotEncrypted { path: PathBuf },
    #[error("{path} has schema version {found}, newer than this Orcha supports ({supported}); upgrade Orcha")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("database error while {context}: {source}")]
    Sqlite {
        context: &'static str,
        source: rusqlite::Error,
    },
    #[error("cannot open {path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("stored row is invalid: {0}")]
    InvalidRow(String),
}

type Result<T> = std::result::Result<T, StoreError>;

trait Context<T> {
    fn ctx(self, context: &'static str) -> Result<T>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Sqlite { context, source })
    }
}

pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Creates missing directories as 0700: the history shows what the machine earns and runs, and
/// Orcha often runs as root. Existing directories are left as the operator made them.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// The database file is 0600 whether Orcha creates it or finds it (SQLite gives its `-wal` and
/// `-shm` files the database file's mode). A file owned by somebody else is left alone.
fn make_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    match std::fs::metadata(path) {
        Ok(meta) => {
            let mine = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
            if meta.mode() & 0o077 != 0 && mine == Some(meta.uid()) {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map(drop),
        Err(e) => Err(e),
    }
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    key: Option<DbKey>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the plain database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with_key(path, None)
    }

    /// Opens (or creates) the database at `path`, encrypted with `key` when given, and brings its
    /// schema up to date. A file that needs a key and gets none, or the wrong one, is refused
    /// with [`StoreError::KeyMissingOrWrong`] naming it, and left as it was.
    pub fn open_with_key(path: &Path, key: Option<&DbKey>) -> Result<Store> {
        match (cipher::file_kind(path)?, key) {
            (cipher::FileKind::NotPlain, None) => {
                return Err(StoreError::KeyMissingOrWrong {
                    path: path.to_owned(),
                })
            }
            (cipher::FileKind::Plain, Some(_)) => {
                return Err(StoreError::NotEncrypted {
                    path: path.to_owned(),
                })
            }
            (cipher::FileKind::Truncated, _) => {
                return Err(StoreError::NotADatabase {
                    path: path.to_owned(),
                    reason: "the file does not start with the SQLite header".to_owned(),
                })
            }
            _ => {}
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent).map_err(|e| StoreError::Io {
                path: parent.to_owned(),
                reason: e.to_string(),
            })?;
        }
        make_private_file(path).map_err(|e| StoreError::Io {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::Io {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        if let Some(key) = key {
            cipher::apply_key(&conn, key)?;
        }
        let not_db = |e: rusqlite::Error| match key {
            // SQLCipher cannot tell a wrong key from a file that is not a database.
            Some(_) => StoreError::KeyMissingOrWrong {
                path: path.to_owned(),
            },
            None => StoreError::NotADatabase {
                path: path.to_owned(),
                reason: e.to_string(),
            },
        };
        // The first statement that reads the file is where SQLite notices corruption; map it to
        // the clear error instead of a generic one.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(not_db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .ctx("setting the busy timeout")?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .ctx("enabling WAL")?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                mode,
                "SQLite refused WAL mode; durability relies on the rollback journal."
            );
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .ctx("setting pragmas")?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
            key: key.cloned(),
        };
        store.migrate()?;
        store.seal_unhashed_audit_rows()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .ctx("reading the schema version")
    }

    fn migrate(&mut self) -> Result<()> {
        let current = self.schema_version()?;
        let supported = MIGRATIONS.len() as i64;
        if current > supported {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: current,
                supported,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let tx = self.conn.transaction().ctx("starting a migration")?;
            tx.execute_batch(sql).ctx("applying a migration")?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .ctx("recording the schema version")?;
            tx.commit().ctx("committing a migration")?;
            tracing::info!(version = i + 1, "Applied database migration.");
        }
        Ok(())
    }

    /// Is the database writable right now (for `/health/ready`)?
    pub fn check_writable(&self) -> Result<()> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
            .ctx("checking that the database is writable")
    }

    fn ensure_node(tx: &rusqlite::Transaction<'_>, node: &NodeId, ts: i64) -> Result<()> {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO nodes (id, protocol, first_seen) VALUES (?1, ?2, ?3)",
        )
        .and_then(|mut s| s.execute(params![node.to_string(), node.protocol().as_str(), ts]))
        .ctx("registering a node")?;
        Ok(())
    }

    /// Every node that ever reported, as stored ids.
    pub fn nodes(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM nodes ORDER BY id")
            .ctx("listing nodes")?;
        let rows = stmt.query_map([], |r| r.get(0)).ctx("listing nodes")?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .ctx("listing nodes")
    }

    /// SQLite's own consistency check; `"ok"` when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .ctx("checking database integrity")
    }
}

/// Rebuilds an exact amount from the `earnings` columns, refusing a row that does not parse.
fn money_from_row(token: &str, amount: &str, decimals: u8) -> Result<Money> {
    let token: Token = token
        .parse()
        .map_err(|e: orcha_core::MoneyError| StoreError::InvalidRow(e.to_string()))?;
    let amount: i128 = amount
        .parse()
        .map_err(|_| StoreError::InvalidRow(format!("earnings amount `{amount}`")))?;
    Ok(Money::new(token, amount, decimals))
}

#[cfg(test)]
mod tests;
