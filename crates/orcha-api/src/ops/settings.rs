//! Settings: show the editable settings, check a change, and write it into the config file.
//!
//! A save edits the file with `toml_edit`, so the operator's comments, key order and formatting
//! survive, and it writes only the keys whose value changed. The new text is parsed by the real
//! config parser before it replaces the file (temporary file + rename), so a save never leaves a
//! file Orcha would refuse at its next start. The running orchestrator keeps the config it
//! started with: only per-protocol auto-apply has a live switch (`AppState::allocation`), every
//! other change waits for a restart, and the answer says which is which.
//!
//! Demo mode has no operator file (the demo derives its nodes from the simulator), so saves go
//! to a scratch file under the demo's data directory that nothing reads and that is removed when
//! the demo starts again; the checks are the same, which keeps the settings screen usable.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use orcha_core::config::Config;
use orcha_core::secret::SecretKey;
use toml_edit::{DocumentMut, InlineTable, Item, Table};

use crate::alerts::channels::{ChannelKind, SendContext};
use crate::dto::*;
pub use crate::settings_file::SettingsFile;
use crate::state::AppState;

/// One setting's value, typed as it is written to TOML.
#[derive(Debug, Clone, PartialEq)]
enum Setting {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Setting {
    fn toml(&self) -> toml_edit::Value {
        match self {
            Setting::Bool(b) => (*b).into(),
            Setting::Int(i) => (*i).into(),
            Setting::Float(f) => (*f).into(),
            Setting::Str(s) => s.as_str().into(),
        }
    }

