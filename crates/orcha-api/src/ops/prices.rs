//! Price operations: the prices the app knows, and fiat totals of what the nodes earned today and over 7 and 30 days.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use orcha_adapters::prices::add_decimals;
use orcha_core::{Money, Token};

use crate::dto::*;
use crate::prices::Quote;
use crate::state::AppState;

fn price_dto(asset: &str, fiat: &str, quote: Option<&Quote>) -> PriceDto {
    match quote {
        Some(q) => PriceDto {
            asset: q.asset.clone(),
            fiat: q.fiat.clone(),
            state: if q.stale {
                PriceFreshness::Stale
            } else {
                PriceFreshness::Fresh
            },
            value: Some(q.value.clone()),
            source: Some(q.source.clone()),
            observed_at: Some(q.observed_at),
            assumption: q.is_assumption(),
        },
        None => PriceDto {
            asset: asset.to_owned(),
            fiat: fiat.to_owned(),
            state: PriceFreshness::None,
            value: None,
            source: None,
            observed_at: None,
            assumption: false,
        },
    }
}

/// Every price the app knows now (GLM, DATA, STORJ, POL, GRASS, a Grass point, and USD when the
/// fiat is not USD), fresh, stale or none, with its source and time.
pub async fn prices(state: &Arc<AppState>) -> Result<PricesDto, ApiError> {
    let book = &state.prices;
    let fiat = book.fiat().to_owned();
    let listing = book.listing();
    crate::prices::record(state, listing.iter().filter_map(|(_, q)| q.clone())).await;
    Ok(PricesDto {
        source: book.mode().to_owned(),
        last_refresh: book.last_success(),
        backoff_until: book.backoff_until(),
        last_error: book.last_error().map(|e| e.to_string()),
        prices: listing
            .iter()
            .map(|(asset, q)| price_dto(asset, &fiat, q.as_ref()))
            .collect(),
        fiat,
    })
}

/// What was earned between readings: the sum of every rise of the lifetime figure from the
/// last reading at or before `from` on. A fall (a reset or a misread) is skipped, never counted
/// as negative earnings. `None` with fewer than two readings in reach.
fn earned_since(
    points: &[(DateTime<Utc>, Money)],
    from: DateTime<Utc>,
    resets: bool,
) -> Option<Money> {
    let start = points.iter().rposition(|(t, _)| *t <= from).unwrap_or(0);
    let window = points.get(start..)?;
    if window.len() < 2 {
        return None;
    }
    let mut total: Option<Money> = None;
    for pair in window.windows(2) {
        let (a, b) = (&pair[0].1, &pair[1].1);
        if a.token != b.token {
            continue;
        }
        let d = a.decimals.max(b.decimals);
        let (Ok(a), Ok(b)) = (a.rescale(d), b.rescale(d)) else {
            continue;
        };
        // A drop of a period figure (Storj's month) is a new period: it earned its new value.
        let rise = if resets && b.amount < a.amount {
            b
        } else {
            Money::new(b.token, b.amount.saturating_sub(a.amount).max(0), d)
        };
        total = Some(match total {
            None => rise,
            Some(t) => add_money(&t, &rise)?,
        });
    }
    total
}

/// Adds two amounts of one token at the finer of their scales.
fn add_money(a: &Money, b: &Money) -> Option<Money> {
    let d = a.decimals.max(b.decimals);
    a.rescale(d).ok()?.checked_add(&b.rescale(d).ok()?).ok()
}

fn fiat_of(state: &AppState, amount: &Money) -> FiatAmountDto {
    let fiat = state.prices.fiat().to_owned();
    match state.prices.convert(amount) {
        Some((value, quote)) => FiatAmountDto {
            price: Some(price_dto(&quote.asset, &fiat, Some(&quote))),
            value: Some(value),
            fiat,
        },
        None => FiatAmountDto {
            fiat,
            value: None,
            price: None,
        },
    }
}

