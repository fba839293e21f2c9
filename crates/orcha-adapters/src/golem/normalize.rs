//! Golem normalization: exact GLM amounts, per-second prices turned hourly, presets and profiles checked.

use orcha_core::{AdapterError, Money, Token};

use super::model::Preset;
use super::units::{ABSURD_GLM, GIB};
use super::wire::{HardwareProfile, RawPreset};
use crate::probe::float_to_decimal;

pub(super) fn glm(amount: i128) -> Money {
    Money::new(Token::Glm, amount, 18)
}

pub(super) fn parse_glm(endpoint: &str, field: &str, s: &str) -> Result<Money, AdapterError> {
    let bad = |why: String| AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what: format!("field `{field}`: {why}"),
    };
    let m = Money::parse_decimal(s, Token::Glm, 18).map_err(|e| bad(e.to_string()))?;
    if m.amount < 0 || m.amount > ABSURD_GLM {
        return Err(bad(format!("{s} GLM is not a plausible amount")));
    }
    Ok(m)
}

/// `erc20-polygon-glm` → (`erc20`, `polygon`, `glm`).
pub(super) fn split_platform(p: &str) -> (String, String, String) {
    let mut parts = p.splitn(3, '-');
    let driver = parts.next().unwrap_or_default().to_owned();
    let network = parts.next().unwrap_or_default().to_owned();
    let token = parts.next().unwrap_or_default().to_owned();
    (driver, network, token)
}

/// A float price in GLM per second → exact GLM per hour on the float's decimal digits, rounded
/// half up to 18 decimals.
pub(super) fn per_hour(
    endpoint: &str,
    field: &str,
    per_second: f64,
) -> Result<Money, AdapterError> {
    let bad = |why: String| AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what: format!("field `{field}`: {why}"),
    };
    if !(0.0..=1e6).contains(&per_second) {
        return Err(bad(format!("{per_second} GLM/s is not a plausible price")));
    }
    let text = float_to_decimal(per_second, 30).ok_or_else(|| bad("not a number".to_owned()))?;
    let fine = Money::parse_decimal(&text, Token::Glm, 30).map_err(|e| bad(e.to_string()))?;
    let hourly30 = fine
        .amount
        .checked_mul(3600)
        .ok_or_else(|| bad("overflow".to_owned()))?;
    let scale = 10i128.pow(12);
    Ok(glm((hourly30 + scale / 2) / scale))
}

pub(super) fn price(endpoint: &str, field: &str, v: f64) -> Result<Money, AdapterError> {
    let bad = |why: String| AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what: format!("field `{field}`: {why}"),
    };
    if !(0.0..=1e6).contains(&v) {
        return Err(bad(format!("{v} GLM is not a plausible price")));
    }
    let text = float_to_decimal(v, 18).ok_or_else(|| bad("not a number".to_owned()))?;
    Money::parse_decimal(&text, Token::Glm, 18).map_err(|e| bad(e.to_string()))
}

pub(super) fn normalize_presets(
    endpoint: &str,
    raw: Vec<RawPreset>,
    active: &[String],
) -> Result<Vec<Preset>, AdapterError> {
    raw.into_iter()
        .enumerate()
        .map(|(i, p)| {
            let f = |n: &str| format!("[{i}].{n}");
            let coeff = |k: &str| p.usage_coeffs.get(k).copied().unwrap_or(0.0);
            Ok(Preset {
                cpu_per_hour: per_hour(
                    endpoint,
                    &f("usage-coeffs.golem.usage.cpu_sec"),
                    coeff("golem.usage.cpu_sec"),
                )?,
                env_per_hour: per_hour(
                    endpoint,
                    &f("usage-coeffs.golem.usage.duration_sec"),
                    coeff("golem.usage.duration_sec"),
                )?,
                start_price: price(endpoint, &f("initial-price"), p.initial_price)?,
                active: active.contains(&p.name),
                name: p.name,
                exe_unit: p.exeunit_name,
                pricing_model: p.pricing_model,
            })
        })
        .collect()
}

pub(super) fn check_profile(
    endpoint: &str,
    name: &str,
    p: &HardwareProfile,
) -> Result<(), AdapterError> {
    let bad = |field: &str, why: String| AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what: format!("field `{name}.{field}`: {why}"),
    };
    if p.cpu_threads == 0 || p.cpu_threads > 4096 {
        return Err(bad(
            "cpu_threads",
            format!("{} threads is not plausible", p.cpu_threads),
        ));
    }
    for (field, v) in [("mem_gib", p.mem_gib), ("storage_gib", p.storage_gib)] {
        if !(0.0..=1e7).contains(&v) {
            return Err(bad(field, format!("{v} GiB is not plausible")));
        }
    }
    Ok(())
}

/// GiB as an exact decimal string from a whole number of MiB (1 MiB = 0.0009765625 GiB).
pub(super) fn mib_to_gib_text(mib: u64) -> String {
    let whole = mib / 1024;
    let frac = (mib % 1024) * 9_765_625;
    if frac == 0 {
        return format!("{whole}");
    }
    let f = format!("{frac:010}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

pub(super) fn gib_to_bytes(gib: f64) -> u64 {
    // Resource sizes, not money: ya-provider stores GiB as floats, so bytes are rounded.
    (gib * GIB as f64).round().max(0.0) as u64
}
