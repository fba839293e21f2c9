//! The operator's money as rows for a spreadsheet or a tax tool: one row per node and UTC day
//! earned, and one per payout event, each valued at a price recorded near its own time.
//!
//! Earned rows are the daily increases of the node's cumulative figure, exact: lifetime, except
//! Storj (its lifetime moves only with monthly paystubs), which uses what the running month
//! accrued — a drop of that figure is a new month, so the day's increase is the new figure.
//! Golem's figure is its invoices (pending + accepted + settled). Before the node's first
//! reading, the earned rows come from its own record of past periods (Storj paystubs, Streamr
//! daily buckets; the backfill). Payout rows come from the
//! payouts table (the node's own record). Prices come from the `prices` table: the recorded
//! price nearest the row's time within [`PRICE_WINDOW_HOURS`]; none → the row says "no price".

mod format;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use orcha_core::{EarningsKind, Money, NodeId, ProtocolId, Token};
use orcha_store::Store;

pub use format::{to_csv, to_json, to_koinly_csv, CSV_HEADER, KOINLY_HEADER};

/// How far from a row's time a recorded price may be and still value it.
pub const PRICE_WINDOW_HOURS: i64 = 36;

/// One exported row. Amounts and prices are exact decimal strings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExportRow {
    pub time: DateTime<Utc>,
    pub machine: String,
    pub node: String,
    pub protocol: String,
    /// `earned`, `payout`, `held` or `released`.
    pub kind: String,
    pub token: String,
    pub amount: String,
    /// `None`: no price was recorded near this time.
    pub price: Option<String>,
    pub fiat_value: Option<String>,
    pub fiat_currency: String,
    pub price_source: Option<String>,
    pub price_time: Option<DateTime<Utc>>,
    pub reference: String,
}

