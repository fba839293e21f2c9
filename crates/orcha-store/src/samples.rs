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
}
