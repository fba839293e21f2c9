//! The editable settings as form fields: their typed values, and where each lives in the file.

use std::collections::BTreeMap;

use orcha_core::config::Config;

use crate::dto::*;

/// One setting's value, typed as it is written to TOML.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Setting {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Setting {
    pub(super) fn toml(&self) -> toml_edit::Value {
        match self {
            Setting::Bool(b) => (*b).into(),
            Setting::Int(i) => (*i).into(),
            Setting::Float(f) => (*f).into(),
            Setting::Str(s) => s.as_str().into(),
        }
    }

    pub(super) fn display(&self) -> String {
        match self {
            Setting::Bool(b) => b.to_string(),
            Setting::Int(i) => i.to_string(),
            Setting::Float(f) => f.to_string(),
            Setting::Str(s) => s.clone(),
        }
    }
}

/// Where a setting lives in the config file.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Place {
    /// A key of a table, e.g. `["allocation"]` and `reserve_cpu_cores`.
    Key(Vec<String>, String),
    /// The `api_endpoint` of the extra node `name` in `protocols.<protocol>.nodes`.
    ExtraNode { protocol: String, name: String },
}

pub(super) struct Entry {
    pub(super) place: Place,
    pub(super) value: Setting,
}

pub(super) fn key(table: &[&str], key: &str) -> Place {
    Place::Key(
        table.iter().map(|t| (*t).to_owned()).collect(),
        key.to_owned(),
    )
}

/// The URLs a protocol reads besides its nodes' APIs.
pub(super) fn protocol_urls(c: &Config, protocol: orcha_core::ProtocolId) -> Vec<UrlSettingDto> {
    match protocol {
        orcha_core::ProtocolId::Streamr => vec![
            UrlSettingDto {
                key: "subgraph_url".to_owned(),
                value: c.protocols.streamr.subgraph_url.clone(),
            },
            UrlSettingDto {
                key: "rpc_url".to_owned(),
                value: c.protocols.streamr.rpc_url.clone(),
            },
        ],
        _ => Vec::new(),
    }
}

pub(super) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The editable settings of a configuration.
pub fn values_of(c: &Config) -> SettingsValuesDto {
    let a = &c.allocation;
    let al = &c.alerts;
    SettingsValuesDto {
        protocols: c
            .protocols
            .tables()
            .iter()
            .map(|t| ProtocolSettingsDto {
                protocol: t.protocol.as_str().to_owned(),
                enabled: t.enabled,
                auto_apply: t.auto_apply,
                poll_interval_secs: to_i64(t.poll_interval),
                nodes: t
                    .endpoints()
                    .map(|(name, endpoint)| NodeEndpointDto {
                        id: format!("{}:{name}", t.protocol.as_str()),
                        name: name.to_owned(),
                        endpoint: endpoint.to_owned(),
                    })
                    .collect(),
                urls: protocol_urls(c, t.protocol),
            })
            .collect(),
        budget: BudgetSettingsDto {
            grant_cpu_cores: a.grant_cpu_cores,
            grant_memory_mib: to_i64(a.grant_memory_mib),
            grant_disk_gib: to_i64(a.grant_disk_gib),
            reserve_cpu_cores: a.reserve_cpu_cores,
            reserve_memory_mib: to_i64(a.reserve_memory_mib),
            reserve_disk_gib: to_i64(a.reserve_disk_gib),
            bandwidth_up_mbps: to_i64(a.bandwidth_up_mbps),
            bandwidth_down_mbps: to_i64(a.bandwidth_down_mbps),
        },
        intervals: IntervalSettingsDto {
            optimization_interval_secs: to_i64(c.orchestrator.optimization_interval),
            poll_interval_secs: to_i64(c.orchestrator.poll_interval),
            poll_timeout_secs: to_i64(c.orchestrator.poll_timeout),
        },
        backup: BackupSettingsDto {
            interval_hours: to_i64(c.backup.interval_hours),
            retention: i64::from(c.backup.retention),
        },
        alerts: AlertSettingsDto {
            enabled: al.enabled,
            notify_min_severity: al.notify_min_severity.clone(),
            ntfy_url: al.ntfy_url.clone(),
            webhook_url: al.webhook_url.clone(),
            discord: al.discord,
            telegram_chat_id: al.telegram_chat_id.clone(),
            telegram_api_url: al.telegram_api_url.clone(),
            smtp_host: al.smtp_host.clone(),
            smtp_port: i64::from(al.smtp_port),
            smtp_security: al.smtp_security.clone(),
            smtp_username: al.smtp_username.clone(),
            smtp_from: al.smtp_from.clone(),
            smtp_to: al.smtp_to.clone(),
        },
        fiat: c.prices.fiat.clone(),
    }
}

