//! The rules run after a cycle that read history and the ML engine: earnings, anomalies,
//! forecast error and training, plus the ML latency and allocation gauges.
//!
//! They only compute verdicts; `super::apply_verdicts` turns them into alerts, so this module
//! never touches the store's alert rows or the notifications.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use orcha_core::{HealthStatus, ProtocolId};

use super::rules::{self, RuleId, Verdict};
use crate::earnings_series::{hourly_increases, node_history, rate_series};
use crate::state::{AppState, NodeRuntime};

pub(super) async fn earnings_rules(
    state: &AppState,
    node: &NodeRuntime,
) -> Vec<(RuleId, Option<String>, Verdict)> {
    let cfg = &state.config.alerts;
    let now = state.clock.now();
    let days = i64::from(cfg.earnings_baseline_days.max(1));
    let gap = state
        .config
        .usage
        .not_earning_hours
        .of(node.config.id.protocol());
    let hours = i64::from(
        cfg.earnings_window_hours
            .max(1)
            .max(cfg.golem_idle_hours)
            .max(gap),
    );
    let from = now - Duration::days(days) - Duration::hours(hours) - Duration::hours(1);
    let id = node.config.id.clone();
    let Some((series, token)) = rate_series(state, &id, from, now + Duration::seconds(1)).await
    else {
        return Vec::new();
    };
    let mut out = vec![(
        RuleId::EarningsDrop,
        Some(id.to_string()),
        rules::earnings_drop(&series, now, cfg, &token),
    )];
    let live = node.live();
    out.push((
        RuleId::RunningNotEarning,
        Some(id.to_string()),
        rules::running_not_earning(
            &series,
            now,
            gap,
            live.measured.as_ref().map(|m| m.running),
            matches!(live.health, Some((HealthStatus::Healthy, _))),
        ),
    ));
    if id.protocol() == ProtocolId::Golem {
        let reachable = node
            .live()
            .health
            .is_some_and(|(h, _)| matches!(h, HealthStatus::Healthy | HealthStatus::Degraded(_)));
        out.push((
            RuleId::GolemNoAgreements,
            Some(id.to_string()),
            rules::golem_idle(&series, now, cfg.golem_idle_hours, reachable),
        ));
    }
    out
}

/// Anomaly scores of the ML engine become `anomaly` alerts; skipped while it is unavailable.
pub(super) async fn anomaly_rules(state: &AppState) -> Vec<(RuleId, Option<String>, Verdict)> {
    if !state.config.alerts.anomalies || !state.ml_status().available {
        return Vec::new();
    }
    let now = state.clock.now();
    let mut history = Vec::new();
    let mut rows = Vec::new();
    for node in &state.nodes {
        let id = node.config.id.clone();
        let metrics = [
            "cpu_millicores",
            "mem_bytes",
            "disk_used_bytes",
            "bandwidth_up_bps",
        ];
        let from = now - Duration::hours(48);
        let series = {
            let id = id.clone();
            state
                .db(move |s| {
                    let mut out = BTreeMap::new();
                    for m in metrics {
                        out.insert(
                            m,
                            s.samples(&id, m, from, now, orcha_store::Resolution::Hour)?,
                        );
                    }
                    Ok(out)
                })
                .await
        };
        let Ok(series) = series else { continue };
        // One feature row per hour the node has all of its measured metrics.
        let mut by_hour: BTreeMap<DateTime<Utc>, BTreeMap<String, f64>> = BTreeMap::new();
        for (m, points) in &series {
            for p in points {
                by_hour
                    .entry(p.ts)
                    .or_default()
                    .insert((*m).to_owned(), p.value);
            }
        }
        let mut hours: Vec<_> = by_hour.into_iter().filter(|(_, f)| !f.is_empty()).collect();
        let Some((ts, features)) = hours.pop() else {
            continue;
        };
        for (t, f) in hours {
            history.push(crate::ml::AnomalyRow {
                id: id.to_string(),
                timestamp: Some(t.to_rfc3339()),
                features: f,
            });
        }
        rows.push(crate::ml::AnomalyRow {
            id: id.to_string(),
            timestamp: Some(ts.to_rfc3339()),
            features,
        });
    }
    if rows.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for req in crate::ml::requests_by_feature_set(rows, history) {
        let started = std::time::Instant::now();
        let resp = state.ml.anomalies(&req).await;
        state
            .metrics
            .ml_request_duration
            .with_label_values(&["anomalies"])
            .observe(started.elapsed().as_secs_f64());
        match resp {
            Ok(r) => out.extend(r.results.into_iter().filter(|a| state.node(&a.id).is_some()).map(
                |a| {
                    let v = if a.anomaly {
                        Verdict::Firing(format!(
                            "the ML engine scores the node's recent behaviour as anomalous (score {:.2}): {}",
                            a.score,
                            a.reasons.join("; ")
                        ))
                    } else {
                        Verdict::Clear
                    };
                    (RuleId::Anomaly, Some(a.id), v)
                },
            )),
            Err(e) => {
                // Surfaced, not swallowed: a refused request means anomalies go unseen.
                let ids: Vec<&str> = req.rows.iter().map(|r| r.id.as_str()).collect();
                tracing::warn!(error = %e, nodes = ?ids, "Anomaly detection failed for these nodes.");
                let available = !matches!(
                    e,
                    crate::ml::MlError::Unavailable(_) | crate::ml::MlError::Timeout { .. }
                );
                state.report_ml_status(
                    available,
                    format!("anomaly detection failed for {}: {e}", ids.join(", ")),
                );
            }
        }
    }
    out
}

