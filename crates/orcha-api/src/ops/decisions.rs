//! Decisions: every verdict a cycle or the operator reached, with its apply result.

use std::sync::Arc;

use crate::dto::convert::decision_dto;
use crate::dto::*;
use crate::state::AppState;

pub async fn decisions(state: &Arc<AppState>, limit: u32) -> Result<Vec<DecisionDto>, ApiError> {
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_field(
            "limit",
            "limit must be between 1 and 1000",
        ));
    }
    Ok(state
        .db(move |s| s.decisions(limit))
        .await?
        .into_iter()
        .map(decision_dto)
        .collect())
}
