//! The API operations: one async function each, over DTOs, returning `ApiError` on failure.
//!
//! REST routes (`orcha-server`) and Tauri commands (`src-tauri`) call these and nothing else.

//!
//! One file per resource; every operation is re-exported here, so its path stays `ops::<name>`.
//! Runtime errors (`DbError`, `NotifyError`) become `ApiError` here and nowhere else.

use chrono::{DateTime, Utc};
use orcha_core::NodeId;

use crate::dto::ApiError;
// Kept at its old path: the front doors and tests name `ops::alert_dto`.
pub use crate::dto::convert::alert_dto;
use crate::state::AppState;

mod audit;
pub use audit::{audit_log, audit_verify};
mod backups;
pub use backups::{backups, run_backup};
mod fleet;
pub use fleet::fleet;

mod alerts;
pub use alerts::{
    acknowledge_alert, alert_channels, alerts, delete_alert_secret, send_test_alert,
    set_alert_secret,
};

mod allocation;
pub use allocation::{allocation, approve_plan, set_auto_apply, what_if};

mod curves;
pub use curves::response_curves;

mod control;
pub use control::{latest_cycle, run_cycle_now, set_paused, status};

mod decisions;
pub use decisions::decisions;

mod nodes;
pub use nodes::{earnings_history, nodes, series};

mod secrets;
pub use secrets::{delete_secret, secret_status, set_secret};

pub mod settings;
pub use settings::{alert_secret_status, settings, update_settings};

mod forecast;
pub use forecast::forecast;

pub mod detect;
pub use detect::detect_nodes;

mod prices;
pub use prices::{earnings_totals, prices};

mod money;
pub use money::{export_earnings, fiat_history, payouts, scan_payouts};

fn parse_node(state: &AppState, field: &str, id: &str) -> Result<NodeId, ApiError> {
    let node: NodeId = id
        .parse()
        .map_err(|e: orcha_core::domain::IdError| ApiError::bad_field(field, e.to_string()))?;
    if state.node(id).is_none() {
        return Err(ApiError::not_found(format!("no node `{id}` is configured")));
    }
    Ok(node)
}

fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), ApiError> {
    if to <= from {
        return Err(ApiError::bad_field(
            "to",
            format!("`to` ({to}) must be after `from` ({from})"),
        ));
    }
    if to - from > chrono::Duration::days(3660) {
        return Err(ApiError::bad_field(
            "from",
            "the range may span at most ten years",
        ));
    }
    Ok(())
}