/// Earnings of today (since 00:00 UTC), the last 7 and the last 30 days, per node and overall:
/// exact amounts in each node's token, each with its fiat value and the price used, or "no
/// price" (never a zero). Grass points count in fiat only with the operator's value per point.
pub async fn earnings_totals(state: &Arc<AppState>) -> Result<EarningsTotalsDto, ApiError> {
    let now = state.clock.now();
    let midnight = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(now, |t| t.and_utc());
    let windows = [
        ("today", midnight),
        ("7d", now - Duration::days(7)),
        ("30d", now - Duration::days(30)),
    ];
    // One query per node covers every window and a day before the longest for its baseline.
    let (from, to) = (now - Duration::days(31), now + Duration::minutes(1));
    let mut nodes = Vec::new();
    let mut sums: Vec<BTreeMap<Token, Money>> = vec![BTreeMap::new(); windows.len()];
    let mut used = Vec::new();
    for node in &state.nodes {
        let id = node.config.id.clone();
        // The same figure the export reads (#20), so the totals and the export agree.
        let (points, resets) = state
            .db(move |s| crate::export::cumulative_between(s, &id, from, to))
            .await?;
        let mut out = Vec::new();
        for (k, (name, start)) in windows.iter().enumerate() {
            let amount = earned_since(&points, *start, resets);
            if let Some(a) = &amount {
                let sum = sums[k].entry(a.token);
                match sum {
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(*a);
                    }
                    std::collections::btree_map::Entry::Occupied(mut o) => {
                        if let Some(t) = add_money(o.get(), a) {
                            o.insert(t);
                        }
                    }
                }
            }
            let fiat = amount.as_ref().map(|a| fiat_of(state, a));
            if let Some(q) = amount.and_then(|a| state.prices.quote_token(a.token)) {
                used.push(q);
            }
            out.push(WindowEarningsDto {
                window: (*name).to_owned(),
                from: *start,
                amount: amount.as_ref().map(MoneyDto::from),
                fiat,
            });
        }
        nodes.push(NodeEarningsTotalsDto {
            node: node.config.id.to_string(),
            windows: out,
        });
    }
    crate::prices::record(state, used).await;

    let fiat = state.prices.fiat().to_owned();
    let overall = windows
        .iter()
        .zip(sums)
        .map(|((name, start), sum)| {
            let mut total: Option<String> = None;
            let mut unpriced = Vec::new();
            for m in sum.values() {
                match state.prices.convert(m) {
                    Some((v, _)) => {
                        total = match total {
                            None => Some(v),
                            // Earnings are never negative here, so the sum is always defined.
                            Some(t) => add_decimals(&t, &v).or(Some(t)),
                        }
                    }
                    None => unpriced.push(MoneyDto::from(m)),
                }
            }
            OverallEarningsDto {
                window: (*name).to_owned(),
                from: *start,
                amounts: sum.values().map(MoneyDto::from).collect(),
                fiat: FiatAmountDto {
                    fiat: fiat.clone(),
                    value: total,
                    price: None,
                },
                unpriced,
            }
        })
        .collect();
    Ok(EarningsTotalsDto {
        fiat,
        at: now,
        nodes,
        overall,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_767_225_600 + h * 3600, 0).unwrap()
    }

    #[test]
    fn earned_counts_rises_from_the_last_reading_before_the_window() {
        let glm = |a: i128| Money::new(Token::Glm, a, 18);
        let pts = vec![
            (at(0), glm(100)),
            (at(2), glm(150)),
            (at(4), glm(40)), // a reset: skipped, not negative
            (at(6), glm(70)),
        ];
        assert_eq!(earned_since(&pts, at(1), false), Some(glm(50 + 30)));
        assert_eq!(earned_since(&pts, at(-5), false), Some(glm(50 + 30)));
        assert_eq!(
            earned_since(&pts, at(6), false),
            None,
            "one reading tells nothing"
        );
        // A period figure (Storj's month): the drop is a new period that earned 40.
        assert_eq!(earned_since(&pts, at(1), true), Some(glm(50 + 40 + 30)));
        // Readings at different scales add up exactly.
        let mixed = vec![
            (at(0), Money::new(Token::Points, 10, 0)),
            (at(1), Money::new(Token::Points, 125, 1)),
        ];
        assert_eq!(
            earned_since(&mixed, at(0), false),
            Some(Money::new(Token::Points, 25, 1))
        );
    }
}
