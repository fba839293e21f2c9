//! The node's own past as fitting data: what it was allocated each hour (from the decision log)
//! and what it earned (from its earnings series), fitted into a [`response::Belief`] per resource.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use orcha_core::{NodeId, ProtocolId, ResourceKind};

use super::response::{self, Belief, Observation};
use crate::policy::Amounts;
use crate::state::AppState;

/// How far back the belief looks: two weeks holds several probes and both weekly halves.
pub const HISTORY_HOURS: i64 = 14 * 24;

/// Every applied change of the node, oldest first: when, and the amounts before and after.
pub type Changes = Vec<(DateTime<Utc>, Amounts, Amounts)>;

/// The applied changes of every node from the decision log (newest 500 decisions).
pub async fn changes(state: &AppState) -> BTreeMap<NodeId, Changes> {
    let rows = state.db(|s| s.decisions(500)).await.unwrap_or_default();
    let mut out: BTreeMap<NodeId, Changes> = BTreeMap::new();
    for row in rows.iter().rev() {
        let Some(result) = row
            .applied_result
            .as_deref()
            .and_then(|r| serde_json::from_str::<crate::dto::AppliedResultDto>(r).ok())
        else {
            continue;
        };
        if result.status != "applied" {
            continue;
        }
        let at = result
            .at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.to_utc())
            .unwrap_or_else(|| orcha_store::from_ms(row.created_at));
        for (id, n) in result.nodes.into_iter().flatten() {
            let Ok(id) = id.parse::<NodeId>() else {
                continue;
            };
            let amounts = |m: &crate::dto::AmountsMap| -> Amounts {
                m.iter()
                    .filter_map(|(k, v)| {
                        let kind = ResourceKind::ALL.into_iter().find(|r| r.as_str() == k)?;
                        Some((kind, *v))
                    })
                    .collect()
            };
            out.entry(id)
                .or_default()
                .push((at, amounts(&n.before), amounts(&n.after)));
        }
    }
    // Rows come newest first by id; time is what orders the changes.
    for c in out.values_mut() {
        c.sort_by_key(|(at, _, _)| *at);
    }
    out
}

/// The amount of `k` in force at `t`: the last change's `after` at or before `t`, the first
/// change's `before` earlier, the current amount when the log says nothing.
pub fn amount_at(
    changes: &Changes,
    current: &Amounts,
    k: ResourceKind,
    t: DateTime<Utc>,
) -> Option<u64> {
    let last = changes
        .iter()
        .rev()
        .find(|(at, _, after)| *at <= t && after.contains_key(&k));
    if let Some((_, _, after)) = last {
        return after.get(&k).copied();
    }
    changes
        .iter()
        .find_map(|(_, before, _)| before.get(&k).copied())
        .or_else(|| current.get(&k).copied())
}

/// Display units of every resource of `current` at hour `t`.
fn amounts_at(
    changes: &Changes,
    current: &Amounts,
    t: DateTime<Utc>,
) -> BTreeMap<ResourceKind, f64> {
    current
        .keys()
        .filter_map(|k| {
            Some((
                *k,
                amount_at(changes, current, *k, t)? as f64 / response::unit(*k).0,
            ))
        })
        .collect()
}

/// Resource and time features aligned with an hourly series, for the forecaster: the amount of
/// each resource in force (display units) and the hour of day and weekday as a circle.
pub fn features(
    hours: &[DateTime<Utc>],
    changes: &Changes,
    current: &Amounts,
) -> BTreeMap<String, Vec<f64>> {
    use chrono::{Datelike, Timelike};
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let tau = std::f64::consts::TAU;
    for t in hours {
        for (k, v) in amounts_at(changes, current, *t) {
            out.entry(format!("alloc_{}", k.as_str()))
                .or_default()
                .push(v);
        }
        let h = f64::from(t.hour()) / 24.0;
        let d = f64::from(t.weekday().num_days_from_monday()) / 7.0;
        out.entry("hour_sin".into())
            .or_default()
            .push((tau * h).sin());
        out.entry("hour_cos".into())
            .or_default()
            .push((tau * h).cos());
        out.entry("week_sin".into())
            .or_default()
            .push((tau * d).sin());
        out.entry("week_cos".into())
            .or_default()
            .push((tau * d).cos());
    }
    // A resource missing some hours would misalign its column; it is left out instead.
    out.retain(|_, v| v.len() == hours.len());
    out
}

