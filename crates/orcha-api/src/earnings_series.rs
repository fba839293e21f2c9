//! Earnings history as series: hourly increases of a cumulative figure, and the figure a node's
//! rate is read from.
//!
//! Shared by the predict step and the alert rules, so neither has to import the other.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use orcha_core::{EarningsKind, Money, NodeId};

use crate::error::DbError;
use crate::state::AppState;

/// Turns observations of a cumulative figure into hourly increases, oldest first.
///
/// The last observation in each hour stands for the hour. A decrease (a payout, or a reset of a
/// period figure) says nothing about earnings, so that hour counts as zero rather than negative.
/// Hours without an observation are filled from the neighbours by carrying the figure forward,
/// which spreads nothing: the whole increase lands in the hour it was seen.
pub fn hourly_increases(points: &[(DateTime<Utc>, Money)]) -> Vec<(DateTime<Utc>, f64)> {
    let mut last_per_hour: BTreeMap<DateTime<Utc>, f64> = BTreeMap::new();
    for (at, m) in points {
        if let Ok(hour) = at.duration_trunc(Duration::hours(1)) {
            last_per_hour.insert(hour, m.to_f64_lossy());
        }
    }
    let (Some((&first, _)), Some((&last, _))) = (
        last_per_hour.first_key_value(),
        last_per_hour.last_key_value(),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut prev: Option<f64> = None;
    let mut hour = first;
    while hour <= last {
        let value = last_per_hour.get(&hour).copied().or(prev);
        if let (Some(v), Some(p)) = (value, prev) {
            out.push((hour, (v - p).max(0.0)));
        }
        prev = value;
        hour += Duration::hours(1);
    }
    out
}

/// The cumulative figure a node's earnings are forecast on: lifetime if it moves, else what the running
/// period has accrued (it restarts each period; `hourly_increases` counts the reset as zero),
/// else the current-period estimate. The `forecast_error` rule reads realized earnings the same way.
pub async fn node_history(
    state: &AppState,
    id: &NodeId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, Money)>, DbError> {
    let id = id.clone();
    state
        .db(move |s| {
            let lifetime = s.earnings_history(&id, EarningsKind::Lifetime, from, to)?;
            // Storj's lifetime is the sum of monthly paystubs: it moves once a month, so inside
            // the window its accrued figure is the one that says what was earned when.
            let moves = lifetime.windows(2).any(|w| w[1].1.amount > w[0].1.amount);
            if moves {
                return Ok(lifetime);
            }
            let accrued = s.earnings_history(&id, EarningsKind::CurrentPeriodAccrued, from, to)?;
            if !accrued.is_empty() {
                return Ok(accrued);
            }
            if !lifetime.is_empty() {
                return Ok(lifetime);
            }
            s.earnings_history(&id, EarningsKind::CurrentPeriodEstimate, from, to)
        })
        .await
}

/// The cumulative earnings series a node's rate is measured on: lifetime if it moves, else what
/// the running period accrued (Storj: earnings, unlike its month-end projection), else the
/// current-period estimate, else the sum of Golem's invoice states.
pub async fn rate_series(
    state: &AppState,
    id: &NodeId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<(Vec<(DateTime<Utc>, f64)>, String)> {
    let kinds = [
        vec![EarningsKind::Lifetime],
        vec![EarningsKind::CurrentPeriodAccrued],
        vec![EarningsKind::CurrentPeriodEstimate],
        vec![
            EarningsKind::Pending,
            EarningsKind::Accepted,
            EarningsKind::Settled,
        ],
    ];
    let mut fallback = None;
    for group in kinds {
        let (id, g) = (id.clone(), group.clone());
        let rows = state
            .db(move |s| {
                let mut out = Vec::new();
                for k in g {
                    out.push(s.earnings_history(&id, k, from, to)?);
                }
                Ok(out)
            })
            .await
            .ok()?;
        if rows.iter().all(Vec::is_empty) {
            continue;
        }
        let token = rows
            .iter()
            .flatten()
            .next()
            .map(|(_, m)| m.token.as_str().to_owned())
            .unwrap_or_default();
        // Several figures: sum them at every observation time (they are written together).
        let mut by_time: BTreeMap<DateTime<Utc>, f64> = BTreeMap::new();
        for (t, m) in rows.iter().flatten() {
            *by_time.entry(*t).or_default() += m.to_f64_lossy();
        }
        let series: Vec<(DateTime<Utc>, f64)> = by_time.into_iter().collect();
        // A figure that never moves here (Storj's lifetime only grows with monthly paystubs)
        // says nothing about the rate; try the next one.
        let moves = series.windows(2).any(|w| w[1].1 > w[0].1);
        if moves {
            return Some((series, token));
        }
        fallback.get_or_insert((series, token));
    }
    fallback
}
