//! Stored forecasts: each cycle's p10/p50/p90 earnings-rate forecast per node and hour.
//!
//! A *run* is every row one node got from one forecast (same `made_at`). Amounts are exact base
//! units of the node's own token per hour, like the `earnings` table, so a forecast can be
//! compared with what was realized without a float ever being stored.

use chrono::{DateTime, Utc};
use orcha_core::{Money, NodeId};
use rusqlite::{params, OptionalExtension};

use crate::{from_ms, money_from_row, to_ms, Context, Result, Store, StoreError};

/// One forecasted hour of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRow {
    pub node: NodeId,
    /// When the run was made.
    pub made_at: DateTime<Utc>,
    /// The start of the forecasted hour.
    pub target: DateTime<Utc>,
    /// Earnings per hour, all three in the same token and decimals.
    pub p10: Money,
    pub p50: Money,
    pub p90: Money,
    /// The model the engine chose (`lstm`, `ets`, `seasonal_naive_24`, …).
    pub model: String,
    /// The saved LSTM's version, or the engine's version for models fitted on the fly.
    pub model_version: Option<String>,
}

/// What the engine said about one run as a whole (one per node and `made_at`).
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRun {
    pub node: NodeId,
    pub made_at: DateTime<Utc>,
    /// `rate` or `cumulative`: what the engine treated the series as.
    pub series_kind: Option<String>,
    /// Rolling-origin backtest MASE of the chosen model.
    pub backtest_mase: Option<f64>,
    /// The better of seasonal naive 24 h and 168 h on the same backtest.
    pub seasonal_naive_mase: Option<f64>,
    /// Share of backtest outcomes inside p10..p90 (leave-one-origin-out).
    pub interval_coverage: Option<f64>,
    pub backtest_origins: Option<u32>,
    /// The engine's own sentence about the run: why a baseline answered, or which models the
    /// combination holds and how it was chosen.
    pub engine_note: Option<String>,
}

impl Store {
    /// Writes the run summaries; writing one again replaces it.
    pub fn insert_forecast_runs(&mut self, runs: &[ForecastRun]) -> Result<usize> {
        let tx = self
            .conn
            .transaction()
            .ctx("starting a forecast-run batch")?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO forecast_runs (node, made_at, series_kind, backtest_mase, seasonal_naive_mase, interval_coverage, backtest_origins, engine_note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .ctx("preparing the forecast-run insert")?;
            for r in runs {
                // NaN would be stored as NULL by SQLite anyway; say so explicitly.
                let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
                stmt.execute(params![
                    r.node.to_string(),
                    to_ms(r.made_at),
                    r.series_kind,
                    finite(r.backtest_mase),
                    finite(r.seasonal_naive_mase),
                    finite(r.interval_coverage),
                    r.backtest_origins,
                    r.engine_note,
                ])
                .ctx("inserting a forecast run")?;
            }
        }
        tx.commit().ctx("committing forecast runs")?;
        Ok(runs.len())
    }

