//! The belief: each node's earnings response to each resource, fitted from its own readings.
//!
//! Shape (docs/economics.md): earnings grow with a resource with diminishing returns until
//! demand caps them, so each resource contributes `a·ln(1 + b·x)` (concave, CVXPY-friendly, the
//! same form the engine and the fallback solve), with the knob's minimum as a hard constraint
//! (below it a Storj node misses inspections) and a negative fitted slope read as "demand-limited":
//! the marginal value is then zero, not negative.
//!
//! Fit: the curve is linear in `a` once `b` is fixed, so `b` is searched on a log grid (per
//! resource, coordinate-wise) and `a` solved exactly by least squares for each candidate
//! (variable projection). With one to three resources per node this finds the global optimum
//! of the grid without a general optimizer; `argmin`/`nalgebra` would add build weight and a
//! local method could stop in a flat valley of `b`. A resource that was never moved cannot
//! tell its own slope: its share is an intercept and the resource is `thin`. The p10–p90 range
//! of the marginal value comes from a day-block bootstrap (days, not hours, are resampled so the
//! daily demand cycle stays whole).

use std::collections::BTreeMap;

use orcha_core::ResourceKind;

// Below this share of its allocation a resource counts as slack (demand-limited): one threshold
// for the belief and the plan's measured-use bounds.
use super::demand::SLACK_SHARE;
use crate::fallback::Curve;

/// The display unit of a resource in base units (a core, a GiB, a GB, a Mbit/s).
pub fn unit(k: ResourceKind) -> (f64, &'static str) {
    match k {
        ResourceKind::Cpu => (1000.0, "core"),
        ResourceKind::Memory => (1024.0 * 1024.0 * 1024.0, "GiB"),
        ResourceKind::Disk => (1e9, "GB"),
        ResourceKind::Bandwidth => (1e6, "Mbit/s"),
    }
}

/// One hour of a node: the amounts in force (display units) and what it earned (fiat per hour).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Hours since an arbitrary origin; hour-of-day is `hour % 24` and the day `hour / 24`.
    pub hour: i64,
    pub amounts: BTreeMap<ResourceKind, f64>,
    pub rate: f64,
}

/// How much the belief about one resource can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Fitted from enough hours at enough different amounts.
    Fitted,
    /// Not enough variation or hours to tell a slope: the node keeps its amount (or probes).
    Thin,
    /// Not fitted, but the node uses all it is offered of a resource paid per unit used: the
    /// marginal value is what a used unit earns now (see [`at_cap`]).
    AtCap,
}

/// The fitted response of one resource, in display units and fiat per hour.
#[derive(Debug, Clone, PartialEq)]
pub struct Belief {
    pub a: f64,
    pub b: f64,
    /// The amount in force (display units), where the marginal value is read.
    pub at: f64,
    /// Fiat per hour that one more display unit earns: p10, p50, p90.
    pub marginal: [f64; 3],
    pub status: Status,
    /// Hours the fit saw and the distinct amounts among them.
    pub hours: usize,
    pub levels: usize,
    pub note: String,
    /// What the node actually uses (display units, p90 of the last day) when that is well below
    /// its allocation: demand, not the allocation, limits it, and one more unit earns nothing.
    pub cap: Option<f64>,
    /// What the node uses of it (display units, p90 of the last day; Storj: stored data), when
    /// measured: the floor the optimizer never takes it below (Streamr's inspections, Storj's
    /// stored data).
    pub used: Option<f64>,
}

impl Belief {
    /// The curve in base units, for the solver: `a·ln(1 + b·x/unit)`.
    pub fn curve(&self, k: ResourceKind) -> Curve {
        Curve {
            a: self.a,
            b: self.b / unit(k).0,
        }
    }
}

/// The least number of hours before any fit, and per amount before it counts as a level.
pub const MIN_HOURS: usize = 24;
const MIN_HOURS_PER_LEVEL: usize = 4;
/// Amounts closer than this (relative) are one level.
const LEVEL_TOLERANCE: f64 = 0.02;
const GRID: usize = 36;
const SWEEPS: usize = 3;
const BOOTSTRAP: usize = 40;

