//! Sending notifications: every configured channel in ordered background tasks, each channel's
//! last result kept for the API, and the operator's test send.
//!
//! The bookkeeping lives in `crate::notifications` (owned by `AppState`); this module only
//! reads and updates it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::channels::{self, ChannelKind, SendContext};
use super::rules::Severity;
use crate::dto::{AlertChannelDto, AlertNotificationDto};
use crate::error::NotifyError;
use crate::notifications::{lock, Notifications};
use crate::state::AppState;

pub(super) fn send_context(state: &AppState) -> SendContext {
    SendContext {
        config: state.config.alerts.clone(),
        secrets: Arc::clone(&state.secrets),
        env: |k| std::env::var(k).ok(),
    }
}

/// Sends a notification to every configured channel in background tasks, subject to the
/// severity floor and the rate limit.
pub(super) fn notify(state: &AppState, rt: &Arc<Notifications>, note: AlertNotificationDto) {
    let cfg = &state.config.alerts;
    let floor = Severity::parse(&cfg.notify_min_severity).unwrap_or(Severity::Warning);
    if Severity::parse(&note.severity).unwrap_or(Severity::Info) < floor {
        return;
    }
    let key = format!("{}:{}", note.rule, note.state);
    deliver(state, rt, note, &key);
}

/// Announces a payout a node recorded (#20), when the operator opted in with `notify_payouts`:
/// `info`, past the severity floor (the opt-in is the operator's choice), still under the hourly
/// cap. `payout_key` (the record's own key) keeps two payouts of one node apart.
pub fn notify_payout(state: &AppState, note: AlertNotificationDto, payout_key: &str) {
    if state.config.alerts.enabled && state.config.alerts.notify_payouts {
        deliver(
            state,
            &runtime(state),
            note,
            &format!("payout:{payout_key}"),
        );
    }
}

fn deliver(state: &AppState, rt: &Arc<Notifications>, note: AlertNotificationDto, key: &str) {
    let cfg = &state.config.alerts;
    let allowed = lock(&rt.limiter).allow(
        key,
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

pub(super) fn record(
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
pub async fn send_test(state: &AppState) -> Result<Vec<AlertChannelDto>, NotifyError> {
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
        return Err(NotifyError::NoChannel);
    }
    Ok(channel_status(state).await)
}

fn runtime(state: &AppState) -> Arc<Notifications> {
    Arc::clone(&state.notifications)
}
