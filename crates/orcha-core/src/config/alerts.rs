//! The `[alerts]` table: alert rule thresholds and notification channels.

use serde::Deserialize;

/// Alert rules and notification channels. Channel credentials (ntfy token, Discord webhook URL,
/// Telegram bot token, SMTP password, a secret webhook URL) live in the keyring under
/// `alerts:<channel>/<kind>`, never here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Evaluate the alert rules at all.
    pub enabled: bool,
    /// Consecutive failed polls before a node counts as unavailable.
    pub offline_after_failures: u32,
    /// Percent drop of the earnings rate that opens an `earnings_drop` alert.
    pub earnings_drop_percent: f64,
    /// Hours of the current earnings window compared with the same hours of earlier days.
    pub earnings_window_hours: u32,
    /// Earlier days the earnings window is compared with.
    pub earnings_baseline_days: u32,
    /// Percent of the allocated disk in use that opens `disk_high`.
    pub disk_usage_percent: f64,
    /// Memory a node may use before `memory_high`, in MiB; 0 means the rule is off.
    pub memory_limit_mib: u64,
    /// Hours without new Golem earnings while the node offers before `golem_no_agreements`.
    pub golem_idle_hours: u32,
    /// Forecast error (|realized - p50| / p50, percent) that opens `forecast_error`.
    pub forecast_error_percent: f64,
    /// Turn the ML engine's anomaly scores into alerts.
    pub anomalies: bool,
    /// Lowest severity that is notified: `info`, `warning` or `critical`.
    pub notify_min_severity: String,
    /// Announce each payout a node records (at `info`, through the same channels), whatever
    /// `notify_min_severity` says; off unless the operator opts in (#20).
    pub notify_payouts: bool,
    /// Seconds before the same rule on the same node notifies again after a clear.
    pub notify_min_interval_secs: u64,
    /// Notifications sent per hour at most, over all rules (alerts are still stored).
    pub max_notifications_per_hour: u32,
    /// Seconds one notification may take.
    pub send_timeout_secs: u64,
    /// ntfy topic URL, e.g. `https://ntfy.sh/my-orcha`; empty means off.
    pub ntfy_url: String,
    /// URL that receives every alert as JSON; empty means off (or the keyring `alerts:webhook/url`).
    pub webhook_url: String,
    /// Send to the Discord webhook stored in the keyring as `alerts:discord/url`.
    pub discord: bool,
    /// Telegram chat id; empty means off. The bot token is `alerts:telegram/token`.
    pub telegram_chat_id: String,
    /// Telegram Bot API base URL.
    pub telegram_api_url: String,
    /// SMTP server; empty means no e-mail.
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `starttls`, `tls` or `none` (loopback relays only).
    pub smtp_security: String,
    /// SMTP user; its password is `alerts:smtp/password`. Empty means no authentication.
    pub smtp_username: String,
    pub smtp_from: String,
    /// Recipients, comma-separated.
    pub smtp_to: String,
    /// Channels (`ntfy`, `webhook`, `telegram`) whose credential may go over plain `http` off
    /// loopback; empty (the default) means https only.
    pub allow_insecure_http: Vec<String>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            enabled: true,
            offline_after_failures: 3,
            earnings_drop_percent: 30.0,
            earnings_window_hours: 3,
            earnings_baseline_days: 3,
            disk_usage_percent: 90.0,
            memory_limit_mib: 0,
            golem_idle_hours: 12,
            forecast_error_percent: 50.0,
            anomalies: true,
            notify_min_severity: "warning".to_owned(),
            notify_payouts: false,
            notify_min_interval_secs: 3600,
            max_notifications_per_hour: 20,
            send_timeout_secs: 10,
            ntfy_url: String::new(),
            webhook_url: String::new(),
            discord: false,
            telegram_chat_id: String::new(),
            telegram_api_url: "https://api.telegram.org".to_owned(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_security: "starttls".to_owned(),
            smtp_username: String::new(),
            smtp_from: String::new(),
            smtp_to: String::new(),
            allow_insecure_http: Vec::new(),
        }
    }
}