    /// The summary of the run of `node` made at `made_at`, if one was stored.
    pub fn forecast_run_summary(
        &self,
        node: &NodeId,
        made_at: DateTime<Utc>,
    ) -> Result<Option<ForecastRun>> {
        self.conn
            .prepare_cached(
                "SELECT series_kind, backtest_mase, seasonal_naive_mase, interval_coverage, backtest_origins, engine_note FROM forecast_runs WHERE node = ?1 AND made_at = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![node.to_string(), to_ms(made_at)], |r| {
                    Ok(ForecastRun {
                        node: node.clone(),
                        made_at,
                        series_kind: r.get(0)?,
                        backtest_mase: r.get(1)?,
                        seasonal_naive_mase: r.get(2)?,
                        interval_coverage: r.get(3)?,
                        backtest_origins: r.get(4)?,
                        engine_note: r.get(5)?,
                    })
                })
                .optional()
            })
            .ctx("reading a forecast run")
    }

    /// Writes forecast rows in one transaction; a row for an existing (node, run, hour) replaces
    /// it, so writing the same run twice is harmless.
    pub fn insert_forecasts(&mut self, rows: &[ForecastRow]) -> Result<usize> {
        let tx = self.conn.transaction().ctx("starting a forecast batch")?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO forecasts (node, made_at, target, token, decimals, p10, p50, p90, model, model_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .ctx("preparing the forecast insert")?;
            for r in rows {
                // Mixed units in one row could never be compared; refuse them instead.
                let same = |m: &Money| m.token == r.p50.token && m.decimals == r.p50.decimals;
                if !same(&r.p10) || !same(&r.p90) {
                    return Err(StoreError::InvalidRow(format!(
                        "forecast for {} mixes units ({}, {}, {})",
                        r.node, r.p10, r.p50, r.p90
                    )));
                }
                stmt.execute(params![
                    r.node.to_string(),
                    to_ms(r.made_at),
                    to_ms(r.target),
                    r.p50.token.as_str(),
                    r.p50.decimals,
                    r.p10.amount.to_string(),
                    r.p50.amount.to_string(),
                    r.p90.amount.to_string(),
                    r.model,
                    r.model_version,
                ])
                .ctx("inserting a forecast")?;
            }
        }
        tx.commit().ctx("committing forecasts")?;
        Ok(rows.len())
    }

    /// The newest run for `node` made at or before `made_before`, hours ascending; empty when
    /// there is none.
    pub fn latest_forecast(
        &self,
        node: &NodeId,
        made_before: DateTime<Utc>,
    ) -> Result<Vec<ForecastRow>> {
        let made_at: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(made_at) FROM forecasts WHERE node = ?1 AND made_at <= ?2")
            .and_then(|mut s| {
                s.query_row(params![node.to_string(), to_ms(made_before)], |r| r.get(0))
            })
            .ctx("finding the latest forecast")?;
        match made_at {
            Some(at) => self.forecast_run(node, at),
            None => Ok(Vec::new()),
        }
    }

    /// The newest run for `node` whose every forecasted hour has ended by `now`, so it can be
    /// compared with what was realized; empty when there is none.
    pub fn latest_complete_forecast(
        &self,
        node: &NodeId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ForecastRow>> {
        let hour_ms = 3_600_000;
        let made_at: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT made_at FROM forecasts WHERE node = ?1 GROUP BY made_at HAVING max(target) + ?2 <= ?3 ORDER BY made_at DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![node.to_string(), hour_ms, to_ms(now)], |r| r.get(0))
                    .optional()
            })
            .ctx("finding the latest complete forecast")?;
        match made_at {
            Some(at) => self.forecast_run(node, at),
            None => Ok(Vec::new()),
        }
    }

    fn forecast_run(&self, node: &NodeId, made_at: i64) -> Result<Vec<ForecastRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT target, token, decimals, p10, p50, p90, model, model_version FROM forecasts WHERE node = ?1 AND made_at = ?2 ORDER BY target",
            )
            .ctx("preparing the forecast query")?;
        let rows = stmt
            .query_map(params![node.to_string(), made_at], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u8>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .ctx("querying a forecast")?;
        let mut out = Vec::new();
        for row in rows {
            let (target, token, decimals, p10, p50, p90, model, model_version) =
                row.ctx("reading a forecast")?;
            out.push(ForecastRow {
                node: node.clone(),
                made_at: from_ms(made_at),
                target: from_ms(target),
                p10: money_from_row(&token, &p10, decimals)?,
                p50: money_from_row(&token, &p50, decimals)?,
                p90: money_from_row(&token, &p90, decimals)?,
                model,
                model_version,
            });
        }
        Ok(out)
    }

    /// Deletes runs made before `before` (their hours and summaries); returns how many hour
    /// rows went.
    pub fn prune_forecasts(&mut self, before: DateTime<Utc>) -> Result<usize> {
        self.conn
            .execute(
                "DELETE FROM forecast_runs WHERE made_at < ?1",
                params![to_ms(before)],
            )
            .ctx("pruning old forecast runs")?;
        self.conn
            .execute(
                "DELETE FROM forecasts WHERE made_at < ?1",
                params![to_ms(before)],
            )
            .ctx("pruning old forecasts")
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use orcha_core::Token;

    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap_or_default()
            .to_utc()
    }

    fn glm(wei: i128) -> Money {
        Money::new(Token::Glm, wei, 18)
    }

    /// A run of `hours` rows made at `made_at`, forecasting the hours after it.
    fn run(node: &NodeId, made_at: DateTime<Utc>, hours: i64, p50: i128) -> Vec<ForecastRow> {
        (1..=hours)
            .map(|h| ForecastRow {
                node: node.clone(),
                made_at,
                target: made_at + Duration::hours(h),
                p10: glm(p50 / 2),
                p50: glm(p50 + i128::from(h as u8)),
                // Beyond i64 and f64's exact range: must round-trip exactly.
                p90: glm(12_345_678_901_234_567_890_123),
                model: "ets".into(),
                model_version: Some("0.1.0".into()),
            })
            .collect()
    }

    #[test]
    fn forecasts_round_trip_exactly_and_the_right_run_is_found() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::InvalidRow(e.to_string()))?;
        let mut store = Store::open(&dir.path().join("orcha.db"))?;
        let a: NodeId = "golem:a"
            .parse()
            .map_err(|_| StoreError::InvalidRow("id".into()))?;
        let b: NodeId = "golem:b"
            .parse()
            .map_err(|_| StoreError::InvalidRow("id".into()))?;
        assert!(store.latest_forecast(&a, t0())?.is_empty());
        let first = run(&a, t0(), 24, 1_000);
        let second = run(&a, t0() + Duration::minutes(15), 24, 2_000);
        assert_eq!(store.insert_forecasts(&first)?, 24);
        store.insert_forecasts(&second)?;
        store.insert_forecasts(&run(&b, t0() + Duration::hours(1), 24, 5))?;
        // Writing a run again replaces it instead of duplicating it.
        store.insert_forecasts(&second)?;

        let latest = store.latest_forecast(&a, t0() + Duration::hours(1))?;
        assert_eq!(latest, second);
        assert_eq!(latest[0].p90.amount, 12_345_678_901_234_567_890_123);
        // Before the second run existed, the first one was the latest.
        assert_eq!(
            store.latest_forecast(&a, t0() + Duration::minutes(5))?,
            first
        );

        // Complete: every hour ended. The first run's last hour ends at t0 + 25 h.
        assert!(store
            .latest_complete_forecast(&a, t0() + Duration::hours(25) - Duration::seconds(1))?
            .is_empty());
        assert_eq!(
            store.latest_complete_forecast(&a, t0() + Duration::hours(25))?,
            first
        );
        assert_eq!(
            store.latest_complete_forecast(&a, t0() + Duration::hours(30))?,
            second
        );

        assert_eq!(store.prune_forecasts(t0() + Duration::minutes(1))?, 24);
        assert_eq!(store.latest_forecast(&a, t0() + Duration::minutes(5))?, []);
        assert_eq!(
            store.latest_forecast(&b, t0() + Duration::hours(2))?.len(),
            24
        );
        Ok(())
    }

    #[test]
    fn run_summaries_round_trip_and_are_pruned_with_their_runs() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::InvalidRow(e.to_string()))?;
        let mut store = Store::open(&dir.path().join("orcha.db"))?;
        let a: NodeId = "golem:a"
            .parse()
            .map_err(|_| StoreError::InvalidRow("id".into()))?;
        let summary = |made_at, mase: f64| ForecastRun {
            node: a.clone(),
            made_at,
            series_kind: Some("rate".into()),
            backtest_mase: Some(mase),
            seasonal_naive_mase: Some(0.8125),
            interval_coverage: Some(0.791),
            backtest_origins: Some(7),
            engine_note: Some(format!("ensemble_mean chosen by backtest: MASE {mase}")),
        };
        let (old, new) = (t0(), t0() + Duration::hours(1));
        assert_eq!(store.forecast_run_summary(&a, old)?, None);
        store.insert_forecast_runs(&[summary(old, 0.5), summary(new, 0.25)])?;
        // Written again: replaced, not duplicated; a NaN score is stored as unknown.
        let mut again = summary(new, 0.375);
        again.interval_coverage = Some(f64::NAN);
        store.insert_forecast_runs(&[again])?;
        assert_eq!(
            store.forecast_run_summary(&a, old)?,
            Some(summary(old, 0.5))
        );
        let read = store.forecast_run_summary(&a, new)?;
        assert_eq!(read.as_ref().and_then(|r| r.backtest_mase), Some(0.375));
        assert_eq!(
            read.as_ref().and_then(|r| r.engine_note.as_deref()),
            Some("ensemble_mean chosen by backtest: MASE 0.375")
        );
        assert_eq!(read.as_ref().and_then(|r| r.interval_coverage), None);
        store.insert_forecasts(&run(&a, old, 2, 10))?;
        store.prune_forecasts(old + Duration::minutes(1))?;
        assert_eq!(store.forecast_run_summary(&a, old)?, None);
        assert!(store.forecast_run_summary(&a, new)?.is_some());
        Ok(())
    }

    #[test]
    fn a_version_1_database_gains_the_table_and_keeps_its_data() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::InvalidRow(e.to_string()))?;
        let path = dir.path().join("orcha.db");
        {
            let conn = rusqlite::Connection::open(&path).ctx("test")?;
            conn.execute_batch(crate::MIGRATIONS[0]).ctx("test")?;
            conn.pragma_update(None, "user_version", 1).ctx("test")?;
            conn.execute(
                "INSERT INTO alerts (node, rule, severity, message, opened_at) VALUES ('golem:a', 'disk_high', 'warning', 'm', 1)",
                [],
            )
            .ctx("test")?;
        }
        let mut store = Store::open(&path)?;
        assert_eq!(store.schema_version()?, crate::MIGRATIONS.len() as i64);
        assert_eq!(store.alerts(true, 10)?.len(), 1);
        let a: NodeId = "golem:a"
            .parse()
            .map_err(|_| StoreError::InvalidRow("id".into()))?;
        store.insert_forecasts(&run(&a, t0(), 2, 10))?;
        assert_eq!(store.latest_forecast(&a, t0())?.len(), 2);
        Ok(())
    }

    #[test]
    fn a_row_mixing_units_is_refused_and_nothing_is_written() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::InvalidRow(e.to_string()))?;
        let mut store = Store::open(&dir.path().join("orcha.db"))?;
        let a: NodeId = "golem:a"
            .parse()
            .map_err(|_| StoreError::InvalidRow("id".into()))?;
        let mut rows = run(&a, t0(), 3, 10);
        rows[2].p10 = Money::new(Token::Usd, 1, 2);
        let err = store.insert_forecasts(&rows);
        assert!(matches!(err, Err(StoreError::InvalidRow(_))), "{err:?}");
        assert!(store.latest_forecast(&a, t0())?.is_empty());
        Ok(())
    }
}
