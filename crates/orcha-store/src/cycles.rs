//! Optimization cycles, their steps, and the decisions each cycle made and applied.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use crate::{to_ms, Context, Result, Store};

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
pub struct CycleStepRow {
    pub cycle: i64,
    pub step: String,
    pub status: String,
    pub detail: String,
    pub finished_at: i64,
}

impl Store {
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
}
