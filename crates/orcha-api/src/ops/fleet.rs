//! The fleet view: every machine the fleet's Prometheus scrapes, read through its HTTP API.

use std::sync::Arc;

use crate::dto::{ApiError, ErrorCode, FleetDto};
use crate::state::AppState;

/// Every machine the configured Prometheus sees, with its nodes, earnings and alerts.
///
/// Uses the wall clock, not `state.clock`: Prometheus answers in real time even when this Orcha
/// runs the demo's simulated clock.
pub async fn fleet(state: &Arc<AppState>) -> Result<FleetDto, ApiError> {
    let cfg = state.config.fleet.clone();
    if cfg.prometheus_url.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Unavailable,
            "the fleet view is off: set [fleet] prometheus_url to the Prometheus that scrapes your machines",
        ));
    }
    let secrets = Arc::clone(&state.secrets);
    // Reading the bearer token may block on the keyring; never on the async workers.
    let client = tokio::task::spawn_blocking(move || {
        let env = |k: &str| std::env::var(k).ok();
        orcha_fleet::PrometheusClient::from_config(&cfg, &env, secrets.as_ref())
            .map(|p| orcha_fleet::FleetClient::new(p, &cfg))
    })
    .await
    .map_err(|e| ApiError::internal(format!("the fleet query task failed: {e}")))?
    .map_err(unavailable)?;
    orcha_fleet::fleet_snapshot(&client, chrono::Utc::now())
        .await
        .map_err(unavailable)
}

fn unavailable(e: orcha_fleet::FleetError) -> ApiError {
    ApiError::new(ErrorCode::Unavailable, e.to_string())
}
