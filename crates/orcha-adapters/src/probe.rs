//! One normalized reading of a node as JSON (`orcha probe`), and decoding helpers the adapters share.

use orcha_core::{AdapterError, Capability, HealthStatus, Money, ProtocolAdapter, ResourceMetrics};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Reads everything the contract offers from one node and returns it as one JSON document.
///
/// Every step is attempted even when an earlier one fails, so the operator sees all problems at
/// once; a failed step is `{"error": {"kind", "message"}}` in place of its value. Money is given
/// both as exact base units (a string, since it may exceed 2^53) with token and decimals, and as
/// a decimal string.
pub async fn probe(adapter: &dyn ProtocolAdapter) -> Value {
    let node = adapter.node_id().to_string();
    let connect = match adapter.connect().await {
        Ok(info) => json!({ "version": info.version, "remote_id": info.remote_id }),
        Err(e) => error_json(&e),
    };
    let earnings = match adapter.get_current_earnings().await {
        Ok(e) => json!({
            "observed_at": e.observed_at.to_rfc3339(),
            "figures": e.figures.iter().map(|(kind, m)| {
                let mut v = money_json(m);
                if let Value::Object(o) = &mut v {
                    o.insert("kind".to_owned(), Value::from(kind.as_str()));
                }
                v
            }).collect::<Vec<_>>(),
        }),
        Err(e) => error_json(&e),
    };
    let resources = match adapter.get_resource_usage().await {
        Ok(m) => resources_json(&m),
        Err(e) => error_json(&e),
    };
    let health = health_json(&adapter.health_check().await);
    let capabilities: Vec<Value> = adapter.capabilities().iter().map(capability_json).collect();
    let _ = adapter.disconnect().await;
    json!({
        "node": node,
        "protocol": adapter.protocol_name().as_str(),
        "node_info": connect,
        "earnings": earnings,
        "resources": resources,
        "health": health,
        "capabilities": capabilities,
    })
}

/// An exact amount as JSON: base units as a string, token, decimals and the decimal string.
pub fn money_json(m: &Money) -> Value {
    json!({
        "base_units": m.amount.to_string(),
        "token": m.token.as_str(),
        "decimals": m.decimals,
        "decimal": m.to_decimal_string(),
    })
}

/// Serializes an amount for normalized DTOs (`#[serde(serialize_with = "...")]`).
pub(crate) fn ser_money<S: serde::Serializer>(m: &Money, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&money_json(m), s)
}

fn error_json(e: &AdapterError) -> Value {
    json!({ "error": { "kind": e.kind(), "message": e.to_string() } })
}

fn health_json(h: &HealthStatus) -> Value {
    json!({ "state": h.state_name(), "reasons": h.reasons() })
}

fn resources_json(m: &ResourceMetrics) -> Value {
    json!({
        "observed_at": m.observed_at.map(|t| t.to_rfc3339()),
        "cpu_millicores": m.cpu_millicores,
        "mem_bytes": m.mem_bytes,
        "disk_used_bytes": m.disk_used_bytes,
        "disk_allocated_bytes": m.disk_allocated_bytes,
        "bandwidth_up_bps": m.bandwidth_up_bps,
        "bandwidth_down_bps": m.bandwidth_down_bps,
    })
}

fn capability_json(c: &Capability) -> Value {
    json!({
        "resource": c.resource.as_str(),
        "unit": c.resource.unit(),
        "knob": format!("{:?}", c.knob),
        "min": c.min,
        "max": c.max,
        "step": c.step,
        "restart_required": c.restart_required,
        "restart_downtime_s": c.restart_cost.downtime.as_secs(),
        "loses_jobs": c.restart_cost.loses_jobs,
        "reputation_risk": c.restart_cost.reputation_risk,
        "preconditions": c.preconditions,
    })
}

