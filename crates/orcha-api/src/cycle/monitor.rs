//! Monitor: keep the database bounded (rollups, retention) and compare realized with forecast.

use orcha_core::event::StepOutcome;
use orcha_store::Retention;

use super::predict::Forecasts;
use crate::state::AppState;

pub async fn run(state: &AppState, _cycle: i64, _forecasts: Option<&Forecasts>) -> StepOutcome {
    let now = state.clock.now();
    let st = &state.config.storage;
    let retention = Retention {
        raw_days: st.retention_raw_days,
        minute_days: st.retention_minute_days,
        hour_days: st.retention_hour_days,
    };
    match state.db(move |s| s.rollup_and_retain(now, retention)).await {
        Ok(r) => StepOutcome::Done(format!(
            "rolled up {} minute and {} hour buckets; expired {} raw samples",
            r.minute_buckets, r.hour_buckets, r.raw_deleted
        )),
        Err(e) => StepOutcome::Failed(format!("rollup failed: {}", e)),
    }
}