/// `b·x_max` spans 0.02 (nearly linear) to 50 (saturated early) over the grid.
fn grid(x_max: f64) -> Vec<f64> {
    let (lo, hi) = (0.02f64.ln(), 50f64.ln());
    (0..GRID)
        .map(|i| (lo + (hi - lo) * i as f64 / (GRID - 1) as f64).exp() / x_max.max(1e-9))
        .collect()
}

/// Distinct amounts with at least [`MIN_HOURS_PER_LEVEL`] hours each.
fn levels(xs: &[f64]) -> usize {
    let mut sorted: Vec<f64> = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut count = 0;
    let mut run: Vec<f64> = Vec::new();
    for x in sorted {
        if let Some(first) = run.first() {
            if (x - first).abs() > LEVEL_TOLERANCE * first.abs().max(1e-9) {
                count += usize::from(run.len() >= MIN_HOURS_PER_LEVEL);
                run.clear();
            }
        }
        run.push(x);
    }
    count + usize::from(run.len() >= MIN_HOURS_PER_LEVEL)
}

/// Divides out the daily demand cycle (mean rate per hour of day over the overall mean), so a
/// change made at a busy hour is not credited with the hour's demand. Needs two days.
fn deseasonalize(obs: &[Observation]) -> Vec<f64> {
    let days = obs
        .iter()
        .map(|o| o.hour.div_euclid(24))
        .collect::<std::collections::BTreeSet<_>>();
    let rates: Vec<f64> = obs.iter().map(|o| o.rate).collect();
    if days.len() < 2 {
        return rates;
    }
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    let mut by_hour = [(0.0, 0usize); 24];
    for o in obs {
        let h = o.hour.rem_euclid(24) as usize;
        by_hour[h].0 += o.rate;
        by_hour[h].1 += 1;
    }
    obs.iter()
        .map(|o| {
            let (s, n) = by_hour[o.hour.rem_euclid(24) as usize];
            let factor = if n > 0 && mean > 0.0 {
                s / n as f64 / mean
            } else {
                1.0
            };
            if factor > 0.05 {
                o.rate / factor
            } else {
                o.rate
            }
        })
        .collect()
}

/// Least squares `y ≈ X·β` by the normal equations (at most four columns, so Gaussian
/// elimination with partial pivoting is exact enough); `None` when singular.
fn least_squares(cols: &[&[f64]], y: &[f64]) -> Option<Vec<f64>> {
    let n = cols.len();
    let mut m = vec![vec![0.0; n + 1]; n];
    for i in 0..n {
        for j in 0..n {
            m[i][j] = cols[i].iter().zip(cols[j]).map(|(a, b)| a * b).sum();
        }
        m[i][n] = cols[i].iter().zip(y).map(|(a, b)| a * b).sum();
    }
    for c in 0..n {
        let p = (c..n).max_by(|a, b| m[*a][c].abs().total_cmp(&m[*b][c].abs()))?;
        m.swap(c, p);
        let scale = m[c][c].abs().max(1.0) * 1e-12;
        if m[c][c].abs() <= scale {
            return None;
        }
        let pivot = m[c].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != c {
                let f = row[c] / pivot[c];
                for (v, p) in row.iter_mut().zip(&pivot).skip(c) {
                    *v -= f * p;
                }
            }
        }
    }
    Some((0..n).map(|i| m[i][n] / m[i][i]).collect())
}