/// The rows with `from <= time < to`, ordered by time, node and kind.
pub fn rows(
    store: &Store,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    fiat: &str,
    machine: &str,
) -> Result<Vec<ExportRow>, orcha_store::StoreError> {
    let mut out = Vec::new();
    for node in store.nodes_with_money()? {
        let (series, _) = cumulative(store, &node, to)?;
        // The node's own record of past periods covers the time before Orcha's readings; a
        // period reaching into them is left out (they count it from the first reading on).
        let watched_from = series.first().map(|(t, _)| *t);
        for p in store.earned_periods(&node)? {
            let before = watched_from.is_none_or(|w| p.end <= w);
            if before && p.start >= from && p.start < to && p.amount.amount != 0 {
                let reference = p.source.clone();
                out.push(row(
                    store, machine, &node, "earned", p.start, &p.amount, fiat, reference,
                )?);
            }
        }
        for (day, m) in daily_earned(store, &node, to)? {
            if day >= from && day < to && m.amount != 0 {
                out.push(row(
                    store,
                    machine,
                    &node,
                    "earned",
                    day,
                    &m,
                    fiat,
                    String::new(),
                )?);
            }
        }
    }
    for p in store.payouts(from, to)? {
        let reference = p.event.reference.clone().unwrap_or_default();
        out.push(row(
            store,
            machine,
            &p.node,
            p.event.kind.as_str(),
            p.event.at,
            &p.event.amount,
            fiat,
            reference,
        )?);
    }
    out.sort_by(|a, b| (a.time, &a.node, &a.kind).cmp(&(b.time, &b.node, &b.kind)));
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn row(
    store: &Store,
    machine: &str,
    node: &NodeId,
    kind: &str,
    time: DateTime<Utc>,
    m: &Money,
    fiat: &str,
    reference: String,
) -> Result<ExportRow, orcha_store::StoreError> {
    let price = price_at(store, m.token, fiat, time)?;
    let fiat_value = price.as_ref().and_then(|(v, _, _)| fiat_value(m, v));
    // A price whose product cannot be computed exactly values nothing.
    let price = price.filter(|_| fiat_value.is_some());
    Ok(ExportRow {
        time,
        machine: machine.to_owned(),
        node: node.to_string(),
        protocol: node.protocol().as_str().to_owned(),
        kind: kind.to_owned(),
        token: m.token.as_str().to_owned(),
        amount: m.to_decimal_string(),
        price: price.as_ref().map(|(v, _, _)| v.clone()),
        fiat_value,
        fiat_currency: fiat.to_owned(),
        price_source: price.as_ref().map(|(_, s, _)| s.clone()),
        price_time: price.map(|(_, _, t)| t),
        reference,
    })
}

/// The recorded price nearest `at` (within the window), or 1 for a token that is the fiat.
fn price_at(
    store: &Store,
    token: Token,
    fiat: &str,
    at: DateTime<Utc>,
) -> Result<Option<(String, String, DateTime<Utc>)>, orcha_store::StoreError> {
    if token.as_str().eq_ignore_ascii_case(fiat) {
        return Ok(Some(("1".to_owned(), "identity".to_owned(), at)));
    }
    // Grass points have no market: only the operator's stated value, whenever it was stated,
    // and the row says it is an assumption.
    if token == Token::Points {
        return Ok(store
            .price_rows("points", fiat, 1)?
            .into_iter()
            .next()
            .map(|p| {
                (
                    p.value,
                    format!("{} (operator's assumption)", p.source),
                    p.observed_at,
                )
            }));
    }
    let window = Duration::hours(PRICE_WINDOW_HOURS);
    Ok(store
        .price_near(token.as_str(), fiat, at, window)?
        .map(|p| (p.value, p.source, p.observed_at)))
}

/// `amount × price` rounded half away from zero to the cent, exact; `None` if the price is not a
/// plain decimal or the product does not fit.
pub fn fiat_value(m: &Money, price: &str) -> Option<String> {
    let (int, frac) = price.split_once('.').unwrap_or((price, ""));
    let neg = int.starts_with('-');
    let digits = format!("{}{frac}", int.trim_start_matches('-'));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || neg {
        return None;
    }
    let p: i128 = digits.parse().ok()?;
    let scale = u32::from(m.decimals) + frac.len() as u32;
    let product = m.amount.checked_mul(p)?;
    // Round to 2 decimals: divide by 10^(scale-2), half away from zero.
    let cents = if scale >= 2 {
        let d = 10i128.checked_pow(scale - 2)?;
        let (q, r) = (product / d, product % d);
        if r.abs() * 2 >= d {
            q + product.signum()
        } else {
            q
        }
    } else {
        product.checked_mul(10i128.pow(2 - scale))?
    };
    let sign = if cents < 0 { "-" } else { "" };
    Some(format!(
        "{sign}{}.{:02}",
        cents.abs() / 100,
        cents.abs() % 100
    ))
}

/// Observations of a cumulative figure, oldest first.
pub type Series = Vec<(DateTime<Utc>, Money)>;

/// The node's cumulative figure, and whether it restarts each period.
fn cumulative(
    store: &Store,
    node: &NodeId,
    to: DateTime<Utc>,
) -> Result<(Series, bool), orcha_store::StoreError> {
    let start = Utc.timestamp_opt(0, 0).single().unwrap_or(to);
    cumulative_between(store, node, start, to)
}

/// The figure a node's earnings are read from, observed in `[from, to)` — the same choice for
/// the export and the dashboard's totals, so their sums agree: Storj's accrued month (restarts
/// each period, the flag; lifetime when there is none), else lifetime, else Golem's invoices
/// (pending + accepted + settled).
pub fn cumulative_between(
    store: &Store,
    node: &NodeId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(Series, bool), orcha_store::StoreError> {
    let start = from;
    let get = |k| store.earnings_history(node, k, start, to);
    if node.protocol() == ProtocolId::Storj {
        let accrued = get(EarningsKind::CurrentPeriodAccrued)?;
        // Readings from before Orcha read the accrued month have only the lifetime figure.
        if !accrued.is_empty() {
            return Ok((accrued, true));
        }
    }
    let lifetime = get(EarningsKind::Lifetime)?;
    if !lifetime.is_empty() {
        return Ok((lifetime, false));
    }
    let mut by_time: BTreeMap<DateTime<Utc>, Money> = BTreeMap::new();
    for k in [
        EarningsKind::Pending,
        EarningsKind::Accepted,
        EarningsKind::Settled,
    ] {
        for (t, m) in get(k)? {
            let sum = match by_time.get(&t) {
                Some(prev) => prev.checked_add(&m).unwrap_or(*prev),
                None => m,
            };
            by_time.insert(t, sum);
        }
    }
    Ok((by_time.into_iter().collect(), false))
}

/// Exact increases per UTC day (the day's start as its time). A drop of a period figure is a new
/// period: that day counts the new figure; a drop of a lifetime figure counts zero.
pub fn daily_earned(
    store: &Store,
    node: &NodeId,
    to: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, Money)>, orcha_store::StoreError> {
    let (points, resets) = cumulative(store, node, to)?;
    let mut per_day: BTreeMap<NaiveDate, Money> = BTreeMap::new();
    let mut prev: Option<Money> = None;
    for (t, m) in points {
        let gained = match prev {
            None => None,
            Some(p) if m.amount >= p.amount && m.token == p.token && m.decimals == p.decimals => {
                Some(Money::new(m.token, m.amount - p.amount, m.decimals))
            }
            Some(p) if m.token == p.token && m.decimals == p.decimals && resets => Some(m),
            Some(_) => None,
        };
        if let Some(g) = gained {
            let day = t.date_naive();
            let sum = match per_day.get(&day) {
                Some(s) => s.checked_add(&g).unwrap_or(*s),
                None => g,
            };
            per_day.insert(day, sum);
        }
        prev = Some(m);
    }
    Ok(per_day
        .into_iter()
        .filter_map(|(d, m)| Some((d.and_hms_opt(0, 0, 0)?.and_utc(), m)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fiat_is_amount_times_price_rounded_to_the_cent() {
        // 1.6449 USD × 0.92 = 1.513308 → 1.51.
        let m = Money::new(Token::Usd, 16_449, 4);
        assert_eq!(fiat_value(&m, "0.92").as_deref(), Some("1.51"));
        // 2943.48048 DATA × 0.0125 = 36.793506 → 36.79.
        let d = Money::new(Token::Data, 2_943_480_480_000_000_000_000, 18);
        assert_eq!(fiat_value(&d, "0.0125").as_deref(), Some("36.79"));
        // 0.005 rounds up (half away from zero): 1 × 0.005 = 0.01.
        let one = Money::new(Token::Glm, 10i128.pow(18), 18);
        assert_eq!(fiat_value(&one, "0.005").as_deref(), Some("0.01"));
        assert_eq!(fiat_value(&one, "0.0049").as_deref(), Some("0.00"));
        assert_eq!(fiat_value(&one, "abc"), None);
    }
}