/// Compares the newest forecast whose hours have all passed with what the node realized over
/// those hours, sets `orcha_forecast_error_ratio` and decides `forecast_error`.
pub(super) async fn forecast_rule(
    state: &AppState,
    node: &NodeRuntime,
) -> Option<(RuleId, Option<String>, Verdict)> {
    let now = state.clock.now();
    let id = node.config.id.clone();
    let run = {
        let id = id.clone();
        state
            .db(move |s| s.latest_complete_forecast(&id, now))
            .await
            .ok()?
    };
    let (first, last) = (run.first()?.target, run.last()?.target);
    // The hour before the first target anchors its increase.
    let points = node_history(
        state,
        &id,
        first - Duration::hours(2),
        last + Duration::hours(1),
    )
    .await
    .ok()?;
    let realized: BTreeMap<DateTime<Utc>, f64> = hourly_increases(&points).into_iter().collect();
    // The figure is cumulative, so only the window's ends must be observed: an hour missing in
    // between is carried and its earnings land in the next observed hour. An end that was not
    // observed (the node was down, or Orcha was not running) would count as a collapse of
    // earnings, so then nothing is concluded.
    let mut total = 0.0;
    for r in &run {
        total += realized.get(&r.target)?;
    }
    let p50: f64 = run.iter().map(|r| r.p50.to_f64_lossy()).sum();
    let token = run[0].p50.token.as_str();
    let (ratio, verdict) = rules::forecast_error(
        p50,
        total,
        run.len(),
        state.config.alerts.forecast_error_percent,
        token,
    );
    if let Some(ratio) = ratio {
        state
            .metrics
            .forecast_error
            .with_label_values(&[id.protocol().as_str(), id.name()])
            .set(ratio);
    }
    let verdict = match verdict {
        Verdict::Firing(msg) => Verdict::Firing(format!(
            "{msg}; model {} made at {}",
            run[0].model,
            run[0].made_at.format("%Y-%m-%d %H:%M UTC")
        )),
        v => v,
    };
    Some((RuleId::ForecastError, Some(id.to_string()), verdict))
}

/// Failed background training jobs of the ML engine become `training_failed` alerts for the
/// nodes whose series they trained; skipped while the engine is unavailable.
pub(super) async fn training_rules(state: &AppState) -> Vec<(RuleId, Option<String>, Verdict)> {
    if !state.ml_status().available {
        return Vec::new();
    }
    let started = std::time::Instant::now();
    let models = match state.ml.models().await {
        Ok(m) => m,
        Err(e) => {
            tracing::debug!(error = %e, "No training job states this cycle.");
            return Vec::new();
        }
    };
    state
        .metrics
        .ml_request_duration
        .with_label_values(&["models"])
        .observe(started.elapsed().as_secs_f64());
    state
        .nodes
        .iter()
        .map(|n| {
            let id = n.config.id.to_string();
            let v = rules::training_failed(&models.jobs, &id);
            (RuleId::TrainingFailed, Some(id), v)
        })
        .collect()
}

pub(super) async fn observe_ml_latency(state: &AppState) {
    if state.ml.base().is_none() {
        return;
    }
    let started = std::time::Instant::now();
    if state.ml.health().await.is_ok() {
        state
            .metrics
            .ml_request_duration
            .with_label_values(&["health"])
            .observe(started.elapsed().as_secs_f64());
    }
}

/// Reads every node's allocation back from its knobs, in parallel and bounded, for the
/// `orcha_node_allocation` gauge.
pub(super) async fn observe_allocations(state: &AppState) {
    let limit = std::time::Duration::from_secs(state.config.orchestrator.poll_timeout.max(1));
    let reads = state.nodes.iter().map(|n| async move {
        let r = tokio::time::timeout(limit, n.adapter.current_allocation()).await;
        (n, r)
    });
    for (n, r) in futures::future::join_all(reads).await {
        let Ok(Ok(alloc)) = r else { continue };
        let id = &n.config.id;
        for (resource, v) in alloc {
            state
                .metrics
                .node_allocation
                .with_label_values(&[id.protocol().as_str(), id.name(), resource.as_str()])
                .set(v as f64);
        }
    }
}