    fn display(&self) -> String {
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
enum Place {
    /// A key of a table, e.g. `["allocation"]` and `reserve_cpu_cores`.
    Key(Vec<String>, String),
    /// The `api_endpoint` of the extra node `name` in `protocols.<protocol>.nodes`.
    ExtraNode { protocol: String, name: String },
}

struct Entry {
    place: Place,
    value: Setting,
}

fn key(table: &[&str], key: &str) -> Place {
    Place::Key(
        table.iter().map(|t| (*t).to_owned()).collect(),
        key.to_owned(),
    )
}

/// The URLs a protocol reads besides its nodes' APIs.
fn protocol_urls(c: &Config, protocol: orcha_core::ProtocolId) -> Vec<UrlSettingDto> {
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

fn to_i64(v: u64) -> i64 {
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
fn flatten(v: &SettingsValuesDto) -> BTreeMap<String, Entry> {
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
    put(
        "prices.fiat".to_owned(),
        key(&["prices"], "fiat"),
        Setting::Str(v.fiat.clone()),
    );
    out
}

// ---------------------------------------------------------------------------------------------
// Checks

/// URL query keys that carry a credential; such a URL belongs in the keyring.
const CREDENTIAL_QUERY_KEYS: [&str; 9] = [
    "token",
    "access_token",
    "key",
    "apikey",
    "api_key",
    "secret",
    "password",
    "sig",
    "signature",
];

/// Checks an http(s) URL: scheme, host, port range, and no credential in it.
fn check_url(value: &str, required: bool) -> Result<(), String> {
    if value.is_empty() {
        return if required {
            Err("Enter a URL, e.g. http://127.0.0.1:14002.".to_owned())
        } else {
            Ok(())
        };
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("The URL must not contain spaces.".to_owned());
    }
    let url = match url::Url::parse(value) {
        Ok(u) => u,
        Err(url::ParseError::InvalidPort) => {
            return Err("The port must be a number from 1 to 65535.".to_owned())
        }
        Err(_) => {
            return Err(
                "Not a valid URL: expected http:// or https://, a host and an optional port."
                    .to_owned(),
            )
        }
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err("The URL must start with http:// or https://.".to_owned());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("The URL has no host.".to_owned());
    }
    if url.port() == Some(0) {
        return Err("The port must be a number from 1 to 65535.".to_owned());
    }
    let credential_in_query = url
        .query_pairs()
        .any(|(k, _)| CREDENTIAL_QUERY_KEYS.contains(&k.to_ascii_lowercase().as_str()));
    if !url.username().is_empty() || url.password().is_some() || credential_in_query {
        return Err("This URL carries a credential; credentials are never written to the config file. Store it in the keyring instead.".to_owned());
    }
    Ok(())
}

fn check_range(v: i64, min: i64, max: i64, what: &str) -> Result<(), String> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(format!("Enter {what} from {min} to {max}."))
    }
}

fn check_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !v.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
}

fn check_hostname(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 253
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// Checks one changed field on its own; the message is shown next to that field.
fn check_field(field: &str, value: &Setting) -> Result<(), String> {
    if let Setting::Str(s) = value {
        if s.len() > 2048 || s.chars().any(char::is_control) {
            return Err("At most 2048 characters, without control characters.".to_owned());
        }
    }
    let int = |v: &Setting| match v {
        Setting::Int(i) => *i,
        _ => i64::MIN,
    };
    let text = |v: &Setting| match v {
        Setting::Str(s) => s.clone(),
        _ => String::new(),
    };
    match field {
        f if f.starts_with("protocols.") && f.ends_with(".endpoint") => {
            check_url(&text(value), true)
        }
        "protocols.streamr.subgraph_url" | "protocols.streamr.rpc_url" => {
            check_url(&text(value), false)
        }
        f if f.starts_with("protocols.") && f.ends_with(".poll_interval_secs") => {
            check_range(int(value), 0, 86_400, "0 (the default interval) or seconds")
        }
        "intervals.optimization_interval_secs" => {
            check_range(int(value), 10, 7 * 86_400, "seconds")
        }
        "intervals.poll_interval_secs" => check_range(int(value), 1, 86_400, "seconds"),
        "intervals.poll_timeout_secs" => check_range(int(value), 1, 600, "seconds"),
        "budget.grant_cpu_cores" | "budget.reserve_cpu_cores" => match value {
            Setting::Float(c) if c.is_finite() && (0.0..=4096.0).contains(c) => Ok(()),
            _ => Err("Enter a number of cores from 0 to 4096.".to_owned()),
        },
        "budget.grant_memory_mib" | "budget.reserve_memory_mib" => {
            check_range(int(value), 0, 64 * 1024 * 1024, "MiB")
        }
        "budget.grant_disk_gib" | "budget.reserve_disk_gib" => {
            check_range(int(value), 0, 1024 * 1024, "GiB")
        }
        "budget.bandwidth_up_mbps" | "budget.bandwidth_down_mbps" => {
            check_range(int(value), 0, 400_000, "Mbit/s")
        }
        "alerts.notify_min_severity" => match text(value).as_str() {
            "info" | "warning" | "critical" => Ok(()),
            _ => Err("Choose info, warning or critical.".to_owned()),
        },
        "alerts.ntfy_url" | "alerts.webhook_url" => check_url(&text(value), false),
        "alerts.telegram_api_url" => check_url(&text(value), true),
        "alerts.telegram_chat_id" => {
            let id = text(value);
            let numeric = id
                .strip_prefix('-')
                .unwrap_or(&id)
                .bytes()
                .all(|b| b.is_ascii_digit());
            let channel = id.strip_prefix('@').is_some_and(|n| {
                n.len() >= 5 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
            if id.is_empty() || (numeric && !id.trim_start_matches('-').is_empty()) || channel {
                Ok(())
            } else {
                Err("A chat id is a number (e.g. -1001234567890) or @channelname.".to_owned())
            }
        }
        "alerts.smtp_host" => {
            let h = text(value);
            if h.is_empty() || check_hostname(&h) {
                Ok(())
            } else {
                Err("Enter a host name such as smtp.example.com (no http://).".to_owned())
            }
        }
        "alerts.smtp_port" => check_range(int(value), 1, 65_535, "a port"),
        "alerts.smtp_security" => match text(value).as_str() {
            "starttls" | "tls" | "none" => Ok(()),
            _ => Err("Choose starttls, tls or none.".to_owned()),
        },
        "alerts.smtp_from" => {
            let v = text(value);
            if v.is_empty() || check_email(&v) {
                Ok(())
            } else {
                Err("Enter an e-mail address such as orcha@example.com.".to_owned())
            }
        }
        "alerts.smtp_to" => {
            let v = text(value);
            if v.is_empty() || v.split(',').all(|a| check_email(a.trim())) {
                Ok(())
            } else {
                Err("Enter e-mail addresses separated by commas.".to_owned())
            }
        }
        "prices.fiat" => {
            let v = text(value);
            if (2..=10).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_lowercase()) {
                Ok(())
            } else {
                Err("Enter a lower-case currency code such as usd or eur.".to_owned())
            }
        }
        _ => Ok(()),
    }
}

fn get<'a>(m: &'a BTreeMap<String, Entry>, field: &str) -> Option<&'a Setting> {
    m.get(field).map(|e| &e.value)
}

/// Checks every changed field, then the rules that span fields when one of theirs changed.
fn validate(changed: &BTreeSet<String>, new: &BTreeMap<String, Entry>) -> Result<(), ApiError> {
    for field in changed {
        if let Some(v) = get(new, field) {
            check_field(field, v).map_err(|m| ApiError::bad_field(field, m))?;
        }
    }
    let touched = |fields: &[&str]| fields.iter().any(|f| changed.contains(*f));
    let grass_poll = "protocols.grass.poll_interval_secs";
    if touched(&["protocols.grass.enabled", grass_poll])
        && get(new, "protocols.grass.enabled") == Some(&Setting::Bool(true))
        && matches!(get(new, grass_poll), Some(Setting::Int(p)) if *p < 300)
    {
        return Err(ApiError::bad_field(
            grass_poll,
            "Grass's cloud API rate-limits: poll at most every 300 seconds.",
        ));
    }
    if touched(&["alerts.smtp_host", "alerts.smtp_from", "alerts.smtp_to"])
        && !matches!(get(new, "alerts.smtp_host"), Some(Setting::Str(h)) if h.is_empty())
    {
        for f in ["alerts.smtp_from", "alerts.smtp_to"] {
            if matches!(get(new, f), Some(Setting::Str(v)) if v.is_empty()) {
                return Err(ApiError::bad_field(
                    f,
                    "Required when an SMTP server is set.",
                ));
            }
        }
    }
    Ok(())
}

/// Channels that need a credential before they can be switched on: the keyring entry must be
/// stored (or set in the environment) first. The error names the credential's form field.
async fn check_required_secrets(
    state: &AppState,
    changed: &BTreeSet<String>,
    new: &BTreeMap<String, Entry>,
) -> Result<(), ApiError> {
    let ctx = SendContext {
        config: state.config.alerts.clone(),
        secrets: Arc::clone(&state.secrets),
        env: |k| std::env::var(k).ok(),
    };
    let needs = [
        (
            "alerts.telegram_chat_id",
            matches!(get(new, "alerts.telegram_chat_id"), Some(Setting::Str(s)) if !s.is_empty()),
            ChannelKind::Telegram,
            "token",
            "alerts:telegram/token",
            "Store the Telegram bot token before setting a chat id.",
        ),
        (
            "alerts.discord",
            get(new, "alerts.discord") == Some(&Setting::Bool(true)),
            ChannelKind::Discord,
            "url",
            "alerts:discord/url",
            "Store the Discord webhook URL before switching Discord on.",
        ),
    ];
    for (field, on, channel, kind, secret_field, message) in needs {
        if !(on && changed.contains(field)) {
            continue;
        }
        match ctx.secret(channel, kind).await {
            Ok(Some(_)) => {}
            Ok(None) => return Err(ApiError::bad_field(secret_field, message)),
            Err(e) => return Err(ApiError::new(ErrorCode::Unavailable, e.to_string())),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The file

fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message)
}

/// Descends into (or creates) the table at `path`, keeping inline tables inline.
fn table_at<'a>(
    doc: &'a mut DocumentMut,
    path: &[String],
) -> Result<&'a mut dyn toml_edit::TableLike, String> {
    let mut item: &mut Item = doc.as_item_mut();
    for (depth, name) in path.iter().enumerate() {
        let inline = item.is_inline_table();
        let table = item
            .as_table_like_mut()
            .ok_or_else(|| format!("`{}` is not a table", path[..depth].join(".")))?;
        if table.get(name).is_none() {
            let fresh = if inline {
                Item::Value(toml_edit::Value::InlineTable(InlineTable::new()))
            } else {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            };
            table.insert(name, fresh);
        }
        item = table
            .get_mut(name)
            .ok_or_else(|| format!("`{}` could not be created", path[..=depth].join(".")))?;
    }
    item.as_table_like_mut()
        .ok_or_else(|| format!("`{}` is not a table", path.join(".")))
}

/// Sets `key` in `table`, keeping the comment after an existing value.
fn set_key(table: &mut dyn toml_edit::TableLike, key: &str, value: &Setting) -> Result<(), String> {
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            let decor = old.decor().clone();
            *old = value.toml();
            *old.decor_mut() = decor;
            Ok(())
        }
        Some(_) => Err(format!("`{key}` is not a plain value")),
        None => {
            table.insert(key, Item::Value(value.toml()));
            Ok(())
        }
    }
}

