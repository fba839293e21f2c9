//! Resource samples and their 1-minute and 1-hour rollups, with retention per resolution.

use chrono::{DateTime, Utc};
use orcha_core::NodeId;
use rusqlite::{params, OptionalExtension};

use crate::{from_ms, to_ms, Context, Result, Store, StoreError};

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

impl Store {
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

    /// Rolls raw samples up into minutes and hours, then deletes what is past retention.
    ///
    /// Both halves are built to survive jumps of the wall clock:
    /// - What has been rolled is tracked by row id, not by time: every sample is rolled exactly
    ///   once, in the pass after it was written, whatever its timestamp. A sample written after
    ///   the clock went back (older than the last rolled minute) is still rolled; buckets are
    ///   merged (sum, count, min, max), so a bucket rolled in two parts is still exact.
    /// - Retention counts from the newest stored sample when the clock is ahead of it, so a jump
    ///   forward (or a long stop) does not age out data no newer reading has replaced; and the
    ///   point it counts from moves at most six hours per pass, so readings taken under a clock
    ///   that leapt months ahead cannot empty the store at once.
    /// - Raw samples are deleted only once rolled, and the newest row always stays, so SQLite
    ///   never reuses a row id below the rolled mark.
    pub fn rollup_and_retain(
        &mut self,
        now: DateTime<Utc>,
        retention: Retention,
    ) -> Result<RetentionReport> {
        let mut report = RetentionReport::default();
        let tx = self.conn.transaction().ctx("starting a rollup")?;
        let rolled = rolled_rowid(&tx)?;
        let newest_row: i64 = tx
            .query_row("SELECT coalesce(max(rowid), 0) FROM samples", [], |r| {
                r.get(0)
            })
            .ctx("finding the newest sample")?;
        if newest_row > rolled {
            for res in [Resolution::Minute, Resolution::Hour] {
                let b = res.bucket_ms();
                let sql = format!(
                    "INSERT INTO {table} (node, metric, bucket, min, max, sum, count)
                     SELECT node, metric, (ts / {b}) * {b}, min(value), max(value), sum(value), count(*)
                     FROM samples WHERE rowid > ?1 AND rowid <= ?2 GROUP BY node, metric, ts / {b}
                     ON CONFLICT (node, metric, bucket) DO UPDATE SET
                       min = min(min, excluded.min), max = max(max, excluded.max),
                       sum = sum + excluded.sum, count = count + excluded.count",
                    table = res.table()
                );
                let n = tx
                    .execute(&sql, params![rolled, newest_row])
                    .ctx("rolling samples up")?;
                match res {
                    Resolution::Minute => report.minute_buckets = n,
                    _ => report.hour_buckets = n,
                }
            }
            tx.execute(
                "INSERT INTO rollup_watermark (resolution, upto) VALUES (?1, ?2) ON CONFLICT (resolution) DO UPDATE SET upto = excluded.upto",
                params![ROLLED_ROWID, newest_row],
            )
            .ctx("moving the rollup mark")?;
        }
        let newest_ts: Option<i64> = tx
            .query_row("SELECT max(ts) FROM samples", [], |r| r.get(0))
            .ctx("finding the newest sample time")?;
        // A clock ahead of every stored sample is not trusted to age data out; and however far
        // the clock (and the samples taken under it) leapt, the point retention counts from moves
        // at most `MAX_RETENTION_STEP` per pass, so a jump of months cannot empty the store in
        // one pass while a real gap (the app was off) is caught up within a few.
        let mut reference = newest_ts.map_or(to_ms(now), |t| t.min(to_ms(now)));
        let last: Option<i64> = tx
            .query_row(
                "SELECT upto FROM rollup_watermark WHERE resolution = ?1",
                params![RETENTION_REFERENCE],
                |r| r.get(0),
            )
            .optional()
            .ctx("reading the retention reference")?;
        if let Some(last) = last {
            reference = reference.min(last + MAX_RETENTION_STEP_MS);
        }
        tx.execute(
            "INSERT INTO rollup_watermark (resolution, upto) VALUES (?1, ?2) ON CONFLICT (resolution) DO UPDATE SET upto = excluded.upto",
            params![RETENTION_REFERENCE, reference],
        )
        .ctx("recording the retention reference")?;
        let day = 86_400_000i64;
        let cut = |days: u32| reference - i64::from(days) * day;
        report.raw_deleted = tx
            .execute(
                "DELETE FROM samples WHERE ts < ?1 AND rowid <= ?2 AND rowid < ?3",
                params![cut(retention.raw_days), newest_row, newest_row],
            )
            .ctx("expiring raw samples")?;
        report.minute_deleted = tx
            .execute(
                "DELETE FROM samples_1m WHERE bucket < ?1",
                params![cut(retention.minute_days)],
            )
            .ctx("expiring minute rollups")?;
        report.hour_deleted = tx
            .execute(
                "DELETE FROM samples_1h WHERE bucket < ?1",
                params![cut(retention.hour_days)],
            )
            .ctx("expiring hour rollups")?;
        tx.commit().ctx("committing a rollup")?;
        Ok(report)
    }
}

