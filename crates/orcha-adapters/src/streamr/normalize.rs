//! Streamr normalization: wei amounts, fractions and timestamps checked, and the node's console metrics parsed.

use chrono::{DateTime, TimeZone, Utc};
use orcha_core::{AdapterError, Money, Token};
use serde_json::Value;

use super::model::ConsoleMetrics;
use super::wire::NumOrStr;
use super::ABSURD_WEI;
use orcha_core::money::trim_decimal;

pub(super) fn malformed(endpoint: &str, what: String) -> AdapterError {
    AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what,
    }
}

/// A BigInt decimal string in wei → exact DATA (or POL), refusing absurd or negative values.
pub(super) fn wei(
    endpoint: &str,
    field: &str,
    s: &str,
    token: Token,
) -> Result<Money, AdapterError> {
    let bad = |why: String| malformed(endpoint, format!("field `{field}`: {why}"));
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("`{s}` is not a whole number of wei")));
    }
    let v: i128 = s
        .parse()
        .map_err(|_| bad(format!("`{s}` is out of range")))?;
    if v > ABSURD_WEI {
        return Err(bad(format!("{s} wei is not a plausible amount")));
    }
    Ok(Money::new(token, v, 18))
}

/// A fraction ×1e18 (`100000000000000000`) → `"0.1"`.
pub(super) fn fraction(endpoint: &str, field: &str, s: &str) -> Result<String, AdapterError> {
    let m = wei(endpoint, field, s, Token::Data)?;
    Ok(trim_decimal(&m.to_decimal_string()))
}

pub(super) fn secs(
    endpoint: &str,
    field: &str,
    v: &NumOrStr,
) -> Result<DateTime<Utc>, AdapterError> {
    v.as_i64()
        .and_then(|s| Utc.timestamp_opt(s, 0).single())
        .ok_or_else(|| malformed(endpoint, format!("field `{field}`: not a Unix time")))
}

pub(super) fn opt_secs(
    endpoint: &str,
    field: &str,
    v: &Option<NumOrStr>,
) -> Result<Option<DateTime<Utc>>, AdapterError> {
    match v {
        // The subgraph writes 0 for "never" (e.g. no heartbeat yet).
        Some(t) if t.as_i64() == Some(0) => Ok(None),
        Some(t) => secs(endpoint, field, t).map(Some),
        None => Ok(None),
    }
}

pub(super) fn sum(
    endpoint: &str,
    field: &str,
    items: &[Money],
    zero: Money,
) -> Result<Money, AdapterError> {
    items.iter().try_fold(zero, |acc, m| {
        acc.checked_add(m)
            .map_err(|e| malformed(endpoint, format!("field `{field}`: {e}")))
    })
}

/// `/info` writes byte arrays as `{"0":170,"1":170,…}`; elsewhere node ids are hex strings.
pub(super) fn node_id_hex(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim_start_matches("0x").to_ascii_lowercase()),
        Value::Object(o) => {
            let mut bytes: Vec<(usize, u8)> = o
                .iter()
                .map(|(k, v)| Some((k.parse::<usize>().ok()?, u8::try_from(v.as_u64()?).ok()?)))
                .collect::<Option<_>>()?;
            bytes.sort_unstable();
            if bytes.iter().enumerate().any(|(i, (k, _))| i != *k) {
                return None;
            }
            Some(bytes.iter().map(|(_, b)| format!("{b:02x}")).collect())
        }
        Value::Array(a) => a
            .iter()
            .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect::<Option<Vec<u8>>>()
            .map(|b| b.iter().map(|b| format!("{b:02x}")).collect()),
        _ => None,
    }
}

/// Reads the last `consoleMetrics` report out of the node's log text.
pub fn parse_console_metrics(log: &str) -> Option<ConsoleMetrics> {
    let start = log.rfind("): Report")?;
    let head = &log[..start];
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let logged_at = head[line_start..]
        .split_once('[')
        .and_then(|(_, r)| r.split_once(']'))
        .map(|(t, _)| t.to_owned());
    let block = &log[start..];
    let end = block.find("\n}").map_or(block.len(), |i| i + 2);
    let block = &block[..end];
    let get = |key: &str| -> Option<f64> {
        let pat = format!("{key}:");
        let at = block.find(&pat)? + pat.len();
        let rest = block[at..].trim_start();
        let num: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-' || *c == 'e')
            .collect();
        num.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    Some(ConsoleMetrics {
        logged_at,
        send_bytes_per_second: get("sendBytesPerSecond")?,
        receive_bytes_per_second: get("receiveBytesPerSecond")?,
        send_messages_per_second: get("sendMessagesPerSecond"),
        receive_messages_per_second: get("receiveMessagesPerSecond"),
        connection_average_count: get("connectionAverageCount"),
        connection_total_failure_count: get("connectionTotalFailureCount"),
    })
}