/// The fitted `(a, b)` per moved resource and the sum of squared residuals; `a ≥ 0` (a negative
/// slope is demand that does not answer, read as zero).
fn fit_once(
    xs: &BTreeMap<ResourceKind, Vec<f64>>,
    y: &[f64],
    intercept: bool,
) -> BTreeMap<ResourceKind, (f64, f64)> {
    let keys: Vec<ResourceKind> = xs.keys().copied().collect();
    let grids: Vec<Vec<f64>> = keys
        .iter()
        .map(|k| grid(xs[k].iter().copied().fold(0.0, f64::max)))
        .collect();
    // ln(1 + b·x) for every grid value of every resource, once: the sweeps below try each of
    // them many times (this was most of a cycle's CPU).
    let curves: Vec<Vec<Vec<f64>>> = keys
        .iter()
        .zip(&grids)
        .map(|(k, g)| {
            g.iter()
                .map(|b| xs[k].iter().map(|x| (b * x).ln_1p()).collect())
                .collect()
        })
        .collect();
    let ones = vec![1.0; y.len()];
    // The grid index of each resource's `b`.
    let mut at: Vec<usize> = vec![GRID / 2; keys.len()];
    let solve = |at: &[usize]| -> (f64, Vec<f64>) {
        let mut active: Vec<bool> = vec![true; keys.len()];
        loop {
            let mut cols: Vec<&[f64]> = Vec::new();
            for (i, on) in active.iter().enumerate() {
                if *on {
                    cols.push(&curves[i][at[i]]);
                }
            }
            if intercept {
                cols.push(&ones);
            }
            let beta = least_squares(&cols, y).unwrap_or_else(|| vec![0.0; cols.len()]);
            let mut a = vec![0.0; keys.len()];
            let mut j = 0;
            for (i, on) in active.iter().enumerate() {
                if *on {
                    a[i] = beta[j];
                    j += 1;
                }
            }
            if let Some(neg) = a.iter().position(|v| *v < 0.0) {
                active[neg] = false;
                continue;
            }
            let fitted = |t: usize| -> f64 {
                let mut v: f64 = (0..keys.len()).map(|i| a[i] * curves[i][at[i]][t]).sum();
                if intercept {
                    v += beta[beta.len() - 1];
                }
                v
            };
            let sse = (0..y.len()).map(|t| (y[t] - fitted(t)).powi(2)).sum();
            return (sse, a);
        }
    };
    for _ in 0..SWEEPS {
        for i in 0..keys.len() {
            let mut best = (f64::INFINITY, at[i]);
            for g in 0..GRID {
                let mut trial = at.clone();
                trial[i] = g;
                let (sse, _) = solve(&trial);
                if sse < best.0 {
                    best = (sse, g);
                }
            }
            at[i] = best.1;
        }
    }
    let (_, a) = solve(&at);
    keys.iter()
        .enumerate()
        .map(|(i, k)| (*k, (a[i], grids[i][at[i]])))
        .collect()
}