/// Sets the `api_endpoint` of the extra node `name` in `protocols.<protocol>.nodes`, written
/// either as `[[protocols.<protocol>.nodes]]` tables or as an inline array.
fn set_extra_endpoint(
    doc: &mut DocumentMut,
    protocol: &str,
    name: &str,
    value: &Setting,
) -> Result<(), String> {
    let missing = || format!("node `{protocol}:{name}` is not in the file any more");
    let table = table_at(doc, &["protocols".to_owned(), protocol.to_owned()])?;
    let nodes = table.get_mut("nodes").ok_or_else(missing)?;
    let has_name = |n: Option<&str>| n == Some(name);
    if let Some(aot) = nodes.as_array_of_tables_mut() {
        let t = aot
            .iter_mut()
            .find(|t| has_name(t.get("name").and_then(Item::as_str)))
            .ok_or_else(missing)?;
        return set_key(t, "api_endpoint", value);
    }
    if let Some(array) = nodes.as_array_mut() {
        let t = array
            .iter_mut()
            .filter_map(toml_edit::Value::as_inline_table_mut)
            .find(|t| has_name(t.get("name").and_then(toml_edit::Value::as_str)))
            .ok_or_else(missing)?;
        return set_key(t, "api_endpoint", value);
    }
    Err(missing())
}

