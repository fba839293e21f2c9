//! Checks of a settings change: each field on its own, the rules spanning fields, and the
//! credentials a channel needs before it can be switched on.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::values::{Entry, Setting};
use crate::alerts::channels::{ChannelKind, SendContext};
use crate::dto::*;
use crate::state::AppState;

/// URL query keys that carry a credential; such a URL belongs in the keyring.
pub(super) const CREDENTIAL_QUERY_KEYS: [&str; 9] = [
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
pub(super) fn check_url(value: &str, required: bool) -> Result<(), String> {
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

pub(super) fn check_range(v: i64, min: i64, max: i64, what: &str) -> Result<(), String> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(format!("Enter {what} from {min} to {max}."))
    }
}

pub(super) fn check_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !v.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
}

pub(super) fn check_hostname(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 253
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// Checks one changed field on its own; the message is shown next to that field.
pub(super) fn check_field(field: &str, value: &Setting) -> Result<(), String> {
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
        "backup.interval_hours" => check_range(int(value), 0, 24 * 366, "a number of hours"),
        "backup.retention" => check_range(int(value), 1, 1000, "a number of backups"),
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

pub(super) fn get<'a>(m: &'a BTreeMap<String, Entry>, field: &str) -> Option<&'a Setting> {
    m.get(field).map(|e| &e.value)
}

/// Checks every changed field, then the rules that span fields when one of theirs changed.
pub(super) fn validate(
    changed: &BTreeSet<String>,
    new: &BTreeMap<String, Entry>,
) -> Result<(), ApiError> {
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
pub(super) async fn check_required_secrets(
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
