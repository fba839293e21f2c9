//! The SQLite store: time series with rollups, exact earnings, decisions, alerts and the audit log.
//!
//! One `Store` owns one connection. Writes are batched in transactions; the database runs in WAL
//! mode with `synchronous = NORMAL`, so a committed transaction survives the process being killed.
//! An existing file that is not a SQLite database is refused and never touched.

mod forecasts;
mod migrations;

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use orcha_core::{EarningsData, EarningsKind, HealthStatus, Money, NodeId, Token};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

pub use forecasts::ForecastRow;
pub use migrations::MIGRATIONS;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path} is not a SQLite database ({reason}); it was left untouched: move it away or restore a backup")]
    NotADatabase { path: PathBuf, reason: String },
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

/// One resource measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub node: NodeId,
    pub metric: String,
    pub ts: DateTime<Utc>,
    pub value: f64,
}

/// Which table a time-series query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Raw,
    Minute,
    Hour,
}

impl Resolution {
    /// The coarsest resolution that still gives a chart a few hundred points over the range.
    pub fn for_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Resolution {
        let span = to - from;
        if span <= chrono::Duration::hours(6) {
            Resolution::Raw
        } else if span <= chrono::Duration::days(7) {
            Resolution::Minute
        } else {
            Resolution::Hour
        }
    }

    fn bucket_ms(self) -> i64 {
        match self {
            Resolution::Raw => 1,
            Resolution::Minute => 60_000,
            Resolution::Hour => 3_600_000,
        }
    }

    fn table(self) -> &'static str {
        match self {
            Resolution::Raw => "samples",
            Resolution::Minute => "samples_1m",
            Resolution::Hour => "samples_1h",
        }
    }
}

/// A point of a time series; for rollups, `value` is the bucket mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub ts: DateTime<Utc>,
    pub value: f64,
    pub min: f64,
    pub max: f64,
}

/// How long each resolution is kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub raw_days: u32,
    pub minute_days: u32,
    pub hour_days: u32,
}

/// What one rollup + retention pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub minute_buckets: usize,
    pub hour_buckets: usize,
    pub raw_deleted: usize,
    pub minute_deleted: usize,
    pub hour_deleted: usize,
}

/// One recorded price: fiat per whole unit of `asset`, as it was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRow {
    pub asset: String,
    pub fiat: String,
    pub value: String,
    pub source: String,
    pub observed_at: DateTime<Utc>,
}

/// A stored decision of one optimization cycle.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DecisionRow {
    pub id: i64,
    pub cycle: Option<i64>,
    pub created_at: i64,
    pub forecast_digest: Option<String>,
    pub proposed_plan: Option<String>,
    pub expected_gain: Option<String>,
    pub switching_cost: Option<String>,
    pub verdict: String,
    pub reason: String,
    pub applied_result: Option<String>,
    pub rollback: Option<String>,
}

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