/// The `rollup_watermark` row holding the highest sample row id already rolled up.
const ROLLED_ROWID: &str = "rowid";
/// The `rollup_watermark` row holding the time retention counted from in the last pass.
const RETENTION_REFERENCE: &str = "retention_reference";
/// How far the retention reference may move in one pass (six hours).
const MAX_RETENTION_STEP_MS: i64 = 6 * 3_600_000;

/// The highest sample row id already rolled up. A database rolled by time (before row ids were
/// tracked) is brought over once: samples at or after its minute mark were not rolled yet, so
/// they are rolled now and everything else counts as rolled.
fn rolled_rowid(tx: &rusqlite::Transaction<'_>) -> Result<i64> {
    let get = |key: &str| -> Result<Option<i64>> {
        tx.query_row(
            "SELECT upto FROM rollup_watermark WHERE resolution = ?1",
            params![key],
            |r| r.get(0),
        )
        .optional()
        .ctx("reading a rollup watermark")
    };
    if let Some(r) = get(ROLLED_ROWID)? {
        return Ok(r);
    }
    let by_time = [Resolution::Minute, Resolution::Hour]
        .into_iter()
        .map(|res| get(res.table()))
        .collect::<Result<Vec<_>>>()?;
    let Some(marks) = by_time.into_iter().collect::<Option<Vec<i64>>>() else {
        // Never rolled: every sample is still to roll.
        return Ok(0);
    };
    for (res, upto) in [Resolution::Minute, Resolution::Hour]
        .into_iter()
        .zip(marks)
    {
        let b = res.bucket_ms();
        let sql = format!(
            "INSERT INTO {table} (node, metric, bucket, min, max, sum, count)
             SELECT node, metric, (ts / {b}) * {b}, min(value), max(value), sum(value), count(*)
             FROM samples WHERE ts >= ?1 GROUP BY node, metric, ts / {b}
             ON CONFLICT (node, metric, bucket) DO UPDATE SET
               min = min(min, excluded.min), max = max(max, excluded.max),
               sum = sum + excluded.sum, count = count + excluded.count",
            table = res.table()
        );
        tx.execute(&sql, params![upto])
            .ctx("rolling up samples past the old mark")?;
    }
    let newest: i64 = tx
        .query_row("SELECT coalesce(max(rowid), 0) FROM samples", [], |r| {
            r.get(0)
        })
        .ctx("finding the newest sample")?;
    tx.execute(
        "INSERT INTO rollup_watermark (resolution, upto) VALUES (?1, ?2)",
        params![ROLLED_ROWID, newest],
    )
    .ctx("recording the rollup mark")?;
    Ok(newest)
}