/// Edits `text` with the changed entries and returns the new text.
fn edit(text: &str, changes: &[(String, Entry)]) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        format!(
            "it is not valid TOML any more ({})",
            e.message().lines().next().unwrap_or("")
        )
    })?;
    for (field, entry) in changes {
        let value = &entry.value;
        let r = match &entry.place {
            Place::Key(path, key) => table_at(&mut doc, path).and_then(|t| set_key(t, key, value)),
            Place::ExtraNode { protocol, name } => {
                set_extra_endpoint(&mut doc, protocol, name, value)
            }
        };
        r.map_err(|e| format!("cannot write `{field}`: {e}"))?;
    }
    Ok(doc.to_string())
}

/// Replaces `path` with `text` atomically: a temporary file in the same directory, flushed to
/// disk, then renamed over the old file (whose permissions it keeps). A symlink is followed, so
/// the link stays and its target is replaced.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = target.file_name().map_or_else(
        || "config.toml".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(&target) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Reads the file, applies the changes, proves the result loads, and replaces the file.
/// Returns the configuration the new file holds.
fn save_file(path: &Path, changes: &[(String, Entry)]) -> Result<Config, ApiError> {
    let text = match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return Err(conflict(format!(
                "{} is not a regular file, so settings cannot be saved to it; start Orcha with --config <file> (or CONFIG_PATH) to save settings",
                path.display()
            )))
        }
        Ok(_) => std::fs::read_to_string(path)
            .map_err(|e| conflict(format!("cannot read {}: {e}", path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(conflict(format!("cannot read {}: {e}", path.display()))),
    };
    let new_text = edit(&text, changes)
        .map_err(|e| conflict(format!("cannot edit {}: {e}", path.display())))?;
    // The same parser the next start uses: a file it would refuse is never written.
    let config = Config::from_toml(&new_text, path).map_err(|e| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("the settings were not saved because the file would not load: {e}"),
        )
    })?;
    write_atomically(path, &new_text)
        .map_err(|e| conflict(format!("cannot write {}: {e}", path.display())))?;
    Ok(config)
}

