//! Alerts: rules evaluated after every poll and cycle, opened once per incident, cleared on
//! recovery, stored in SQLite, published as events and sent to the notification channels.
//!
//! The rules are pure (`rules`); this module turns their verdicts into store writes
//! (`open_alert` de-duplicates per rule and node), `Event::Alert`s, metrics and notifications.
//! Notifications run in spawned tasks, in order, with a timeout per channel, so a failing
//! channel never delays collection or the other channels; each channel's last error is kept
//! for the API. The bookkeeping (`Notifications`) is a field of `AppState`, not global state.

pub mod channels;
pub mod rules;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use orcha_core::{EarningsKind, HealthStatus, NodeId, ProtocolId};
use orcha_store::AlertRow;
use tokio::task::JoinHandle;

use crate::cycle::predict;
use crate::dto::{AlertChannelDto, AlertNotificationDto, ApiError, ErrorCode, Event};
use crate::orchestrator::PollOutcome;
use crate::state::{AppState, NodeRuntime};
use channels::{ChannelKind, SendContext};
use rules::{RuleId, Severity, Verdict};

/// The alert bookkeeping of one `AppState`: rate limiter, channel status, send tasks. Shared by
/// `Arc` with the send tasks, which record each channel's result when they finish.
#[derive(Default)]
pub struct Notifications {
    limiter: Mutex<RateLimiter>,
    channels: Mutex<BTreeMap<ChannelKind, AlertChannelDto>>,
    /// The newest send task; each task waits for the one before it, so notifications leave in
    /// the order the alerts changed ("Resolved" never overtakes "Alert").
    last_send: Mutex<Option<JoinHandle<()>>>,
    /// Highest alert id already handled, so alerts opened elsewhere (the apply step) are
    /// notified once. Starts at the newest stored alert, so a restart does not re-notify.
    seen_id: Mutex<Option<i64>>,
}