/// Parses a node's JSON body as `T`, naming the JSON path of the first bad field.
///
/// `crate::http::JsonClient::get_json` only names missing fields; a wrong type or a negative
/// number deep inside a payload must name its path too, so the adapters fetch the bytes and
/// decode them here with `serde_path_to_error`.
pub(crate) fn decode<T: DeserializeOwned>(endpoint: &str, body: &[u8]) -> Result<T, AdapterError> {
    let malformed = |what: String| AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what,
    };
    let de = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut *de) {
        Ok(v) => {
            de.end()
                .map_err(|e| malformed(format!("invalid JSON ({e})")))?;
            Ok(v)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                if body.trim_ascii_start().starts_with(b"<") {
                    Err(malformed("an HTML page instead of JSON".to_owned()))
                } else {
                    Err(malformed(format!("invalid JSON ({inner})")))
                }
            } else if path.is_empty() || path == "." {
                Err(malformed(inner.to_string()))
            } else {
                Err(malformed(format!("field `{path}`: {inner}")))
            }
        }
    }
}

/// Converts a JSON float the node computed in decimal (cents rounded to 2 places, GLM prices)
/// into a decimal string with at most `decimals` fractional digits, rounding half up on the
/// digits, never through float arithmetic.
///
/// Rust prints an `f64` as the shortest decimal that reads back to the same float, which is the
/// text the node wrote (Go also writes the shortest form), so rounding those digits recovers
/// e.g. `15.48` from `15.479999999999999`. `None` for NaN or infinity.
pub(crate) fn float_to_decimal(v: f64, decimals: u8) -> Option<String> {
    if !v.is_finite() {
        return None;
    }
    let text = format!("{}", v.abs());
    let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, ""));
    let d = usize::from(decimals);
    let mut digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes().chain(std::iter::repeat(b'0')).take(d))
        .collect();
    let round_up = frac_part.as_bytes().get(d).is_some_and(|b| *b >= b'5');
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let split = digits.len() - d;
    let (i, f) = digits.split_at(split);
    let int_s = String::from_utf8_lossy(i).into_owned();
    let int_s = if int_s.is_empty() {
        "0".to_owned()
    } else {
        int_s
    };
    let sign = if v < 0.0 && digits.iter().any(|b| *b != b'0') {
        "-"
    } else {
        ""
    };
    if d == 0 {
        Some(format!("{sign}{int_s}"))
    } else {
        Some(format!("{sign}{int_s}.{}", String::from_utf8_lossy(f)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_on_their_digits() {
        assert_eq!(float_to_decimal(15.479999999999999, 2).unwrap(), "15.48");
        assert_eq!(float_to_decimal(5.83, 2).unwrap(), "5.83");
        assert_eq!(float_to_decimal(0.0, 2).unwrap(), "0.00");
        assert_eq!(float_to_decimal(99.995, 2).unwrap(), "100.00");
        assert_eq!(
            float_to_decimal(6.944444444444445e-06, 18).unwrap(),
            "0.000006944444444444"
        );
        assert_eq!(float_to_decimal(-1.25, 1).unwrap(), "-1.3");
        assert_eq!(float_to_decimal(541.0, 0).unwrap(), "541");
        assert!(float_to_decimal(f64::NAN, 2).is_none());
    }

    #[test]
    fn decode_names_the_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            used: u64,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Outer {
            #[serde(rename = "diskSpace")]
            disk: Inner,
        }
        let e = decode::<Outer>("/api/sno/", br#"{"diskSpace": {"used": -5}}"#).unwrap_err();
        assert!(e.to_string().contains("diskSpace.used"), "{e}");
        let e = decode::<Outer>("/api/sno/", b"<html>").unwrap_err();
        assert!(e.to_string().contains("HTML"), "{e}");
        let e = decode::<Outer>("/api/sno/", br#"{"diskSpace": {"used": 5"#).unwrap_err();
        assert!(e.to_string().contains("invalid JSON"), "{e}");
    }
}
