//! Alerts: rules evaluated after every poll and cycle, opened once per incident, cleared on
//! recovery, stored in SQLite, published as events and sent to the notification channels.
//!
//! The rules are pure (`rules`); this module turns their verdicts into store writes
//! (`open_alert` de-duplicates per rule and node), `Event::Alert`s, metrics and notifications.
//! Notifications run in spawned tasks, in order, with a timeout per channel, so a failing
//! channel never delays collection or the other channels; each channel's last error is kept
//! for the API. The bookkeeping (`Notifications`) is a field of `AppState`, not global state.

pub mod channels;
mod cycle_rules;
mod notify;
pub mod rules;
mod usage_rules;

use std::sync::Arc;

use orcha_store::AlertRow;

use crate::dto::convert::alert_dto;
use crate::dto::{AlertNotificationDto, Event};
use crate::notifications::lock;
pub use crate::notifications::{Notifications, RateLimiter};
use crate::poll::PollOutcome;
use crate::state::{AppState, NodeRuntime};
use notify::notify;
pub use notify::{channel_status, flush, notify_payout, send_test};
use rules::{RuleId, Severity, Verdict};

fn runtime(state: &AppState) -> Arc<Notifications> {
    Arc::clone(&state.notifications)
}

/// Sets the watermark to the newest stored alert the first time this state is seen.
async fn ensure_watermark(state: &AppState, rt: &Notifications) {
    if lock(&rt.seen_id).is_some() {
        return;
    }
    let newest = state
        .db(|s| s.alerts(true, 1))
        .await
        .map(|rows| rows.first().map_or(0, |a| a.id));
    if let Ok(id) = newest {
        let mut seen = lock(&rt.seen_id);
        *seen = Some(seen.unwrap_or(0).max(id));
    }
}

/// Called by the orchestrator after every poll of a node.
pub async fn after_poll(state: &AppState, node: &NodeRuntime, outcome: &PollOutcome) {
    let cfg = &state.config.alerts;
    if !cfg.enabled {
        return;
    }
    ensure_watermark(state, &runtime(state)).await;
    let live = node.live();
    let (failures, error) = live.last_poll.as_ref().map_or((0, String::new()), |p| {
        (p.consecutive_failures, p.error.clone().unwrap_or_default())
    });
    let mut verdicts = vec![(
        RuleId::NodeUnavailable,
        rules::node_unavailable(outcome.ok, failures, cfg.offline_after_failures, &error),
    )];
    if outcome.ok {
        verdicts.push((
            RuleId::DiskHigh,
            rules::disk_high(&live.metrics, cfg.disk_usage_percent),
        ));
        verdicts.extend(rules::health_signals(&outcome.health));
    }
    verdicts.extend(usage_rules::usage_verdicts(
        &state.config,
        &live,
        outcome.ok,
    ));
    let node_id = node.config.id.to_string();
    let changes = verdicts
        .into_iter()
        .map(|(r, v)| (r, Some(node_id.clone()), v))
        .collect();
    apply_verdicts(state, changes).await;
}

/// Called after every optimization cycle.
pub async fn after_cycle(state: &Arc<AppState>, cycle: i64) {
    record_decisions(state, cycle).await;
    if !state.config.alerts.enabled {
        return;
    }
    let mut changes = Vec::new();
    for node in &state.nodes {
        changes.extend(cycle_rules::earnings_rules(state, node).await);
    }
    changes.extend(cycle_rules::anomaly_rules(state).await);
    for node in &state.nodes {
        changes.extend(cycle_rules::forecast_rule(state, node).await);
    }
    changes.extend(cycle_rules::training_rules(state).await);
    apply_verdicts(state, changes).await;
    notify_foreign(state).await;
    cycle_rules::observe_ml_latency(state).await;
    cycle_rules::observe_allocations(state).await;
}

/// The applies and rollbacks of the cycle's decisions, as metrics; a successful apply clears the
/// rollback alerts (the nodes are back on a good allocation).
async fn record_decisions(state: &Arc<AppState>, cycle: i64) {
    let Ok(rows) = state.db(|s| s.decisions(20)).await else {
        return;
    };
    let mut applied_ok = false;
    for d in rows.iter().filter(|d| d.cycle == Some(cycle)) {
        let Some(result) = &d.applied_result else {
            continue;
        };
        let status = serde_json::from_str::<serde_json::Value>(result)
            .ok()
            .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_owned))
            .unwrap_or_default();
        let ok = status == "applied";
        applied_ok |= ok;
        state
            .metrics
            .applies
            .with_label_values(&[if ok { "ok" } else { "failed" }])
            .inc();
        if d.rollback.is_some() {
            state.metrics.rollbacks.inc();
        }
    }
    if applied_ok && state.config.alerts.enabled {
        let changes = state
            .nodes
            .iter()
            .map(|n| {
                (
                    RuleId::AllocationRollback,
                    Some(n.config.id.to_string()),
                    Verdict::Clear,
                )
            })
            .collect();
        apply_verdicts(state, changes).await;
    }
}