/// Every setting by its form field name, with where it lives in the file. The first node of a
/// protocol is the table's own (`api_endpoint`); the others are its `nodes` entries.
pub(super) fn flatten(v: &SettingsValuesDto) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    let mut put = |field: String, place: Place, value: Setting| {
        out.insert(field, Entry { place, value });
    };
    for p in &v.protocols {
        let pr = p.protocol.as_str();
        let table = ["protocols", pr];
        let f = |k: &str| format!("protocols.{pr}.{k}");
        put(
            f("enabled"),
            key(&table, "enabled"),
            Setting::Bool(p.enabled),
        );
        put(
            f("auto_apply"),
            key(&table, "auto_apply"),
            Setting::Bool(p.auto_apply),
        );
        put(
            f("poll_interval_secs"),
            key(&table, "poll_interval"),
            Setting::Int(p.poll_interval_secs),
        );
        for (i, n) in p.nodes.iter().enumerate() {
            let place = if i == 0 {
                key(&table, "api_endpoint")
            } else {
                Place::ExtraNode {
                    protocol: pr.to_owned(),
                    name: n.name.clone(),
                }
            };
            put(
                f(&format!("nodes.{}.endpoint", n.name)),
                place,
                Setting::Str(n.endpoint.clone()),
            );
        }
        for u in &p.urls {
            put(
                f(&u.key),
                key(&table, &u.key),
                Setting::Str(u.value.clone()),
            );
        }
    }
    let b = &v.budget;
    let alloc = ["allocation"];
    for (k, val) in [
        ("grant_cpu_cores", Setting::Float(b.grant_cpu_cores)),
        ("grant_memory_mib", Setting::Int(b.grant_memory_mib)),
        ("grant_disk_gib", Setting::Int(b.grant_disk_gib)),
        ("reserve_cpu_cores", Setting::Float(b.reserve_cpu_cores)),
        ("reserve_memory_mib", Setting::Int(b.reserve_memory_mib)),
        ("reserve_disk_gib", Setting::Int(b.reserve_disk_gib)),
        ("bandwidth_up_mbps", Setting::Int(b.bandwidth_up_mbps)),
        ("bandwidth_down_mbps", Setting::Int(b.bandwidth_down_mbps)),
    ] {
        put(format!("budget.{k}"), key(&alloc, k), val);
    }
    let i = &v.intervals;
    let orch = ["orchestrator"];
    for (field, k, val) in [
        (
            "optimization_interval_secs",
            "optimization_interval",
            i.optimization_interval_secs,
        ),
        ("poll_interval_secs", "poll_interval", i.poll_interval_secs),
        ("poll_timeout_secs", "poll_timeout", i.poll_timeout_secs),
    ] {
        put(
            format!("intervals.{field}"),
            key(&orch, k),
            Setting::Int(val),
        );
    }
    let a = &v.alerts;
    let alerts = ["alerts"];
    for (k, val) in [
        ("enabled", Setting::Bool(a.enabled)),
        (
            "notify_min_severity",
            Setting::Str(a.notify_min_severity.clone()),
        ),
        ("ntfy_url", Setting::Str(a.ntfy_url.clone())),
        ("webhook_url", Setting::Str(a.webhook_url.clone())),
        ("discord", Setting::Bool(a.discord)),
        ("telegram_chat_id", Setting::Str(a.telegram_chat_id.clone())),
        ("telegram_api_url", Setting::Str(a.telegram_api_url.clone())),
        ("smtp_host", Setting::Str(a.smtp_host.clone())),
        ("smtp_port", Setting::Int(a.smtp_port)),
        ("smtp_security", Setting::Str(a.smtp_security.clone())),
        ("smtp_username", Setting::Str(a.smtp_username.clone())),
        ("smtp_from", Setting::Str(a.smtp_from.clone())),
        ("smtp_to", Setting::Str(a.smtp_to.clone())),
    ] {
        put(format!("alerts.{k}"), key(&alerts, k), val);
    }
    for (k, val) in [
        ("interval_hours", v.backup.interval_hours),
        ("retention", v.backup.retention),
    ] {
        put(
            format!("backup.{k}"),
            key(&["backup"], k),
            Setting::Int(val),
        );
    }
    put(
        "prices.fiat".to_owned(),
        key(&["prices"], "fiat"),
        Setting::Str(v.fiat.clone()),
    );
    out
}
