//! The bridge from the event bus to the window: every domain event becomes a Tauri event with
//! the WebSocket's name and payload, a newly opened alert a desktop notification, and a timer
//! keeps the tray in step with the nodes.

use std::sync::Arc;
use std::time::Duration;

use orcha_api::dto::Event;
use orcha_api::AppState;
use tauri::{AppHandle, Emitter};
use tokio_util::sync::CancellationToken;

use crate::tray;

/// The event's payload as the window receives it: the same DTO the WebSocket carries.
pub fn event_payload(event: &Event) -> serde_json::Value {
    serde_json::to_value(event)
        .ok()
        .and_then(|mut v| v.get_mut("payload").map(serde_json::Value::take))
        .unwrap_or_default()
}

/// Shows a desktop notification for a newly opened alert (not for clears or acknowledgements).
fn notify(app: &AppHandle, alert: &orcha_api::dto::AlertDto) {
    use tauri_plugin_notification::NotificationExt;
    if alert.cleared_at.is_some() || alert.acknowledged_at.is_some() {
        return;
    }
    let node = alert
        .node
        .as_deref()
        .map(|n| format!(" on {n}"))
        .unwrap_or_default();
    let shown = app
        .notification()
        .builder()
        .title(format!(
            "DePIN Orcha: {}{node}",
            alert.rule.replace('_', " ")
        ))
        .body(alert.message.clone())
        .show();
    // Without a notification daemon (a headless box) the alert is still in the app and the log.
    if let Err(e) = shown {
        tracing::debug!(error = %e, "Could not show a desktop notification.");
    }
}

/// Forwards every event to the window and keeps the tray in step with the nodes, until
/// `cancel` fires or the bus closes.
pub async fn bridge(app: AppHandle, state: Arc<AppState>, cancel: CancellationToken) {
    let mut rx = state.subscribe();
    let mut refresh = tokio::time::interval(Duration::from_secs(5));
    let (mut ticks, mut today) = (0u64, String::from("Today: …"));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            msg = rx.recv() => match msg {
                Ok(event) => {
                    if let Event::Alert(alert) = &event {
                        notify(&app, alert);
                    }
                    if let Err(e) = app.emit(event.name(), event_payload(&event)) {
                        tracing::warn!(error = %e, "Could not forward an event to the window.");
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => tracing::warn!(skipped = n, "The window fell behind; events were skipped."),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            _ = refresh.tick() => {
                // Earnings change with polls, not every tick; a few queries every 30 s is enough.
                if ticks % 6 == 0 {
                    today = tray::today_line(&state).await;
                }
                ticks += 1;
                tray::refresh(&app, &state, &today);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_the_websocket_payload() {
        let e = Event::Automation(orcha_api::dto::AutomationEventDto {
            paused: true,
            at: chrono::Utc::now(),
        });
        assert_eq!(e.name(), "automation");
        assert_eq!(event_payload(&e)["paused"], true);
    }
}