/// The node's hours as fitting data: fiat per hour earned against the amounts in force. Hours
/// are stamped at their start (see `hourly_increases`); an hour in which the allocation changed
/// mixes two amounts and pays the switch (a restart, lost jobs), so it is left out.
pub fn observations(
    hourly: &[(DateTime<Utc>, f64)],
    fiat_per_token: f64,
    changes: &Changes,
    current: &Amounts,
) -> Vec<Observation> {
    hourly
        .iter()
        .filter(|(t, _)| {
            !changes
                .iter()
                .any(|(at, _, _)| *at >= *t && *at < *t + Duration::hours(1))
        })
        .filter_map(|(t, v)| {
            let amounts = amounts_at(changes, current, *t + Duration::minutes(30));
            (amounts.len() == current.len()).then(|| Observation {
                hour: t.timestamp().div_euclid(3600),
                amounts,
                rate: v * fiat_per_token,
            })
        })
        .collect()
}

/// The belief about each resource of the node with the knobs in `current`.
pub async fn node_belief(
    state: &AppState,
    id: &NodeId,
    fiat_per_token: f64,
    changes: &Changes,
    current: &Amounts,
) -> BTreeMap<ResourceKind, Belief> {
    let now = state.clock.now();
    let to = now + Duration::minutes(1);
    let from = now - Duration::hours(HISTORY_HOURS);
    let hourly = super::predict::earnings_hours(state, id, from, to)
        .await
        .unwrap_or_default();
    let obs = observations(&hourly, fiat_per_token, changes, current);
    // What the node earned per hour lately: the level an at-cap unit is valued by.
    let recent: Vec<f64> = hourly
        .iter()
        .rev()
        .take(RECENT_HOURS)
        .map(|(_, v)| v * fiat_per_token)
        .collect();
    let recent_rate =
        (!recent.is_empty()).then(|| recent.iter().sum::<f64>() / recent.len() as f64);
    let at: BTreeMap<ResourceKind, f64> = current
        .iter()
        .map(|(k, v)| (*k, *v as f64 / response::unit(*k).0))
        .collect();
    // The fit is a few million flops per node; it stays off the async workers.
    let mut beliefs = tokio::task::spawn_blocking(move || response::fit(&obs, &at))
        .await
        .unwrap_or_default();
    for (k, b) in beliefs.iter_mut() {
        if id.protocol() == ProtocolId::Storj && *k == ResourceKind::Disk {
            if let Some((used, fill)) = storj_fill(state, id, now).await {
                b.used = Some(used);
                response::ingress_limited(b, used, fill);
            }
        } else if let Some((used, recent_use)) = usage(state, id, *k, now).await {
            b.used = Some(used);
            response::demand_limited(b, used);
            if paid_per_unit_used(id.protocol(), *k) {
                response::paid_per_use(b, recent_use, recent_rate);
            }
        }
    }
    beliefs
}

/// Storj's stored data now (GB) and how fast it grew over the last week (GB/h), from its
/// `disk_used_bytes` readings; `None` without readings.
async fn storj_fill(
    state: &AppState,
    id: &NodeId,
    now: DateTime<Utc>,
) -> Option<(f64, Option<f64>)> {
    let id = id.clone();
    let from = now - Duration::days(7);
    let points = state
        .db(move |s| {
            // Raw readings: the hourly roll-up lags a cycle, and the first cycles need these.
            s.samples(
                &id,
                "disk_used_bytes",
                from,
                now,
                orcha_store::Resolution::Raw,
            )
        })
        .await
        .ok()?;
    let (first, last) = (points.first()?, points.last()?);
    let hours = (last.ts - first.ts).num_minutes() as f64 / 60.0;
    let gb = 1e9;
    let rate = (hours >= 24.0).then(|| ((last.value - first.value) / gb / hours).max(0.0));
    Some((last.value / gb, rate))
}

/// The metrics that say how much of a resource the node uses (bandwidth: either direction): the
/// protocol's own report and the OS measurement (`measured.*`, see `crate::usage`), whichever
/// the node has.
fn usage_metrics(k: ResourceKind) -> &'static [&'static str] {
    match k {
        ResourceKind::Cpu => &["cpu_millicores", "measured.cpu_millicores"],
        ResourceKind::Memory => &["mem_bytes", "measured.mem_bytes"],
        ResourceKind::Disk => &["disk_used_bytes"],
        ResourceKind::Bandwidth => &[
            "bandwidth_up_bps",
            "bandwidth_down_bps",
            "measured.bandwidth_up_bps",
        ],
    }
}