/// Alerts other parts of Orcha opened straight in the store (the apply step's rollback alert)
/// get their metrics and notifications here, once.
async fn notify_foreign(state: &AppState) {
    let rt = runtime(state);
    ensure_watermark(state, &rt).await;
    let Ok(rows) = state.db(|s| s.alerts(false, 100)).await else {
        return;
    };
    let seen = lock(&rt.seen_id).unwrap_or(i64::MAX);
    let fresh: Vec<AlertRow> = rows.into_iter().filter(|a| a.id > seen).collect();
    if let Some(max) = fresh.iter().map(|a| a.id).max() {
        *lock(&rt.seen_id) = Some(max);
    }
    for a in fresh {
        state
            .metrics
            .alerts_opened
            .with_label_values(&[bounded_rule(&a.rule), bounded_severity(&a.severity)])
            .inc();
        notify(state, &rt, note_of(&a, "open"));
    }
    refresh_open_gauge(state).await;
}

fn bounded_rule(rule: &str) -> &'static str {
    RuleId::parse(rule).map_or("other", RuleId::as_str)
}

fn bounded_severity(s: &str) -> &'static str {
    Severity::parse(s).map_or("other", Severity::as_str)
}

fn note_of(a: &AlertRow, state: &str) -> AlertNotificationDto {
    let at = if state == "cleared" {
        a.cleared_at.unwrap_or(a.opened_at)
    } else {
        a.opened_at
    };
    AlertNotificationDto {
        state: state.to_owned(),
        id: Some(a.id),
        rule: a.rule.clone(),
        severity: a.severity.clone(),
        node: a.node.clone(),
        message: a.message.clone(),
        at: orcha_store::from_ms(at),
    }
}

/// Opens and clears alerts for a batch of verdicts in one store call, then publishes, counts
/// and notifies what changed.
pub async fn apply_verdicts(state: &AppState, changes: Vec<(RuleId, Option<String>, Verdict)>) {
    let relevant: Vec<_> = changes
        .into_iter()
        .filter(|(_, _, v)| *v != Verdict::Unknown)
        .collect();
    if relevant.is_empty() {
        return;
    }
    let at = state.clock.now();
    let result = state
        .db(move |s| {
            let mut changed = Vec::new();
            for (rule, node, v) in relevant {
                let id = match &v {
                    Verdict::Firing(msg) => s
                        .open_alert(
                            node.as_deref(),
                            rule.as_str(),
                            rule.severity().as_str(),
                            msg,
                            at,
                        )?
                        .map(|id| (id, "open")),
                    Verdict::Clear => s
                        .clear_alert(node.as_deref(), rule.as_str(), at)?
                        .map(|id| (id, "cleared")),
                    Verdict::Unknown => None,
                };
                changed.extend(id);
            }
            if changed.is_empty() {
                return Ok(Vec::new());
            }
            let rows = s.alerts(true, 500)?;
            Ok(changed
                .into_iter()
                .filter_map(|(id, what)| {
                    rows.iter().find(|r| r.id == id).map(|r| (r.clone(), what))
                })
                .collect::<Vec<_>>())
        })
        .await;
    let changed = match result {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "Could not store alerts.");
            return;
        }
    };
    if changed.is_empty() {
        return;
    }
    let rt = runtime(state);
    for (row, what) in changed {
        let rule = bounded_rule(&row.rule);
        if what == "open" {
            if let Some(seen) = lock(&rt.seen_id).as_mut() {
                *seen = (*seen).max(row.id);
            }
            state
                .metrics
                .alerts_opened
                .with_label_values(&[rule, bounded_severity(&row.severity)])
                .inc();
            tracing::warn!(rule, node = row.node.as_deref().unwrap_or(""), message = %row.message, "Alert opened.");
        } else {
            state
                .metrics
                .alerts_cleared
                .with_label_values(&[rule])
                .inc();
            tracing::info!(
                rule,
                node = row.node.as_deref().unwrap_or(""),
                "Alert cleared."
            );
        }
        state.publish(Event::Alert(alert_dto(row.clone())));
        notify(state, &rt, note_of(&row, what));
    }
    refresh_open_gauge(state).await;
}

async fn refresh_open_gauge(state: &AppState) {
    if let Ok(open) = state.db(|s| s.alerts(false, 10_000)).await {
        state.metrics.alerts_open.set(open.len() as i64);
    }
}
