//! Exact conversion of token amounts into fiat: decimal digit arithmetic, never a float.

use orcha_core::Money;

use super::model::{Conversion, FiatValue, Price, PriceAsset, PriceError, PriceState};

/// Converts `amount` with `price` exactly: the product of the base units and the price's digits,
/// with no float anywhere.
pub fn convert(amount: &Money, price: &Price, stale: bool) -> Result<FiatValue, PriceError> {
    if PriceAsset::from_token(amount.token) != Some(price.asset) {
        return Err(PriceError::WrongAsset {
            amount: amount.token,
            price: price.asset,
        });
    }
    Ok(FiatValue {
        fiat: price.fiat.clone(),
        value: multiply(amount, &price.value)?,
        price: price.clone(),
        stale,
    })
}

/// `amount` (any token) times the decimal `price`, exactly, as a trimmed decimal string. For
/// callers that price something that is not a [`PriceAsset`] (US dollars into another fiat).
pub fn multiply(amount: &Money, price: &str) -> Result<String, PriceError> {
    let (p_digits, p_decimals) =
        decimal_digits(price).ok_or_else(|| PriceError::BadPrice(price.to_owned()))?;
    let a_digits = amount.amount.unsigned_abs().to_string();
    let product = mul_digits(a_digits.as_bytes(), &p_digits);
    let decimals = usize::from(amount.decimals) + p_decimals;
    let mut value = place_point(&product, decimals);
    if amount.amount < 0 && value.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        value.insert(0, '-');
    }
    Ok(value)
}

/// The exact sum of two non-negative plain decimal strings (`"1.25"` + `"0.005"` = `"1.255"`);
/// `None` when either is not one. Totals of fiat values are added this way, never as floats.
pub fn add_decimals(a: &str, b: &str) -> Option<String> {
    let split = |s: &str| -> Option<(Vec<u8>, Vec<u8>)> {
        let s = s.trim();
        let (i, f) = s.split_once('.').unwrap_or((s, ""));
        let ok = !i.is_empty()
            && i.bytes().all(|c| c.is_ascii_digit())
            && f.bytes().all(|c| c.is_ascii_digit());
        ok.then(|| (i.as_bytes().to_vec(), f.as_bytes().to_vec()))
    };
    let ((ai, af), (bi, bf)) = (split(a)?, split(b)?);
    let frac = af.len().max(bf.len());
    let int = ai.len().max(bi.len());
    let digits = |i: &[u8], f: &[u8]| -> Vec<u8> {
        let mut v = vec![b'0'; int - i.len()];
        v.extend_from_slice(i);
        v.extend_from_slice(f);
        v.resize(int + frac, b'0');
        v
    };
    let (x, y) = (digits(&ai, &af), digits(&bi, &bf));
    let mut out = vec![0u8; x.len() + 1];
    let mut carry = 0u8;
    for k in (0..x.len()).rev() {
        let d = (x[k] - b'0') + (y[k] - b'0') + carry;
        out[k + 1] = b'0' + d % 10;
        carry = d / 10;
    }
    out[0] = b'0' + carry;
    Some(place_point(&out, frac))
}

/// Converts with whatever the feed knows: a value with the price used, or `NoPrice`.
pub fn convert_with(amount: &Money, state: &PriceState) -> Result<Conversion, PriceError> {
    match state {
        PriceState::Known { price, stale } => convert(amount, price, *stale).map(Conversion::Value),
        PriceState::NoPrice => Ok(Conversion::NoPrice {
            token: amount.token,
        }),
    }
}

/// A decimal string → (digits without the point, number of fractional digits); only
/// non-negative plain decimals with at least one non-zero digit.
pub(super) fn decimal_digits(s: &str) -> Option<(Vec<u8>, usize)> {
    let s = s.trim();
    let (i, f) = s.split_once('.').unwrap_or((s, ""));
    if (i.is_empty() && f.is_empty())
        || !i.bytes().all(|b| b.is_ascii_digit())
        || !f.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits: Vec<u8> = i.bytes().chain(f.bytes()).collect();
    if !digits.iter().any(|b| *b != b'0') {
        return None;
    }
    Some((digits, f.len()))
}

/// Schoolbook multiplication of two ASCII digit strings; exact for any length.
pub(super) fn mul_digits(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u32; a.len() + b.len()];
    for (i, da) in a.iter().rev().enumerate() {
        for (j, db) in b.iter().rev().enumerate() {
            out[i + j] += u32::from(da - b'0') * u32::from(db - b'0');
        }
    }
    let mut carry = 0;
    for d in out.iter_mut() {
        let v = *d + carry;
        *d = v % 10;
        carry = v / 10;
    }
    // `carry` is zero here: the product of an m- and an n-digit number has at most m+n digits.
    out.iter().rev().map(|d| b'0' + *d as u8).collect()
}

/// ASCII digits with `decimals` fractional digits → a trimmed decimal string (`"12.5"`, `"0"`).
pub(super) fn place_point(digits: &[u8], decimals: usize) -> String {
    let text = String::from_utf8_lossy(digits).into_owned();
    let padded = format!("{text:0>width$}", width = decimals + 1);
    let (i, f) = padded.split_at(padded.len() - decimals);
    let i = i.trim_start_matches('0');
    let i = if i.is_empty() { "0" } else { i };
    let f = f.trim_end_matches('0');
    if f.is_empty() {
        i.to_owned()
    } else {
        format!("{i}.{f}")
    }
}

/// Rounds a plain decimal string half up (away from zero) to `places` decimals.
pub(super) fn round_decimal(s: &str, places: u8) -> String {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (i, f) = body.split_once('.').unwrap_or((body, ""));
    let p = usize::from(places);
    let mut digits: Vec<u8> = i
        .bytes()
        .chain(f.bytes().chain(std::iter::repeat(b'0')).take(p))
        .collect();
    if f.as_bytes().get(p).is_some_and(|b| *b >= b'5') {
        let mut k = digits.len();
        loop {
            if k == 0 {
                digits.insert(0, b'1');
                break;
            }
            k -= 1;
            if digits[k] == b'9' {
                digits[k] = b'0';
            } else {
                digits[k] += 1;
                break;
            }
        }
    }
    let split = digits.len() - p;
    let int_part = String::from_utf8_lossy(&digits[..split]).into_owned();
    let int_part = if int_part.is_empty() {
        "0".to_owned()
    } else {
        int_part
    };
    let sign = if neg && digits.iter().any(|b| *b != b'0') {
        "-"
    } else {
        ""
    };
    if p == 0 {
        format!("{sign}{int_part}")
    } else {
        format!(
            "{sign}{int_part}.{}",
            String::from_utf8_lossy(&digits[split..])
        )
    }
}