// ---------------------------------------------------------------------------------------------
// Operations

/// Whether a field takes effect without a restart: auto-apply has a live switch, used when the
/// protocol has running nodes.
fn is_live(state: &AppState, field: &str) -> bool {
    field
        .strip_prefix("protocols.")
        .and_then(|r| r.strip_suffix(".auto_apply"))
        .is_some_and(|p| {
            state
                .nodes
                .iter()
                .any(|n| n.config.id.protocol().as_str() == p)
        })
}

/// Fields whose value differs between two sets of settings (present in only one counts).
fn differing(a: &BTreeMap<String, Entry>, b: &BTreeMap<String, Entry>) -> BTreeSet<String> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| get(a, k) != get(b, k))
        .cloned()
        .collect()
}

/// Saved fields the running app does not use yet.
fn pending(state: &AppState, saved: Option<&SettingsValuesDto>) -> Vec<String> {
    let Some(saved) = saved else {
        return Vec::new();
    };
    differing(&flatten(saved), &flatten(&values_of(&state.config)))
        .into_iter()
        .filter(|f| !is_live(state, f))
        .collect()
}

/// True when saved settings wait for a restart (shown in the status).
pub fn restart_required(state: &AppState) -> bool {
    let saved = state.settings.lock().saved.clone();
    !pending(state, saved.as_ref()).is_empty()
}

fn settings_dto(state: &AppState) -> SettingsDto {
    let (path, scratch, saved) = {
        let s = state.settings.lock();
        (s.path.clone(), s.scratch, s.saved.clone())
    };
    SettingsDto {
        restart_required: pending(state, saved.as_ref()),
        values: saved.unwrap_or_else(|| values_of(&state.config)),
        file: path.map(|p| p.display().to_string()),
        scratch,
    }
}

/// The editable settings as saved, and which of them wait for a restart.
// Every operation is async so both front doors wrap them the same way.
#[allow(clippy::unused_async)]
pub async fn settings(state: &Arc<AppState>) -> Result<SettingsDto, ApiError> {
    Ok(settings_dto(state))
}