fn marginal(a: f64, b: f64, x: f64) -> f64 {
    a * b / (1.0 + b * x.max(0.0))
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A small deterministic generator for the bootstrap, so a cycle's belief is reproducible.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Fits every resource in `current` (display units) from the node's hours.
pub fn fit(
    obs: &[Observation],
    current: &BTreeMap<ResourceKind, f64>,
) -> BTreeMap<ResourceKind, Belief> {
    let thin = |k: &ResourceKind, note: String, hours: usize, levels: usize| Belief {
        a: 0.0,
        b: 0.0,
        at: current.get(k).copied().unwrap_or(0.0),
        marginal: [0.0; 3],
        status: Status::Thin,
        hours,
        levels,
        note,
        cap: None,
        used: None,
    };
    let obs: Vec<&Observation> = obs
        .iter()
        .filter(|o| o.rate.is_finite() && current.keys().all(|k| o.amounts.contains_key(k)))
        .collect();
    if obs.len() < MIN_HOURS {
        return current
            .keys()
            .map(|k| {
                let why = format!("{} h of readings, {MIN_HOURS} h needed", obs.len());
                (*k, thin(k, why, obs.len(), 0))
            })
            .collect();
    }
    let owned: Vec<Observation> = obs.iter().map(|o| (*o).clone()).collect();
    let y = deseasonalize(&owned);
    let series = |k: &ResourceKind| -> Vec<f64> { owned.iter().map(|o| o.amounts[k]).collect() };
    let lv: BTreeMap<ResourceKind, usize> =
        current.keys().map(|k| (*k, levels(&series(k)))).collect();
    let moved: BTreeMap<ResourceKind, Vec<f64>> = current
        .keys()
        .filter(|k| lv[k] >= 2)
        .map(|k| (*k, series(k)))
        .collect();
    // A resource never moved is a constant share: an intercept, which costs the others a level.
    let intercept = moved.len() < current.len();
    let mut out = BTreeMap::new();
    if moved.is_empty() {
        for k in current.keys() {
            out.insert(
                *k,
                thin(
                    k,
                    "never moved: its slope cannot be told".into(),
                    owned.len(),
                    lv[k],
                ),
            );
        }
        return out;
    }
    let point = fit_once(&moved, &y, intercept);
    // Day-block bootstrap of the marginal value at the operating point.
    let days: Vec<i64> = {
        let mut d: Vec<i64> = owned.iter().map(|o| o.hour.div_euclid(24)).collect();
        d.dedup();
        d
    };
    let mut samples: BTreeMap<ResourceKind, Vec<f64>> = BTreeMap::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ owned.len() as u64;
    for _ in 0..BOOTSTRAP {
        let mut idx = Vec::new();
        for _ in 0..days.len() {
            let d = days[(next(&mut seed) % days.len() as u64) as usize];
            idx.extend((0..owned.len()).filter(|i| owned[*i].hour.div_euclid(24) == d));
        }
        let xs: BTreeMap<ResourceKind, Vec<f64>> = moved
            .iter()
            .map(|(k, v)| (*k, idx.iter().map(|i| v[*i]).collect()))
            .collect();
        if xs.values().any(|v| levels(v) < 2) {
            continue;
        }
        let ys: Vec<f64> = idx.iter().map(|i| y[*i]).collect();
        for (k, (a, b)) in fit_once(&xs, &ys, intercept) {
            samples
                .entry(k)
                .or_default()
                .push(marginal(a, b, current[&k]));
        }
    }
    for k in current.keys() {
        let Some((a, b)) = point.get(k).copied() else {
            out.insert(
                *k,
                thin(
                    k,
                    "never moved: its slope cannot be told".into(),
                    owned.len(),
                    lv[k],
                ),
            );
            continue;
        };
        let needed = 2 + usize::from(intercept || moved.len() > 1);
        let x = current[k];
        let mid = marginal(a, b, x);
        let mut s = samples.remove(k).unwrap_or_default();
        s.sort_by(f64::total_cmp);
        let (lo, hi) = if s.len() >= BOOTSTRAP / 2 {
            (quantile(&s, 0.1).min(mid), quantile(&s, 0.9).max(mid))
        } else {
            (0.0, mid * 2.0)
        };
        let (status, note) = if lv[k] >= needed {
            (
                Status::Fitted,
                format!("fitted on {} h at {} amounts", owned.len(), lv[k]),
            )
        } else {
            (
                Status::Thin,
                format!("{} amounts seen, {needed} needed to tell the curve", lv[k]),
            )
        };
        out.insert(
            *k,
            Belief {
                a,
                b,
                at: x,
                marginal: [lo, mid, hi],
                status,
                hours: owned.len(),
                levels: lv[k],
                note,
                cap: None,
                used: None,
            },
        );
    }
    out
}

/// The saturation of the economics (Golem rents only what requestors take, Grass relays only
/// the traffic on offer, Storj fills only as fast as ingress comes): a resource the node uses
/// well below its allocation earns nothing more from more of it, whatever the curve says. Its
/// marginal value becomes zero and `cap` says where demand stops it.
pub fn demand_limited(b: &mut Belief, used_p90: f64) {
    if !uses_under(b, used_p90, SLACK_SHARE) {
        return;
    }
    let why = format!(
        "demand-limited: uses {used_p90:.1} of {:.1} (p90 of the last day), so more earns nothing now",
        b.at
    );
    earns_nothing_more(b, used_p90, why);
}

/// Whether `used` is a real reading under `share` of the amount in force.
fn uses_under(b: &Belief, used: f64, share: f64) -> bool {
    used.is_finite() && b.at > 0.0 && used < share * b.at
}

/// One more unit earns nothing now: `cap` is what the node uses, and `why` leads the note.
fn earns_nothing_more(b: &mut Belief, used: f64, why: String) {
    b.cap = Some(used);
    b.marginal = [0.0; 3];
    b.note = format!("{why}; {}", b.note);
}

/// Storj is paid for data stored, and data arrives only as fast as ingress brings it: space not
/// yet filled earns nothing, so more of it earns nothing until the node is nearly full
/// (docs/economics.md). Below this share used, the disk is ingress-limited.
const STORJ_FULL_SHARE: f64 = 0.9;

/// Storj's disk is ingress-limited while the node is not nearly full: its marginal value is zero
/// and `cap` is what is stored; the note says how long the free space takes to fill at the
/// measured fill rate (GB/h), when there is one.
pub fn ingress_limited(b: &mut Belief, used_gb: f64, fill_gb_per_hour: Option<f64>) {
    if !uses_under(b, used_gb, STORJ_FULL_SHARE) {
        return;
    }
    let free = b.at - used_gb;
    let fill = match fill_gb_per_hour {
        Some(r) if r > 0.0 => format!("fills in about {:.0} days at {r:.2} GB/h", free / r / 24.0),
        _ => "is not filling".to_owned(),
    };
    let why = format!(
        "ingress-limited: {used_gb:.0} of {:.0} GB used; the free {free:.0} GB {fill}, so more earns nothing now",
        b.at
    );
    earns_nothing_more(b, used_gb, why);
}

/// Above this share of its allocation in use, a resource is at its cap (a rented Golem thread
/// runs at about 90 % CPU, docs/economics.md, so "all of it" reads lower than 1).
const AT_CAP_SHARE: f64 = 0.8;

/// A resource paid per unit used (Golem's rented threads, Grass's relayed traffic) that the
/// node uses clearly less of than it has is not what limits its pay: demand, or another
/// resource (Golem's memory), is. One more unit then earns nothing, whatever a fit across
/// past amounts says (a concave fit cannot see where `min(…)` stops binding), and `cap` is
/// what it uses.
pub fn not_binding(b: &mut Belief, used_recent: f64) {
    if !uses_under(b, used_recent, AT_CAP_SHARE) || b.cap.is_some() {
        return;
    }
    let why = format!(
        "not binding: uses {used_recent:.1} of {:.1}, so demand or another resource limits it and more earns nothing now",
        b.at
    );
    earns_nothing_more(b, used_recent, why);
}

/// Golem is paid per rented thread and Grass per byte relayed (docs/economics.md): while the
/// node uses all it offers, demand exceeds supply and one more unit earns what a used unit earns
/// now, `rate / amount` (p50 and p90); where demand stops is unknown, so p10 is zero and the
/// curve bends over the scale of the current amount (`b·x = 1`, marginal `rate / amount` there).
/// It replaces a fitted curve too: a fit spans two weeks of changing demand, while the rate of
/// the last hours is what one more unit would earn now.
pub fn at_cap(b: &mut Belief, used_recent: f64, rate_recent: f64) {
    if !(b.at > 0.0 && used_recent >= AT_CAP_SHARE * b.at && rate_recent > 0.0) {
        return;
    }
    let per_unit = rate_recent / b.at;
    b.b = 1.0 / b.at;
    b.a = 2.0 * b.at * per_unit;
    b.marginal = [0.0, per_unit, per_unit];
    b.status = Status::AtCap;
    b.note = format!(
        "at cap: uses {used_recent:.1} of {:.1} and earns {rate_recent:.4}/h, so one more earns about {per_unit:.4}/h while demand lasts; {}",
        b.at, b.note
    );
}

/// The rules of a resource paid per unit used (see [`not_binding`] and [`at_cap`]), from what
/// the node used and earned over the last hours; the cycle and the belief test share them.
pub fn paid_per_use(b: &mut Belief, used_recent: f64, rate_recent: Option<f64>) {
    not_binding(b, used_recent);
    if let Some(rate) = rate_recent {
        at_cap(b, used_recent, rate);
    }
}

/// A bounded probe of a thin resource: one move of about a tenth of the amount (at least one
/// step), upward when the range allows, else downward; `None` when the knob cannot move.
pub fn probe(current: u64, min: u64, max: u64, step: u64) -> Option<u64> {
    let step = step.max(1);
    let delta = ((current / 10).div_ceil(step)).max(1) * step;
    if current.saturating_add(delta) <= max {
        Some(current + delta)
    } else if current >= min.saturating_add(delta) {
        Some(current - delta)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(days: i64, a: f64, b: f64, level: impl Fn(i64) -> f64) -> Vec<Observation> {
        (0..days * 24)
            .map(|h| {
                let x = level(h);
                // A daily demand cycle of ±30 % multiplies the response, as a network's does.
                let d = 1.0 + 0.3 * (2.0 * std::f64::consts::PI * (h % 24) as f64 / 24.0).cos();
                Observation {
                    hour: h,
                    amounts: BTreeMap::from([(ResourceKind::Disk, x)]),
                    rate: d * a * (b * x).ln_1p(),
                }
            })
            .collect()
    }

    #[test]
    fn a_moved_resource_is_fitted_near_its_true_marginal_value() {
        let (a, b) = (0.012, 0.004);
        let obs = hours(7, a, b, |h| {
            [500.0, 550.0, 600.0, 550.0][(h / 24 % 4) as usize]
        });
        let cur = BTreeMap::from([(ResourceKind::Disk, 550.0)]);
        let belief = &fit(&obs, &cur)[&ResourceKind::Disk];
        let truth = marginal(a, b, 550.0);
        assert_eq!(belief.status, Status::Fitted, "{belief:?}");
        assert!(
            (belief.marginal[1] - truth).abs() / truth < 0.15,
            "{belief:?} vs {truth}"
        );
        assert!(
            belief.marginal[0] <= belief.marginal[1] && belief.marginal[1] <= belief.marginal[2]
        );
    }

    #[test]
    fn an_unmoved_resource_is_thin_and_probes_stay_in_range() {
        let obs = hours(3, 0.01, 0.01, |_| 500.0);
        let cur = BTreeMap::from([(ResourceKind::Disk, 500.0)]);
        let belief = &fit(&obs, &cur)[&ResourceKind::Disk];
        assert_eq!(belief.status, Status::Thin);
        assert_eq!(belief.marginal, [0.0; 3]);
        assert_eq!(probe(100, 10, 200, 5), Some(110));
        assert_eq!(probe(195, 10, 200, 5), Some(175));
        assert_eq!(probe(12, 10, 13, 5), None);
        assert!(fit(&obs[..10], &cur)[&ResourceKind::Disk]
            .note
            .contains("24 h needed"));
        let mut b = fit(
            &hours(7, 0.01, 0.01, |h| [400.0, 500.0][(h / 24 % 2) as usize]),
            &cur,
        )[&ResourceKind::Disk]
            .clone();
        assert!(b.marginal[1] > 0.0);
        demand_limited(&mut b, 450.0);
        assert_eq!(b.cap, None, "most of it is used");
        let mut storj = b.clone();
        ingress_limited(&mut storj, 460.0, Some(1.0));
        assert_eq!(storj.cap, None, "nearly full: more space fills and earns");
        ingress_limited(&mut storj, 400.0, Some(2.0));
        assert_eq!(storj.cap, Some(400.0));
        assert!(
            storj.note.contains("fills in about 2 days"),
            "{}",
            storj.note
        );
        demand_limited(&mut b, 120.0);
        assert_eq!((b.cap, b.marginal), (Some(120.0), [0.0; 3]));

        let mut t = fit(&obs, &cur)[&ResourceKind::Disk].clone();
        at_cap(&mut t, 300.0, 1.0);
        assert_eq!(t.status, Status::Thin, "not at cap");
        at_cap(&mut t, 495.0, 1.0);
        assert_eq!(t.status, Status::AtCap);
        assert!((t.marginal[1] - 0.002).abs() < 1e-12);
        assert!((marginal(t.a, t.b, t.at) - 0.002).abs() < 1e-12, "{t:?}");
    }
}