fn runtime(state: &AppState) -> Arc<Notifications> {
    Arc::clone(&state.notifications)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Decides whether a notification goes out: one per rule and node per `min_interval` (so a
/// flapping incident is stored every time but notified once), and at most `per_hour` overall.
#[derive(Debug, Default)]
pub struct RateLimiter {
    last: HashMap<(String, Option<String>), DateTime<Utc>>,
    sent: VecDeque<DateTime<Utc>>,
}

impl RateLimiter {
    pub fn allow(
        &mut self,
        rule: &str,
        node: Option<&str>,
        now: DateTime<Utc>,
        min_interval: Duration,
        per_hour: u32,
    ) -> bool {
        while self
            .sent
            .front()
            .is_some_and(|t| now - *t >= Duration::hours(1))
        {
            self.sent.pop_front();
        }
        let key = (rule.to_owned(), node.map(str::to_owned));
        if self.last.get(&key).is_some_and(|t| now - *t < min_interval) {
            return false;
        }
        if self.sent.len() >= per_hour as usize {
            return false;
        }
        self.last.insert(key, now);
        self.sent.push_back(now);
        true
    }
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

fn send_context(state: &AppState) -> SendContext {
    SendContext {
        config: state.config.alerts.clone(),
        secrets: Arc::clone(&state.secrets),
        env: |k| std::env::var(k).ok(),
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
        verdicts.push((
            RuleId::MemoryHigh,
            rules::memory_high(&live.metrics, cfg.memory_limit_mib),
        ));
        verdicts.extend(rules::health_signals(&outcome.health));
    }
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
        changes.extend(earnings_rules(state, node).await);
    }
    changes.extend(anomaly_rules(state).await);
    for node in &state.nodes {
        changes.extend(forecast_rule(state, node).await);
    }
    changes.extend(training_rules(state).await);
    apply_verdicts(state, changes).await;
    notify_foreign(state).await;
    observe_ml_latency(state).await;
    observe_allocations(state).await;
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

/// The cumulative earnings series a node's rate is measured on: lifetime if it has one, else
/// the current-period estimate, else the sum of Golem's invoice states.
async fn earnings_series(
    state: &AppState,
    id: &NodeId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<(Vec<(DateTime<Utc>, f64)>, String)> {
    let kinds = [
        vec![EarningsKind::Lifetime],
        vec![EarningsKind::CurrentPeriodEstimate],
        vec![
            EarningsKind::Pending,
            EarningsKind::Accepted,
            EarningsKind::Settled,
        ],
    ];
    let mut fallback = None;
    for group in kinds {
        let (id, g) = (id.clone(), group.clone());
        let rows = state
            .db(move |s| {
                let mut out = Vec::new();
                for k in g {
                    out.push(s.earnings_history(&id, k, from, to)?);
                }
                Ok(out)
            })
            .await
            .ok()?;
        if rows.iter().all(Vec::is_empty) {
            continue;
        }
        let token = rows
            .iter()
            .flatten()
            .next()
            .map(|(_, m)| m.token.as_str().to_owned())
            .unwrap_or_default();
        // Several figures: sum them at every observation time (they are written together).
        let mut by_time: BTreeMap<DateTime<Utc>, f64> = BTreeMap::new();
        for (t, m) in rows.iter().flatten() {
            *by_time.entry(*t).or_default() += m.to_f64_lossy();
        }
        let series: Vec<(DateTime<Utc>, f64)> = by_time.into_iter().collect();
        // A figure that never moves here (Storj's lifetime only grows with monthly paystubs)
        // says nothing about the rate; try the next one.
        let moves = series.windows(2).any(|w| w[1].1 > w[0].1);
        if moves {
            return Some((series, token));
        }
        fallback.get_or_insert((series, token));
    }
    fallback
}

async fn earnings_rules(
    state: &AppState,
    node: &NodeRuntime,
) -> Vec<(RuleId, Option<String>, Verdict)> {
    let cfg = &state.config.alerts;
    let now = state.clock.now();
    let days = i64::from(cfg.earnings_baseline_days.max(1));
    let hours = i64::from(cfg.earnings_window_hours.max(1).max(cfg.golem_idle_hours));
    let from = now - Duration::days(days) - Duration::hours(hours) - Duration::hours(1);
    let id = node.config.id.clone();
    let Some((series, token)) = earnings_series(state, &id, from, now + Duration::seconds(1)).await
    else {
        return Vec::new();
    };
    let mut out = vec![(
        RuleId::EarningsDrop,
        Some(id.to_string()),
        rules::earnings_drop(&series, now, cfg, &token),
    )];
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
async fn anomaly_rules(state: &AppState) -> Vec<(RuleId, Option<String>, Verdict)> {
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
    let req = crate::ml::AnomalyRequest {
        rows,
        history: Some(history),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let resp = state.ml.anomalies(&req).await;
    state
        .metrics
        .ml_request_duration
        .with_label_values(&["anomalies"])
        .observe(started.elapsed().as_secs_f64());
    match resp {
        Ok(r) => r
            .results
            .into_iter()
            .filter(|a| state.node(&a.id).is_some())
            .map(|a| {
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
            })
            .collect(),
        Err(e) => {
            // Too little history is normal on a fresh install; nothing is concluded.
            tracing::debug!(error = %e, "No anomaly scores this cycle.");
            Vec::new()
        }
    }
}

/// Compares the newest forecast whose hours have all passed with what the node realized over
/// those hours, sets `orcha_forecast_error_ratio` and decides `forecast_error`.
async fn forecast_rule(
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
    let points = predict::node_history(
        state,
        &id,
        first - Duration::hours(2),
        last + Duration::hours(1),
    )
    .await
    .ok()?;
    let realized: BTreeMap<DateTime<Utc>, f64> =
        predict::hourly_increases(&points).into_iter().collect();
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
async fn training_rules(state: &AppState) -> Vec<(RuleId, Option<String>, Verdict)> {
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

async fn observe_ml_latency(state: &AppState) {
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
async fn observe_allocations(state: &AppState) {
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
            tracing::error!(error = %e.message, "Could not store alerts.");
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
        state.publish(Event::Alert(crate::ops::alert_dto(row.clone())));
        notify(state, &rt, note_of(&row, what));
    }
    refresh_open_gauge(state).await;
}

async fn refresh_open_gauge(state: &AppState) {
    if let Ok(open) = state.db(|s| s.alerts(false, 10_000)).await {
        state.metrics.alerts_open.set(open.len() as i64);
    }
}

/// Sends a notification to every configured channel in background tasks, subject to the
/// severity floor and the rate limit.
fn notify(state: &AppState, rt: &Arc<Notifications>, note: AlertNotificationDto) {
    let cfg = &state.config.alerts;
    let floor = Severity::parse(&cfg.notify_min_severity).unwrap_or(Severity::Warning);
    if Severity::parse(&note.severity).unwrap_or(Severity::Info) < floor {
        return;
    }
    let allowed = lock(&rt.limiter).allow(
        &format!("{}:{}", note.rule, note.state),
        note.node.as_deref(),
        state.clock.now(),
        Duration::seconds(i64::try_from(cfg.notify_min_interval_secs).unwrap_or(i64::MAX / 2_000)),
        cfg.max_notifications_per_hour,
    );
    let ctx = send_context(state);
    let metrics = state.metrics.clone();
    let clock = Arc::clone(&state.clock);
    let rt2 = Arc::clone(rt);
    let mut last = lock(&rt.last_send);
    let previous = last.take();
    *last = Some(tokio::spawn(async move {
        if let Some(p) = previous {
            let _ = p.await;
        }
        let sends = ChannelKind::ALL.into_iter().map(|ch| {
            let (ctx, note, metrics, clock, rt) = (&ctx, &note, &metrics, &clock, &rt2);
            async move {
                if !ctx.configured(ch).await {
                    return;
                }
                if !allowed {
                    metrics
                        .alert_notifications
                        .with_label_values(&[ch.as_str(), "rate_limited"])
                        .inc();
                    return;
                }
                let r = ctx.send(ch, note).await;
                record(rt, metrics, ch, clock.now(), &r);
            }
        });
        futures::future::join_all(sends).await;
    }));
}

fn record(
    rt: &Notifications,
    metrics: &crate::metrics::Metrics,
    ch: ChannelKind,
    at: DateTime<Utc>,
    r: &Result<(), channels::ChannelError>,
) {
    metrics
        .alert_notifications
        .with_label_values(&[ch.as_str(), if r.is_ok() { "ok" } else { "error" }])
        .inc();
    let mut map = lock(&rt.channels);
    let entry = map.entry(ch).or_insert_with(|| empty_status(ch));
    match r {
        Ok(()) => entry.last_sent_at = Some(at),
        Err(e) => {
            tracing::warn!(channel = ch.as_str(), error = %e, "An alert notification failed.");
            entry.last_error = Some(e.to_string());
            entry.last_error_at = Some(at);
        }
    }
}

fn empty_status(ch: ChannelKind) -> AlertChannelDto {
    AlertChannelDto {
        channel: ch.as_str().to_owned(),
        configured: false,
        last_sent_at: None,
        last_error: None,
        last_error_at: None,
    }
}

/// Waits for every notification in flight (tests, and shutdown when it wants them delivered).
pub async fn flush(state: &AppState) {
    let rt = runtime(state);
    // The newest task waits for all earlier ones.
    let last = lock(&rt.last_send).take();
    if let Some(t) = last {
        let _ = t.await;
    }
}

/// Every channel with whether it is configured and how its last send went.
pub async fn channel_status(state: &AppState) -> Vec<AlertChannelDto> {
    let rt = runtime(state);
    let ctx = send_context(state);
    let mut out = Vec::new();
    for ch in ChannelKind::ALL {
        let mut dto = lock(&rt.channels)
            .get(&ch)
            .cloned()
            .unwrap_or_else(|| empty_status(ch));
        dto.configured = ctx.configured(ch).await;
        out.push(dto);
    }
    out
}

/// Sends a test notification to every configured channel now, bypassing the rate limit, and
/// reports each channel's result.
pub async fn send_test(state: &AppState) -> Result<Vec<AlertChannelDto>, ApiError> {
    let rt = runtime(state);
    let ctx = send_context(state);
    let note = AlertNotificationDto {
        state: "test".to_owned(),
        id: None,
        rule: "test".to_owned(),
        severity: "info".to_owned(),
        node: None,
        message: "This is a test alert from DePIN Orcha: this channel works.".to_owned(),
        at: state.clock.now(),
    };
    let mut any = false;
    let sends = ChannelKind::ALL.map(|ch| {
        let (ctx, note) = (&ctx, &note);
        async move {
            if ctx.configured(ch).await {
                Some((ch, ctx.send(ch, note).await))
            } else {
                None
            }
        }
    });
    for (ch, r) in futures::future::join_all(sends).await.into_iter().flatten() {
        any = true;
        record(&rt, &state.metrics, ch, state.clock.now(), &r);
    }
    if !any {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "no alert channel is configured (see the [alerts] settings)",
        ));
    }
    Ok(channel_status(state).await)
}