/// Checks the settings, writes the changed ones into the config file, switches auto-apply live
/// and says which changes wait for a restart. Nothing is written when a check fails.
pub async fn update_settings(
    state: &Arc<AppState>,
    req: SettingsValuesDto,
) -> Result<SettingsSavedDto, ApiError> {
    let _saving = state.settings.save.lock().await;
    let shown = settings_dto(state).values;
    let before = flatten(&shown);
    let after = flatten(&req);
    // Nodes are added, removed and renamed in the file only; the form edits what is there.
    if let Some(odd) = before
        .keys()
        .chain(after.keys())
        .find(|k| before.contains_key(*k) != after.contains_key(*k))
    {
        let field = if after.contains_key(odd) {
            odd.clone()
        } else {
            odd.split('.').take(2).collect::<Vec<_>>().join(".")
        };
        return Err(ApiError::bad_field(
            &field,
            format!("`{odd}` does not match the configured settings; nodes are added, removed and renamed in the config file. Reload the settings."),
        ));
    }
    let changed = differing(&before, &after);
    validate(&changed, &after)?;
    check_required_secrets(state, &changed, &after).await?;
    if changed.is_empty() {
        return Ok(SettingsSavedDto {
            changed: Vec::new(),
            applied_live: Vec::new(),
            needs_restart: Vec::new(),
            settings: settings_dto(state),
        });
    }
    let (path, scratch) = {
        let s = state.settings.lock();
        (s.path.clone(), s.scratch)
    };
    let path = path.ok_or_else(|| {
        conflict("this Orcha was started without a configuration file to save to")
    })?;

    let file_path = path.clone();
    // Where each value goes comes from the settings shown; the value from the request.
    let writes: Vec<(String, Entry)> = changed
        .iter()
        .filter_map(|f| {
            let entry = Entry {
                place: before.get(f)?.place.clone(),
                value: get(&after, f)?.clone(),
            };
            Some((f.clone(), entry))
        })
        .collect();
    let written = tokio::task::spawn_blocking(move || save_file(&file_path, &writes))
        .await
        .map_err(ApiError::internal)??;

    // The operator's file may hold hand edits made since the start; what it now says is the
    // truth. The demo's scratch file holds only the changes, so there the request is.
    let saved = if scratch { req } else { values_of(&written) };
    state.settings.lock().saved = Some(saved);

    let mut applied_live = Vec::new();
    for field in &changed {
        if !is_live(state, field) {
            continue;
        }
        let Some(Setting::Bool(on)) = get(&after, field) else {
            continue;
        };
        let protocol = field
            .trim_start_matches("protocols.")
            .trim_end_matches(".auto_apply");
        for n in &state.nodes {
            let id = &n.config.id;
            // A node with its own `allocation.nodes` switch keeps it, as it will after a restart.
            let own = state
                .config
                .allocation
                .nodes
                .get(&id.to_string())
                .and_then(|e| e.auto_apply)
                .is_some();
            if id.protocol().as_str() == protocol && !own {
                // The allocation screen's switch: audited, so it also holds after a restart.
                super::set_auto_apply(
                    state,
                    AutoApplyRequest {
                        node: id.to_string(),
                        enabled: *on,
                    },
                )
                .await?;
            }
        }
        applied_live.push(field.clone());
    }

    let at = state.clock.now();
    let audit: Vec<(String, String, String)> = changed
        .iter()
        .map(|f| {
            let show = |m: &BTreeMap<String, Entry>| get(m, f).map(Setting::display);
            (
                format!("settings:{f}"),
                show(&before).unwrap_or_default(),
                show(&after).unwrap_or_default(),
            )
        })
        .collect();
    state
        .db(move |s| {
            for (k, old, new) in &audit {
                s.audit_config(at, "operator", k, Some(old), Some(new))?;
            }
            Ok(())
        })
        .await?;
    tracing::info!(file = %path.display(), changed = changed.len(), "Settings saved.");

    let needs_restart = changed
        .iter()
        .filter(|f| !applied_live.contains(f))
        .cloned()
        .collect();
    Ok(SettingsSavedDto {
        changed: changed.into_iter().collect(),
        applied_live,
        needs_restart,
        settings: settings_dto(state),
    })
}

