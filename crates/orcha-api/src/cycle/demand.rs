//! What each node really uses bounds what the optimizer may give or take: slack earns nothing more, memory in use is never cut.
//!
//! The operating system's measurement of a node (`measured.*` samples, see `crate::usage`) is
//! read over the last day. Two rules follow from how these networks pay (docs/economics.md):
//! - **Slack**: a node that uses well under what it has (p90 of the day below 60 % of its
//!   allocation) is not limited by that resource; one more unit earns it nothing now, so the plan
//!   may not raise it (it may still lower it).
//! - **Memory floor**: a memory cap below what the node holds gets it killed by the kernel, which
//!   costs its work and, for Storj and Streamr, its reputation; the plan never goes below the
//!   measured p90 plus 25 % headroom (on the knob's grid), nor above the current amount for that
//!   reason alone.
//!
//! Use at the cap is left to the earnings curves: it is where demand is.

use chrono::{DateTime, Duration, Utc};
use orcha_core::{NodeId, ResourceKind};
use orcha_store::Resolution;

use crate::fallback::Terms;
use crate::policy::Amounts;
use crate::state::AppState;
use crate::usage::MEASURED_PREFIX;

/// Below this share of its allocation (p90 over the day), a resource is slack.
pub const SLACK_SHARE: f64 = 0.6;
/// Headroom above measured use that a plan keeps (memory here, every floor of the belief in
/// `optimize::problem`).
pub const USE_HEADROOM: f64 = 1.25;
/// Minutes of measurement needed before use says anything (one hour).
pub const MIN_MINUTES: usize = 60;
/// How far back use is read.
const WINDOW_HOURS: i64 = 24;

/// The measured series that stand for each resource's use.
const USE_METRICS: [(&str, ResourceKind); 3] = [
    ("cpu_millicores", ResourceKind::Cpu),
    ("mem_bytes", ResourceKind::Memory),
    ("bandwidth_up_bps", ResourceKind::Bandwidth),
];

/// The 90th percentile of per-minute peaks (nearest rank), or `None` with too few minutes.
pub fn p90(mut peaks: Vec<f64>) -> Option<f64> {
    peaks.retain(|v| v.is_finite() && *v >= 0.0);
    if peaks.len() < MIN_MINUTES {
        return None;
    }
    peaks.sort_by(f64::total_cmp);
    let rank = ((0.9 * peaks.len() as f64).ceil() as usize).clamp(1, peaks.len());
    peaks.get(rank - 1).copied()
}

/// What node `id` used over the last day, per resource (p90 of the minutes' peaks), for the
/// resources it was measured on long enough. A store error means "not known", never a guess.
pub async fn measured_use(state: &AppState, id: &NodeId, now: DateTime<Utc>) -> Amounts {
    let from = now - Duration::hours(WINDOW_HOURS);
    let id = id.clone();
    let read = state
        .db(move |s| {
            let mut out = Vec::new();
            for (metric, kind) in USE_METRICS {
                let name = format!("{MEASURED_PREFIX}{metric}");
                let points = s.samples(&id, &name, from, now, Resolution::Minute)?;
                out.push((kind, points.into_iter().map(|p| p.max).collect::<Vec<_>>()));
            }
            Ok(out)
        })
        .await;
    match read {
        Ok(series) => series
            .into_iter()
            .filter_map(|(kind, peaks)| p90(peaks).map(|v| (kind, v.round() as u64)))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "Could not read measured use; the plan ignores it.");
            Amounts::new()
        }
    }
}

/// Rounds `x` up to the grid `min + k·step`.
fn ceil_to_grid(x: u64, min: u64, step: u64) -> u64 {
    if x <= min {
        return min;
    }
    let step = step.max(1);
    min + (x - min).div_ceil(step) * step
}