#[derive(Debug, Clone, PartialEq)]
pub struct CycleStepRow {
    pub cycle: i64,
    pub step: String,
    pub status: String,
    pub detail: String,
    pub finished_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthRow {
    pub node: String,
    pub ts: i64,
    pub state: String,
    pub reasons: Vec<String>,
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

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        check_header(path)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Io {
                path: parent.to_owned(),
                reason: e.to_string(),
            })?;
        }
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
        let not_db = |e: rusqlite::Error| StoreError::NotADatabase {
            path: path.to_owned(),
            reason: e.to_string(),
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
        };
        store.migrate()?;
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

    /// Writes a batch of samples in one transaction; either all are stored or none.
    pub fn insert_samples(&mut self, samples: &[Sample]) -> Result<usize> {
        let tx = self.conn.transaction().ctx("starting a sample batch")?;
        {
            let mut last_node: Option<&NodeId> = None;
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO samples (node, metric, ts, value) VALUES (?1, ?2, ?3, ?4)",
                )
                .ctx("preparing the sample insert")?;
            for s in samples {
                if !s.value.is_finite() {
                    return Err(StoreError::InvalidRow(format!(
                        "sample {} {} is {}",
                        s.node, s.metric, s.value
                    )));
                }
                if last_node != Some(&s.node) {
                    Self::ensure_node(&tx, &s.node, to_ms(s.ts))?;
                    last_node = Some(&s.node);
                }
                stmt.execute(params![s.node.to_string(), s.metric, to_ms(s.ts), s.value])
                    .ctx("inserting a sample")?;
            }
        }
        tx.commit().ctx("committing a sample batch")?;
        Ok(samples.len())
    }

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

    pub fn count_config_audit(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT count(*) FROM config_audit", [], |r| r.get(0))
            .ctx("counting audit rows")
    }

    /// SQLite's own consistency check; `"ok"` when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .ctx("checking database integrity")
    }

    pub fn count_samples(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT count(*) FROM samples", [], |r| r.get(0))
            .ctx("counting samples")
    }

    /// A time series between `from` (inclusive) and `to` (exclusive) at the given resolution.
    pub fn samples(
        &self,
        node: &NodeId,
        metric: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        resolution: Resolution,
    ) -> Result<Vec<Point>> {
        let sql = match resolution {
            Resolution::Raw => "SELECT ts, value, value, value FROM samples WHERE node = ?1 AND metric = ?2 AND ts >= ?3 AND ts < ?4 ORDER BY ts",
            Resolution::Minute => "SELECT bucket, sum / count, min, max FROM samples_1m WHERE node = ?1 AND metric = ?2 AND bucket >= ?3 AND bucket < ?4 ORDER BY bucket",
            Resolution::Hour => "SELECT bucket, sum / count, min, max FROM samples_1h WHERE node = ?1 AND metric = ?2 AND bucket >= ?3 AND bucket < ?4 ORDER BY bucket",
        };
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .ctx("preparing the series query")?;
        let rows = stmt
            .query_map(
                params![node.to_string(), metric, to_ms(from), to_ms(to)],
                |r| {
                    Ok(Point {
                        ts: from_ms(r.get(0)?),
                        value: r.get(1)?,
                        min: r.get(2)?,
                        max: r.get(3)?,
                    })
                },
            )
            .ctx("querying a series")?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading a series")
    }

    /// Rolls complete minutes and hours of raw samples up, then deletes what is past retention.
    ///
    /// Raw samples are deleted only once both rollups cover them, so a rollup that fell behind
    /// never loses data.
    pub fn rollup_and_retain(
        &mut self,
        now: DateTime<Utc>,
        retention: Retention,
    ) -> Result<RetentionReport> {
        let now_ms = to_ms(now);
        let mut report = RetentionReport::default();
        let tx = self.conn.transaction().ctx("starting a rollup")?;
        let mut watermarks = Vec::new();
        for res in [Resolution::Minute, Resolution::Hour] {
            let b = res.bucket_ms();
            let upto = now_ms.div_euclid(b) * b;
            let from: i64 = match tx
                .query_row(
                    "SELECT upto FROM rollup_watermark WHERE resolution = ?1",
                    params![res.table()],
                    |r| r.get(0),
                )
                .optional()
                .ctx("reading a rollup watermark")?
            {
                Some(w) => w,
                None => tx
                    .query_row("SELECT min(ts) FROM samples", [], |r| {
                        r.get::<_, Option<i64>>(0)
                    })
                    .ctx("finding the oldest sample")?
                    .map(|m| m.div_euclid(b) * b)
                    .unwrap_or(upto),
            };
            if upto > from {
                let sql = format!(
                    "INSERT INTO {table} (node, metric, bucket, min, max, sum, count)
                     SELECT node, metric, (ts / {b}) * {b}, min(value), max(value), sum(value), count(*)
                     FROM samples WHERE ts >= ?1 AND ts < ?2 GROUP BY node, metric, ts / {b}
                     ON CONFLICT (node, metric, bucket) DO UPDATE SET
                       min = min(min, excluded.min), max = max(max, excluded.max),
                       sum = sum + excluded.sum, count = count + excluded.count",
                    table = res.table()
                );
                let n = tx
                    .execute(&sql, params![from, upto])
                    .ctx("rolling samples up")?;
                match res {
                    Resolution::Minute => report.minute_buckets = n,
                    _ => report.hour_buckets = n,
                }
                tx.execute(
                    "INSERT INTO rollup_watermark (resolution, upto) VALUES (?1, ?2) ON CONFLICT (resolution) DO UPDATE SET upto = excluded.upto",
                    params![res.table(), upto],
                )
                .ctx("moving a rollup watermark")?;
            }
            watermarks.push(upto.max(from));
        }
        let day = 86_400_000i64;
        let rolled = watermarks.into_iter().min().unwrap_or(0);
        let raw_cut = (now_ms - i64::from(retention.raw_days) * day).min(rolled);
        report.raw_deleted = tx
            .execute("DELETE FROM samples WHERE ts < ?1", params![raw_cut])
            .ctx("expiring raw samples")?;
        report.minute_deleted = tx
            .execute(
                "DELETE FROM samples_1m WHERE bucket < ?1",
                params![now_ms - i64::from(retention.minute_days) * day],
            )
            .ctx("expiring minute rollups")?;
        report.hour_deleted = tx
            .execute(
                "DELETE FROM samples_1h WHERE bucket < ?1",
                params![now_ms - i64::from(retention.hour_days) * day],
            )
            .ctx("expiring hour rollups")?;
        tx.commit().ctx("committing a rollup")?;
        Ok(report)
    }

    pub fn begin_cycle(&mut self, started_at: DateTime<Utc>) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO cycles (started_at) VALUES (?1)",
                params![to_ms(started_at)],
            )
            .ctx("starting a cycle")?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_cycle(&mut self, cycle: i64, at: DateTime<Utc>) -> Result<()> {
        self.conn
            .execute(
                "UPDATE cycles SET finished_at = ?2 WHERE id = ?1",
                params![cycle, to_ms(at)],
            )
            .ctx("finishing a cycle")?;
        Ok(())
    }

    pub fn record_cycle_step(&mut self, row: &CycleStepRow) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO cycle_steps (cycle, step, status, detail, finished_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row.cycle, row.step, row.status, row.detail, row.finished_at],
            )
            .ctx("recording a cycle step")?;
        Ok(())
    }

    pub fn cycle_steps(&self, cycle: i64) -> Result<Vec<CycleStepRow>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT cycle, step, status, detail, finished_at FROM cycle_steps WHERE cycle = ?1 ORDER BY rowid")
            .ctx("preparing the cycle step query")?;
        let rows = stmt
            .query_map(params![cycle], |r| {
                Ok(CycleStepRow {
                    cycle: r.get(0)?,
                    step: r.get(1)?,
                    status: r.get(2)?,
                    detail: r.get(3)?,
                    finished_at: r.get(4)?,
                })
            })
            .ctx("querying cycle steps")?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading cycle steps")
    }

    pub fn latest_cycle(&self) -> Result<Option<(i64, i64, Option<i64>)>> {
        self.conn
            .query_row(
                "SELECT id, started_at, finished_at FROM cycles ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .ctx("reading the latest cycle")
    }

    pub fn insert_decision(&mut self, d: &DecisionRow) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO decisions (cycle, created_at, forecast_digest, proposed_plan, expected_gain, switching_cost, verdict, reason, applied_result, rollback)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![d.cycle, d.created_at, d.forecast_digest, d.proposed_plan, d.expected_gain, d.switching_cost, d.verdict, d.reason, d.applied_result, d.rollback],
            )
            .ctx("inserting a decision")?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records what an apply did (and a rollback, if any) on an existing decision.
    pub fn update_decision_result(
        &mut self,
        id: i64,
        applied_result: Option<&str>,
        rollback: Option<&str>,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE decisions SET applied_result = ?2, rollback = ?3 WHERE id = ?1",
                params![id, applied_result, rollback],
            )
            .ctx("updating a decision")?;
        Ok(())
    }

    pub fn decisions(&self, limit: u32) -> Result<Vec<DecisionRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, cycle, created_at, forecast_digest, proposed_plan, expected_gain, switching_cost, verdict, reason, applied_result, rollback
                 FROM decisions ORDER BY id DESC LIMIT ?1",
            )
            .ctx("preparing the decisions query")?;
        let rows = stmt
            .query_map(params![limit], |r| {
                Ok(DecisionRow {
                    id: r.get(0)?,
                    cycle: r.get(1)?,
                    created_at: r.get(2)?,
                    forecast_digest: r.get(3)?,
                    proposed_plan: r.get(4)?,
                    expected_gain: r.get(5)?,
                    switching_cost: r.get(6)?,
                    verdict: r.get(7)?,
                    reason: r.get(8)?,
                    applied_result: r.get(9)?,
                    rollback: r.get(10)?,
                })
            })
            .ctx("querying decisions")?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading decisions")
    }

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

    pub fn insert_price(
        &mut self,
        token: Token,
        fiat: &str,
        value: &str,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO prices (token, fiat, value, source, observed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token.as_str(), fiat, value, source, to_ms(at)],
            )
            .ctx("inserting a price")?;
        Ok(())
    }

    /// Records a price used for a conversion, keyed by the priced asset's name (`glm`, `grass`,
    /// `points`, … — GRASS has no `Token`), unless the identical row is already there, so the
    /// price a figure was converted with can always be found again. Returns true when it
    /// inserted a row.
    pub fn record_price(
        &mut self,
        asset: &str,
        fiat: &str,
        value: &str,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "INSERT INTO prices (token, fiat, value, source, observed_at) SELECT ?1, ?2, ?3, ?4, ?5 \
                 WHERE NOT EXISTS (SELECT 1 FROM prices WHERE token = ?1 AND fiat = ?2 AND value = ?3 AND source = ?4 AND observed_at = ?5)",
                params![asset, fiat, value, source, to_ms(at)],
            )
            .ctx("recording a price")?;
        Ok(n > 0)
    }

    /// The recorded prices of one asset in one fiat, newest first, at most `limit`.
    pub fn price_rows(&self, asset: &str, fiat: &str, limit: u32) -> Result<Vec<PriceRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT token, fiat, value, source, observed_at FROM prices WHERE token = ?1 AND fiat = ?2 ORDER BY observed_at DESC, rowid DESC LIMIT ?3",
            )
            .ctx("preparing the price query")?;
        let rows = stmt
            .query_map(params![asset, fiat, limit], |r| {
                Ok(PriceRow {
                    asset: r.get(0)?,
                    fiat: r.get(1)?,
                    value: r.get(2)?,
                    source: r.get(3)?,
                    observed_at: from_ms(r.get(4)?),
                })
            })
            .ctx("querying prices")?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading prices")
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

/// Refuses a non-empty file that does not start with the SQLite header, before SQLite touches it.
fn check_header(path: &Path) -> Result<()> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(StoreError::Io {
                path: path.to_owned(),
                reason: e.to_string(),
            })
        }
    };
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => {
                return Err(StoreError::Io {
                    path: path.to_owned(),
                    reason: e.to_string(),
                })
            }
        }
    }
    if read == 0 {
        return Ok(());
    }
    if read < header.len() || &header != SQLITE_MAGIC {
        return Err(StoreError::NotADatabase {
            path: path.to_owned(),
            reason: "the file does not start with the SQLite header".to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