/// Whether an alert channel credential (`alerts:<channel>/<kind>`) is stored in the keyring.
pub async fn alert_secret_status(
    state: &Arc<AppState>,
    key: String,
) -> Result<SecretStatusDto, ApiError> {
    let k: SecretKey = crate::alerts::channels::secret_key(&key).ok_or_else(|| {
        ApiError::bad_field("key", format!("`{key}` is not an alert channel credential"))
    })?;
    let secrets = Arc::clone(&state.secrets);
    let stored = tokio::task::spawn_blocking(move || secrets.get(&k))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?
        .is_some();
    Ok(SecretStatusDto { key, stored })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(table: &[&str], k: &str, v: Setting) -> Entry {
        Entry {
            place: key(table, k),
            value: v,
        }
    }

    #[test]
    fn edit_keeps_comments_and_creates_missing_tables() {
        let text = "# my orcha\n[protocols.storj]\n# the dashboard\napi_endpoint = \"http://127.0.0.1:14002\" # local\nenabled = true\n";
        let e1 = entry(
            &["protocols", "storj"],
            "api_endpoint",
            Setting::Str("http://10.0.0.2:14002".into()),
        );
        let e2 = entry(&["allocation"], "reserve_cpu_cores", Setting::Float(2.0));
        let out = edit(text, &[("a".into(), e1), ("b".into(), e2)]).unwrap();
        assert!(
            out.starts_with("# my orcha\n[protocols.storj]\n# the dashboard\n"),
            "{out}"
        );
        assert!(
            out.contains("api_endpoint = \"http://10.0.0.2:14002\" # local"),
            "{out}"
        );
        assert!(
            out.contains("[allocation]\nreserve_cpu_cores = 2.0"),
            "{out}"
        );
        let c = Config::from_toml(&out, Path::new("x.toml")).unwrap();
        assert!((c.allocation.reserve_cpu_cores - 2.0).abs() < f64::EPSILON);
    }

    #[test]
    fn edit_finds_extra_nodes_in_both_spellings() {
        let e = || {
            vec![(
                "f".to_owned(),
                Entry {
                    place: Place::ExtraNode {
                        protocol: "storj".into(),
                        name: "disk2".into(),
                    },
                    value: Setting::Str("http://127.0.0.1:15000".into()),
                },
            )]
        };
        let tables = "[protocols.storj]\n[[protocols.storj.nodes]]\nname = \"disk2\"\napi_endpoint = \"http://x:1\"\n";
        assert!(edit(tables, &e()).unwrap().contains("15000"));
        let inline =
            "[protocols.storj]\nnodes = [{ name = \"disk2\", api_endpoint = \"http://x:1\" }]\n";
        assert!(edit(inline, &e()).unwrap().contains("15000"));
        let gone = "[protocols.storj]\n";
        assert!(edit(gone, &e()).unwrap_err().contains("not in the file"));
    }

    #[test]
    fn urls_are_checked_for_shape_port_and_credentials() {
        assert!(check_url("http://127.0.0.1:14002", true).is_ok());
        assert!(check_url("https://api.getgrass.io", true).is_ok());
        assert!(check_url("", false).is_ok());
        assert!(check_url("", true).unwrap_err().contains("Enter a URL"));
        assert!(check_url("localhost:7465", true)
            .unwrap_err()
            .contains("http://"));
        assert!(check_url("not a url", true).unwrap_err().contains("spaces"));
        assert!(check_url("ftp://x", true).unwrap_err().contains("http://"));
        assert!(check_url("http://x:70000", true)
            .unwrap_err()
            .contains("65535"));
        assert!(check_url("http://x:0", true).unwrap_err().contains("65535"));
        assert!(check_url("http://u:p@x", true)
            .unwrap_err()
            .contains("credential"));
        assert!(check_url("https://x/h?token=abc", true)
            .unwrap_err()
            .contains("credential"));
    }

    #[test]
    fn only_changed_fields_are_checked_and_cross_field_rules_follow_them() {
        let mut c = Config::default();
        c.protocols.grass.enabled = true;
        c.protocols.grass.poll_interval = 5;
        let before = flatten(&values_of(&c));
        let mut v = values_of(&c);
        v.budget.reserve_cpu_cores = 2.0;
        let after = flatten(&v);
        let changed = differing(&before, &after);
        assert_eq!(
            changed.iter().collect::<Vec<_>>(),
            ["budget.reserve_cpu_cores"]
        );
        assert!(
            validate(&changed, &after).is_ok(),
            "an untouched demo value is not re-judged"
        );
        v.protocols[3].poll_interval_secs = 60;
        let after = flatten(&v);
        let e = validate(&differing(&before, &after), &after).unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("protocols.grass.poll_interval_secs")
        );
    }
}
