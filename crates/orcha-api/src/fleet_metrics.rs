//! The series a fleet joins and totals on: `orcha_machine_info` and each node's fiat earnings per window.
//!
//! A task of the orchestrator keeps them current. The earnings come from `ops::earnings_totals`,
//! the same exact computation the Earnings screen shows, so a fleet view never re-derives money
//! from Prometheus history (which an agent-mode hub may not have).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// The machine's name in a fleet: `[orchestrator] machine`, else the host name, else `unknown`.
pub fn machine_name(configured: &str) -> String {
    if !configured.is_empty() {
        return configured.to_owned();
    }
    sysinfo::System::host_name()
        .ok()
        .filter(|h| !h.trim().is_empty())
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Label values of one `orcha_node_earnings_fiat` series: protocol, node, window, fiat.
type FiatLabels = [String; 4];

/// Sets `orcha_node_earnings_fiat` from the current earnings totals and removes the series that
/// no longer have a value (a price went away), so "no price" stays absent rather than stale.
pub async fn refresh_earnings(state: &Arc<AppState>, previous: &mut BTreeSet<FiatLabels>) {
    let totals = match crate::ops::earnings_totals(state).await {
        Ok(t) => t,
        Err(e) => {
            tracing::debug!(error = %e.message, "Earnings totals unavailable for the metrics.");
            return;
        }
    };
    let mut now = BTreeSet::new();
    for node in &totals.nodes {
        let Some((protocol, name)) = node.node.split_once(':') else {
            continue;
        };
        for w in &node.windows {
            let Some(fiat) = &w.fiat else { continue };
            let Some(value) = fiat.value.as_deref().and_then(|v| v.parse::<f64>().ok()) else {
                continue;
            };
            let labels = [
                protocol.to_owned(),
                name.to_owned(),
                w.window.clone(),
                fiat.fiat.clone(),
            ];
            state
                .metrics
                .node_earnings_fiat
                .with_label_values(&labels.each_ref().map(String::as_str))
                .set(value);
            now.insert(labels);
        }
    }
    for gone in previous.difference(&now) {
        let _ = state
            .metrics
            .node_earnings_fiat
            .remove_label_values(&gone.each_ref().map(String::as_str));
    }
    *previous = now;
}

/// Sets `orcha_machine_info` once, then refreshes the fiat earnings every poll interval until
/// `cancel` fires.
pub async fn run(state: Arc<AppState>, cancel: CancellationToken) {
    let machine = machine_name(&state.config.orchestrator.machine);
    state
        .metrics
        .machine_info
        .with_label_values(&[machine.as_str(), env!("CARGO_PKG_VERSION")])
        .set(1);
    let period = Duration::from_secs(state.config.orchestrator.poll_interval.max(1));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut previous = BTreeSet::new();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = refresh_earnings(&state, &mut previous) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_name_wins_over_the_host_name() {
        assert_eq!(machine_name("box1"), "box1");
        let host = machine_name("");
        assert!(!host.is_empty() && !host.contains('\n'), "{host:?}");
    }
}
