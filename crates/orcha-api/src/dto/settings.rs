//! Settings the operator edits in the app: what `GET /settings` shows and `PUT /settings` saves.
//!
//! Every editable value has a form field name (`protocols.storj.nodes.main.endpoint`,
//! `budget.reserve_cpu_cores`, …); an `ApiError` about a value carries that name in `field`, so
//! the form shows the message next to the input. Credentials are never part of these types: they
//! go to the keyring through the secret operations.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One node of a protocol: its configured name and the API address Orcha polls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeEndpointDto {
    /// The node id, `<protocol>:<name>`; nodes are added and renamed in the config file only.
    pub id: String,
    pub name: String,
    /// Field `protocols.<protocol>.nodes.<name>.endpoint`.
    pub endpoint: String,
}

/// A further URL a protocol reads besides its nodes' APIs (Streamr's subgraph and JSON-RPC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UrlSettingDto {
    /// The config key, e.g. `subgraph_url`; the field is `protocols.<protocol>.<key>`.
    pub key: String,
    /// Empty means the protocol's default (or none).
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtocolSettingsDto {
    /// `storj`, `golem`, `streamr` or `grass`.
    pub protocol: String,
    /// Field `protocols.<protocol>.enabled`.
    pub enabled: bool,
    /// Field `protocols.<protocol>.auto_apply`: apply allocations without asking (takes effect
    /// at once for the running nodes of this protocol).
    pub auto_apply: bool,
    /// Field `protocols.<protocol>.poll_interval_secs`; 0 means `intervals.poll_interval_secs`.
    #[ts(type = "number")]
    pub poll_interval_secs: i64,
    pub nodes: Vec<NodeEndpointDto>,
    pub urls: Vec<UrlSettingDto>,
}

/// What Orcha may hand out (`[allocation]`): grants replace detection, reserves are kept back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetSettingsDto {
    /// Field `budget.grant_cpu_cores`; 0 means the detected cores minus the reserve.
    pub grant_cpu_cores: f64,
    #[ts(type = "number")]
    pub grant_memory_mib: i64,
    #[ts(type = "number")]
    pub grant_disk_gib: i64,
    pub reserve_cpu_cores: f64,
    #[ts(type = "number")]
    pub reserve_memory_mib: i64,
    #[ts(type = "number")]
    pub reserve_disk_gib: i64,
    /// Uplink Orcha may hand out, in Mbit/s; 0 means bandwidth is not allocated.
    #[ts(type = "number")]
    pub bandwidth_up_mbps: i64,
    #[ts(type = "number")]
    pub bandwidth_down_mbps: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntervalSettingsDto {
    /// Field `intervals.optimization_interval_secs`: seconds between optimization cycles.
    #[ts(type = "number")]
    pub optimization_interval_secs: i64,
    /// Default seconds between polls of one node.
    #[ts(type = "number")]
    pub poll_interval_secs: i64,
    /// Seconds one call to a node may take.
    #[ts(type = "number")]
    pub poll_timeout_secs: i64,
}

/// `[backup]`: the schedule of encrypted backups (the passphrase is in the keyring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupSettingsDto {
    /// Field `backup.interval_hours`: hours between scheduled backups; 0 means none.
    #[ts(type = "number")]
    pub interval_hours: i64,
    /// Field `backup.retention`: how many backups are kept.
    #[ts(type = "number")]
    pub retention: i64,
}

/// The non-secret alert channel settings; channel credentials live in the keyring
/// (`alerts:<channel>/<kind>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSettingsDto {
    pub enabled: bool,
    /// `info`, `warning` or `critical`.
    pub notify_min_severity: String,
    pub ntfy_url: String,
    pub webhook_url: String,
    pub discord: bool,
    pub telegram_chat_id: String,
    pub telegram_api_url: String,
    pub smtp_host: String,
    /// A number so an out-of-range port is reported against `alerts.smtp_port`.
    #[ts(type = "number")]
    pub smtp_port: i64,
    /// `starttls`, `tls` or `none`.
    pub smtp_security: String,
    pub smtp_username: String,
    pub smtp_from: String,
    /// Recipients, comma-separated.
    pub smtp_to: String,
}

/// Every editable setting; the body of `PUT /settings` and part of its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsValuesDto {
    pub protocols: Vec<ProtocolSettingsDto>,
    pub budget: BudgetSettingsDto,
    pub intervals: IntervalSettingsDto,
    pub alerts: AlertSettingsDto,
    pub backup: BackupSettingsDto,
    /// Field `prices.fiat`: the fiat currency, a lower-case code such as `usd` or `eur`.
    pub fiat: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SettingsDto {
    /// The values as saved (the running app may still use older ones: see `restart_required`).
    pub values: SettingsValuesDto,
    /// The file saves go to; absent when this Orcha was started without one.
    pub file: Option<String>,
    /// True in demo mode: saves go to a scratch file the simulated nodes never read, discarded
    /// when the demo starts again.
    pub scratch: bool,
    /// Fields saved with a value the running app does not use until it restarts.
    pub restart_required: Vec<String>,
}

/// The answer to a save: which fields changed and when each takes effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SettingsSavedDto {
    /// Every field whose value this save changed.
    pub changed: Vec<String>,
    /// The changed fields the running app uses already.
    pub applied_live: Vec<String>,
    /// The changed fields that take effect after a restart.
    pub needs_restart: Vec<String>,
    pub settings: SettingsDto,
}
