//! The earnings forecast of one node, as stored by the cycle's predict step.

use std::sync::Arc;

use chrono::Duration;

use super::parse_node;
use crate::dto::{ApiError, ForecastDto, ForecastPointDto};
use crate::state::AppState;

/// The newest forecast of `node` for the coming `hours` (the hour in progress included).
pub async fn forecast(
    state: &Arc<AppState>,
    node: &str,
    hours: Option<u32>,
) -> Result<ForecastDto, ApiError> {
    let id = parse_node(state, "node", node)?;
    let hours = hours.unwrap_or(24);
    if !(1..=168).contains(&hours) {
        return Err(ApiError::bad_field(
            "hours",
            "hours must be between 1 and 168",
        ));
    }
    let now = state.clock.now();
    let run = state.db(move |s| s.latest_forecast(&id, now)).await?;
    let Some(first) = run.first() else {
        return Ok(ForecastDto {
            node: node.to_owned(),
            made_at: None,
            model: None,
            model_version: None,
            estimate: true,
            points: Vec::new(),
            note: "no forecast yet: the ML engine forecasts a node once it has 24 h of earnings history".to_owned(),
            series_kind: None,
            backtest_mase: None,
            seasonal_naive_mase: None,
            interval_coverage: None,
            backtest_origins: None,
            engine_note: None,
        });
    };
    let (made_at, model, model_version) = (
        first.made_at,
        first.model.clone(),
        first.model_version.clone(),
    );
    let summary_node = first.node.clone();
    let summary = state
        .db(move |s| s.forecast_run_summary(&summary_node, made_at))
        .await?;
    // An hour still in progress is still ahead of the operator; hours that ended are history.
    let points: Vec<ForecastPointDto> = run
        .iter()
        .filter(|r| r.target + Duration::hours(1) > now)
        .take(hours as usize)
        .map(|r| ForecastPointDto {
            hour: r.target,
            p10: (&r.p10).into(),
            p50: (&r.p50).into(),
            p90: (&r.p90).into(),
        })
        .collect();
    let note = if points.is_empty() {
        format!(
            "the newest forecast (made {}) has no hour left: the ML engine has not forecast this node since",
            made_at.format("%Y-%m-%d %H:%M UTC")
        )
    } else if points.len() < hours as usize {
        format!(
            "{} of {hours} hours: the newest forecast reaches no further",
            points.len()
        )
    } else {
        String::new()
    };
    Ok(ForecastDto {
        node: node.to_owned(),
        made_at: Some(made_at),
        model: Some(model),
        model_version,
        estimate: true,
        points,
        note,
        series_kind: None,
        backtest_mase: None,
        seasonal_naive_mase: None,
        interval_coverage: None,
        backtest_origins: None,
        engine_note: None,
    }
    .with_run(summary.as_ref()))
}