/// Narrows one resource's terms by what the node uses; says what it changed, if anything.
pub fn bound_by_use(kind: ResourceKind, terms: &mut Terms, used: u64) -> Option<String> {
    let mut said = Vec::new();
    if (used as f64) < SLACK_SHARE * terms.current as f64 && terms.max > terms.current {
        terms.max = terms.current.max(terms.min);
        said.push(format!(
            "{kind} is slack (p90 use {used} of {}): not raised",
            terms.current
        ));
    }
    if kind == ResourceKind::Memory {
        let floor = ceil_to_grid(
            (used as f64 * USE_HEADROOM).ceil() as u64,
            terms.min,
            terms.step,
        )
        .min(terms.current.max(terms.min))
        .min(terms.max);
        if floor > terms.min {
            terms.min = floor;
            said.push(format!("memory holds {used}: not cut below {floor}"));
        }
    }
    (!said.is_empty()).then(|| said.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fallback::Curve;

    fn terms(current: u64, min: u64, max: u64, step: u64) -> Terms {
        Terms {
            current,
            min,
            max,
            step,
            curve: Curve { a: 1.0, b: 1.0 },
            cost_per_unit: 0.0,
        }
    }

    #[test]
    fn p90_needs_an_hour_and_takes_the_nearest_rank() {
        assert_eq!(p90(vec![1.0; 59]), None);
        // 100 minutes 1..=100: the 90th value is 90.
        assert_eq!(p90((1..=100).map(f64::from).collect()), Some(90.0));
        // NaN and negative readings are not use.
        let mut v: Vec<f64> = (1..=60).map(f64::from).collect();
        v.push(f64::NAN);
        v.push(-5.0);
        assert_eq!(p90(v), Some(54.0));
    }

    #[test]
    fn a_slack_resource_is_not_raised_but_may_be_lowered() {
        // 4 cores, using 1.5 (37.5 %): slack.
        let mut t = terms(4000, 500, 8000, 250);
        let why = bound_by_use(ResourceKind::Cpu, &mut t, 1500).unwrap();
        assert_eq!((t.min, t.max), (500, 4000));
        assert!(why.contains("cpu is slack"), "{why}");
        // Using 2.5 of 4 cores (62.5 %) is not slack: nothing changes.
        let mut t = terms(4000, 500, 8000, 250);
        assert_eq!(bound_by_use(ResourceKind::Cpu, &mut t, 2500), None);
        assert_eq!((t.min, t.max), (500, 8000));
    }

    #[test]
    fn memory_in_use_plus_headroom_is_a_floor_on_the_knobs_grid() {
        // 8 GiB cap (step 256 MiB from 512 MiB), 6 GiB in use: 7.5 GiB floor, already on the grid.
        let gib = 1u64 << 30;
        let mib = 1u64 << 20;
        let mut t = terms(8 * gib, 512 * mib, 16 * gib, 256 * mib);
        let why = bound_by_use(ResourceKind::Memory, &mut t, 6 * gib).unwrap();
        assert_eq!(t.min, 7 * gib + 512 * mib);
        assert_eq!(t.max, 16 * gib);
        assert!(why.contains("not cut below"), "{why}");
        // 1000 MiB in use → 1250 MiB → rounded up to the grid: 512 + 3·256 = 1280 MiB; slack too.
        let mut t = terms(8 * gib, 512 * mib, 16 * gib, 256 * mib);
        bound_by_use(ResourceKind::Memory, &mut t, 1000 * mib).unwrap();
        assert_eq!((t.min, t.max), (1280 * mib, 8 * gib));
        // Use above the current cap never forces the plan above the current amount.
        let mut t = terms(4 * gib, 512 * mib, 16 * gib, 256 * mib);
        bound_by_use(ResourceKind::Memory, &mut t, 5 * gib);
        assert_eq!(t.min, 4 * gib);
    }

    #[test]
    fn the_grid_rounds_up_from_the_minimum() {
        assert_eq!(ceil_to_grid(0, 500, 250), 500);
        assert_eq!(ceil_to_grid(501, 500, 250), 750);
        assert_eq!(ceil_to_grid(750, 500, 250), 750);
        assert_eq!(ceil_to_grid(751, 500, 0), 751);
    }
}
