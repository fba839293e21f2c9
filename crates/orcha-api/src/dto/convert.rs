//! Conversions from store rows and runtime errors to DTOs.
//!
//! Runtime code (alerts, the cycle) publishes the same DTOs the API returns; keeping the
//! conversions here lets it do so without importing `ops`.

use orcha_store::{from_ms, AlertRow, DecisionRow};

use super::{AlertDto, ApiError, DecisionDto, ErrorCode};
use crate::error::{DbError, NotifyError};

pub fn alert_dto(a: AlertRow) -> AlertDto {
    AlertDto {
        id: a.id,
        node: a.node,
        rule: a.rule,
        severity: a.severity,
        message: a.message,
        opened_at: from_ms(a.opened_at),
        cleared_at: a.cleared_at.map(from_ms),
        acknowledged_at: a.acknowledged_at.map(from_ms),
    }
}

/// A stored decision; a result the store holds in a shape this version does not know is shown
/// as absent rather than failing the whole list.
pub fn decision_dto(d: DecisionRow) -> DecisionDto {
    DecisionDto {
        id: d.id,
        cycle: d.cycle,
        created_at: from_ms(d.created_at),
        verdict: d.verdict,
        reason: d.reason,
        proposed_plan: d.proposed_plan,
        expected_gain: d.expected_gain,
        switching_cost: d.switching_cost,
        applied_result: d.applied_result.and_then(|s| serde_json::from_str(&s).ok()),
        rollback: d.rollback.and_then(|s| serde_json::from_str(&s).ok()),
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::internal(e)
    }
}

impl From<NotifyError> for ApiError {
    fn from(e: NotifyError) -> Self {
        match e {
            NotifyError::NoChannel => ApiError::new(ErrorCode::BadRequest, e.to_string()),
        }
    }
}