/// Hours that count as "lately" for an at-cap resource.
const RECENT_HOURS: usize = 3;

/// Resources a network pays per unit actually used (docs/economics.md): Golem's rented threads
/// and the memory they hold, Grass's relayed traffic.
pub fn paid_per_unit_used(p: ProtocolId, k: ResourceKind) -> bool {
    matches!(
        (p, k),
        (ProtocolId::Golem, ResourceKind::Cpu | ResourceKind::Memory)
            | (ProtocolId::Grass, ResourceKind::Bandwidth)
    )
}

/// The p90 of the node's hourly use of `k` over the last day and its mean over the last
/// [`RECENT_HOURS`], in display units; `None` when it is not measured (then nothing is
/// concluded about slack or cap).
async fn usage(
    state: &AppState,
    id: &NodeId,
    k: ResourceKind,
    now: DateTime<Utc>,
) -> Option<(f64, f64)> {
    let id = id.clone();
    let from = now - Duration::hours(24);
    let series = state
        .db(move |s| {
            let mut out = Vec::new();
            for m in usage_metrics(k) {
                // Raw readings, not the hourly roll-up: that lags up to a cycle behind, and a
                // cycle must see the hours since the last one (a surge that just began).
                out.push(s.samples(&id, m, from, now, orcha_store::Resolution::Raw)?);
            }
            Ok(out)
        })
        .await
        .ok()?;
    series
        .iter()
        .map(|points| hourly_peaks(points))
        // A running node never uses exactly nothing: an all-zero series is a metric that does
        // not measure this use (e.g. a provider's own process, not its rented activities).
        .filter(|points| points.len() >= 12 && points.iter().any(|p| p.max > 0.0))
        .map(|points| {
            let unit = response::unit(k).0;
            let recent: Vec<f64> = points
                .iter()
                .rev()
                .take(RECENT_HOURS)
                .map(|p| p.max)
                .collect();
            let recent = recent.iter().sum::<f64>() / recent.len().max(1) as f64 / unit;
            let mut v: Vec<f64> = points.iter().map(|p| p.max).collect();
            v.sort_by(f64::total_cmp);
            (v[(v.len() - 1) * 9 / 10] / unit, recent)
        })
        .reduce(|a, b| (a.0.max(b.0), a.1.max(b.1)))
}

/// The highest reading of each hour, oldest first (hours without a reading are skipped).
fn hourly_peaks(points: &[orcha_store::Point]) -> Vec<orcha_store::Point> {
    let mut by_hour: BTreeMap<i64, orcha_store::Point> = BTreeMap::new();
    for p in points {
        let hour = p.ts.timestamp().div_euclid(3600);
        by_hour
            .entry(hour)
            .and_modify(|q| {
                if p.max > q.max {
                    q.max = p.max;
                }
            })
            .or_insert_with(|| p.clone());
    }
    by_hour.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_the_decision_log_and_features_align() {
        let t0 = DateTime::parse_from_rfc3339("2026-05-04T00:00:00Z")
            .unwrap()
            .to_utc();
        let gb = |n: u64| Amounts::from([(ResourceKind::Disk, n * 1_000_000_000)]);
        let changes = vec![(t0 + Duration::hours(2), gb(500), gb(600))];
        let current = gb(600);
        assert_eq!(
            amount_at(&changes, &current, ResourceKind::Disk, t0),
            Some(500 * 1_000_000_000)
        );
        let hours: Vec<_> = (0..4).map(|h| t0 + Duration::hours(h)).collect();
        let f = features(&hours, &changes, &current);
        assert_eq!(f["alloc_disk"], vec![500.0, 500.0, 600.0, 600.0]);
        assert_eq!(f["hour_cos"][0], 1.0);
        assert_eq!(f.len(), 5);
        // Hours are stamped at their start; the hour of the change (hour 2) is left out.
        let hourly: Vec<_> = hours.iter().map(|t| (*t, 2.0)).collect();
        let obs = observations(&hourly, 0.5, &changes, &current);
        assert_eq!(obs.len(), 3);
        assert_eq!(obs[1].amounts[&ResourceKind::Disk], 500.0);
        assert_eq!(obs[2].amounts[&ResourceKind::Disk], 600.0);
        assert_eq!(obs[0].rate, 1.0);
    }
}
