//! Grass normalization: points as exact 6-decimal amounts and durations checked for sanity.

use orcha_core::{AdapterError, Money, Token};

use super::{ABSURD_POINTS, POINTS_DECIMALS};
use crate::probe::{float_to_decimal, ser_money};

pub(super) fn ser_opt_money<S: serde::Serializer>(
    m: &Option<Money>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => ser_money(m, s),
        None => s.serialize_none(),
    }
}

pub(super) fn points(endpoint: &str, field: &str, v: f64) -> Result<Money, AdapterError> {
    let bad = |why: String| AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what: format!("field `{field}`: {why}"),
    };
    if !v.is_finite() || !(0.0..=ABSURD_POINTS).contains(&v) {
        return Err(bad(format!("{v} is not a plausible number of points")));
    }
    let text = float_to_decimal(v, POINTS_DECIMALS).ok_or_else(|| bad("not a number".into()))?;
    Money::parse_decimal(&text, Token::Points, POINTS_DECIMALS).map_err(|e| bad(e.to_string()))
}

pub(super) fn opt_points(
    endpoint: &str,
    field: &str,
    v: Option<f64>,
) -> Result<Option<Money>, AdapterError> {
    v.map(|v| points(endpoint, field, v)).transpose()
}

pub(super) fn seconds(
    endpoint: &str,
    field: &str,
    v: Option<f64>,
) -> Result<Option<f64>, AdapterError> {
    match v {
        Some(s) if !s.is_finite() || s < 0.0 => Err(AdapterError::Malformed {
            endpoint: endpoint.to_owned(),
            what: format!("field `{field}`: {s} is not a number of seconds"),
        }),
        other => Ok(other),
    }
}