#[cfg(test)]
mod clock_jump_tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Duration;

    use super::*;

    const KEEP: Retention = Retention {
        raw_days: 1,
        minute_days: 7,
        hour_days: 30,
    };

    fn t0() -> DateTime<Utc> {
        from_ms(1_772_366_400_000) // 2026-03-01T12:00:00Z
    }

    fn sample(ts: DateTime<Utc>, value: f64) -> Sample {
        Sample {
            node: "storj:a".parse().unwrap(),
            metric: "m".into(),
            ts,
            value,
        }
    }

    fn minute_total(store: &Store) -> (i64, f64) {
        store
            .conn
            .query_row("SELECT sum(count), sum(sum) FROM samples_1m", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
    }

    #[test]
    fn a_forward_jump_deletes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("o.db")).unwrap();
        let batch: Vec<Sample> = (0..60)
            .map(|i| sample(t0() + Duration::minutes(i), 1.0))
            .collect();
        store.insert_samples(&batch).unwrap();
        store
            .rollup_and_retain(t0() + Duration::hours(1), KEEP)
            .unwrap();
        // The clock leaps a year ahead; no reading has been taken since.
        let r = store
            .rollup_and_retain(t0() + Duration::days(365), KEEP)
            .unwrap();
        assert_eq!(
            (r.raw_deleted, r.minute_deleted, r.hour_deleted),
            (0, 0, 0),
            "{r:?}"
        );
        assert_eq!(store.count_samples().unwrap(), 60);
        assert_eq!(minute_total(&store), (60, 60.0));
    }

    #[test]
    fn readings_taken_under_a_leapt_clock_do_not_empty_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("o.db")).unwrap();
        let batch: Vec<Sample> = (0..60)
            .map(|i| sample(t0() + Duration::minutes(i), 1.0))
            .collect();
        store.insert_samples(&batch).unwrap();
        store
            .rollup_and_retain(t0() + Duration::hours(1), KEEP)
            .unwrap();
        let leapt = t0() + Duration::days(365);
        store.insert_samples(&[sample(leapt, 2.0)]).unwrap();
        let r = store.rollup_and_retain(leapt, KEEP).unwrap();
        assert_eq!(
            (r.raw_deleted, r.minute_deleted, r.hour_deleted),
            (0, 0, 0),
            "{r:?}"
        );
        assert_eq!(minute_total(&store), (61, 62.0));
    }

    #[test]
    fn a_backward_jump_leaves_no_sample_unrolled() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("o.db")).unwrap();
        store
            .insert_samples(&[sample(t0(), 1.0), sample(t0() + Duration::minutes(5), 2.0)])
            .unwrap();
        store
            .rollup_and_retain(t0() + Duration::minutes(10), KEEP)
            .unwrap();
        // The clock goes back an hour: new readings are older than everything rolled so far,
        // and one lands in a minute that was already rolled.
        let back = t0() - Duration::hours(1);
        store
            .insert_samples(&[sample(back, 4.0), sample(t0() + Duration::seconds(30), 8.0)])
            .unwrap();
        let r = store
            .rollup_and_retain(back + Duration::minutes(1), KEEP)
            .unwrap();
        assert_eq!(r.minute_buckets, 2, "{r:?}");
        assert_eq!(minute_total(&store), (4, 15.0));
        let first = store
            .samples(
                &"storj:a".parse().unwrap(),
                "m",
                t0(),
                t0() + Duration::minutes(1),
                Resolution::Minute,
            )
            .unwrap();
        assert_eq!(
            (first[0].value, first[0].min, first[0].max),
            (4.5, 1.0, 8.0)
        );
        // A pass after the clock is right again rolls nothing twice.
        store
            .rollup_and_retain(t0() + Duration::minutes(20), KEEP)
            .unwrap();
        assert_eq!(minute_total(&store), (4, 15.0));
    }

    #[test]
    fn a_database_rolled_by_time_is_brought_over_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("o.db")).unwrap();
        store
            .insert_samples(&[sample(t0(), 1.0), sample(t0() + Duration::minutes(2), 2.0)])
            .unwrap();
        // As the time-based rollup left it: minute 0 rolled, the mark at minute 1.
        let mark = to_ms(t0() + Duration::minutes(1));
        store
            .conn
            .execute_batch(&format!(
                "INSERT INTO samples_1m VALUES ('storj:a', 'm', {t}, 1, 1, 1, 1);
                 INSERT INTO rollup_watermark VALUES ('samples_1m', {mark}), ('samples_1h', {h});",
                t = to_ms(t0()),
                h = to_ms(t0()),
            ))
            .unwrap();
        store
            .rollup_and_retain(t0() + Duration::minutes(3), KEEP)
            .unwrap();
        assert_eq!(minute_total(&store), (2, 3.0));
    }
}
