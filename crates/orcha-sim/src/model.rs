//! The market model: seeded exogenous demand per protocol and the concave response of earnings
//! to the resources allocated to each node.
//!
//! Everything here is a pure function of the seed, the scenario and the minute index, so the
//! world, the oracle and the benchmarks all see exactly the same market. The equations are
//! written out in `crates/orcha-sim/README.md`.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use orcha_core::{ProtocolId, ResourceKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Minutes in an hour, day and week, as used by the seasonality terms.
pub const MINUTES_PER_HOUR: u64 = 60;
pub const MINUTES_PER_DAY: u64 = 24 * MINUTES_PER_HOUR;

/// Serializes a domain id (`ProtocolId`, `ResourceKind`) by its lowercase name.
pub(crate) fn ser_name<T: std::fmt::Display, S: serde::Serializer>(
    v: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// A diminishing-returns response `a · ln(1 + b · x)` (`a` USD/h, `b` per model unit).
///
/// Kept so scenario files written for the earlier curve model still load; the truth now follows
/// `economics` (what each network pays for) and these values are not used for earnings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Curve {
    pub a: f64,
    pub b: f64,
}

impl Curve {
    pub fn value(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        self.a * (self.b * x).ln_1p()
    }
}

/// How demand for one protocol moves: level, seasonality, noise and its response curves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolMarket {
    /// Mean demand level (dimensionless; 1 = the curves' nominal earnings).
    pub base: f64,
    /// Relative amplitude of the daily cycle (0..1).
    pub daily_amplitude: f64,
    /// Hour of day (UTC) at which the daily cycle peaks.
    pub daily_peak_hour: f64,
    /// Relative amplitude of the weekly cycle (0..1).
    pub weekly_amplitude: f64,
    /// Day of week (0 = Monday) at which the weekly cycle peaks.
    pub weekly_peak_day: f64,
    /// Standard deviation of the log-normal hourly noise.
    pub noise: f64,
    /// Hour-to-hour autocorrelation of the noise (AR(1), 0..1).
    pub noise_persistence: f64,
    /// Legacy response curves per resource kind; accepted, no longer used (see `Curve`).
    pub curves: BTreeMap<String, Curve>,
}

impl Default for ProtocolMarket {
    fn default() -> Self {
        ProtocolMarket {
            base: 1.0,
            daily_amplitude: 0.2,
            daily_peak_hour: 15.0,
            weekly_amplitude: 0.1,
            weekly_peak_day: 2.0,
            noise: 0.1,
            noise_persistence: 0.7,
            curves: BTreeMap::new(),
        }
    }
}

impl ProtocolMarket {
    pub fn curve(&self, kind: ResourceKind) -> Option<Curve> {
        self.curves.get(kind.as_str()).copied()
    }
}

/// A scripted change of demand for one protocol over a window of simulated time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Regime {
    #[serde(serialize_with = "ser_name")]
    pub protocol: ProtocolId,
    pub start_minute: u64,
    pub end_minute: u64,
    pub multiplier: f64,
    pub label: String,
}

/// All market parameters of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct MarketParams {
    pub storj: ProtocolMarket,
    pub golem: ProtocolMarket,
    pub streamr: ProtocolMarket,
    pub grass: ProtocolMarket,
    /// Golem has jobs only while its demand is above this level; below it the node idles.
    pub golem_job_threshold: f64,
    /// Length of a Grass epoch in hours; each epoch draws its own points multiplier.
    pub grass_epoch_hours: u64,
    /// Spread of the per-epoch Grass multiplier: uniform in `1 ± spread`.
    pub grass_epoch_spread: f64,
    pub regimes: Vec<Regime>,
    /// Day of week (0 = Monday) of minute 0, so weekly seasonality follows the calendar.
    pub start_weekday: u32,
    /// Hour of day (fractional, UTC) of minute 0.
    pub start_hour_of_day: f64,
}

impl MarketParams {
    pub fn protocol(&self, p: ProtocolId) -> &ProtocolMarket {
        match p {
            ProtocolId::Storj => &self.storj,
            ProtocolId::Golem => &self.golem,
            ProtocolId::Streamr => &self.streamr,
            ProtocolId::Grass => &self.grass,
        }
    }

    /// The reference parameters used when a scenario says nothing about the market.
    pub fn reference() -> Self {
        let curves = |list: &[(&str, f64, f64)]| {
            list.iter()
                .map(|(k, a, b)| ((*k).to_owned(), Curve { a: *a, b: *b }))
                .collect()
        };
        MarketParams {
            storj: ProtocolMarket {
                base: 1.0,
                daily_amplitude: 0.15,
                weekly_amplitude: 0.05,
                noise: 0.08,
                curves: curves(&[("disk", 0.012, 0.004)]),
                ..ProtocolMarket::default()
            },
            golem: ProtocolMarket {
                base: 1.0,
                daily_amplitude: 0.5,
                daily_peak_hour: 14.0,
                weekly_amplitude: 0.2,
                noise: 0.25,
                curves: curves(&[
                    ("cpu", 0.02, 0.5),
                    ("memory", 0.002, 0.3),
                    ("disk", 0.0005, 0.02),
                ]),
                ..ProtocolMarket::default()
            },
            streamr: ProtocolMarket {
                base: 1.0,
                daily_amplitude: 0.1,
                weekly_amplitude: 0.05,
                noise: 0.05,
                curves: curves(&[("cpu", 0.006, 0.8), ("bandwidth", 0.004, 0.05)]),
                ..ProtocolMarket::default()
            },
            grass: ProtocolMarket {
                base: 1.0,
                daily_amplitude: 0.1,
                weekly_amplitude: 0.0,
                noise: 0.05,
                curves: curves(&[("bandwidth", 0.006, 0.08)]),
                ..ProtocolMarket::default()
            },
            golem_job_threshold: 0.5,
            grass_epoch_hours: 7 * 24,
            grass_epoch_spread: 0.3,
            regimes: Vec::new(),
            start_weekday: 0,
            start_hour_of_day: 0.0,
        }
    }
}

/// How much of each resource every node has, in model units.
///
/// Storj disk and the Golem profile are set through the nodes' real knobs (config.yaml and
/// hardware.json); Streamr CPU and the bandwidth figures have no knob in the nodes, so they are
/// set through the control API, the way cgroups and tc would set them on a real machine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    pub storj_disk_gb: f64,
    pub golem_cpu_threads: f64,
    pub golem_mem_gib: f64,
    pub golem_storage_gib: f64,
    pub streamr_cpu_threads: f64,
    pub streamr_bandwidth_mbps: f64,
    pub grass_bandwidth_mbps: f64,
}

/// GB per GiB, for converting Golem's GiB storage into the shared disk budget.
pub const GB_PER_GIB: f64 = 1.073_741_824;

impl Allocation {
    /// The amount of `kind` the node of protocol `p` holds, in model units.
    pub fn get(&self, p: ProtocolId, kind: ResourceKind) -> f64 {
        match (p, kind) {
            (ProtocolId::Storj, ResourceKind::Disk) => self.storj_disk_gb,
            (ProtocolId::Golem, ResourceKind::Cpu) => self.golem_cpu_threads,
            (ProtocolId::Golem, ResourceKind::Memory) => self.golem_mem_gib,
            (ProtocolId::Golem, ResourceKind::Disk) => self.golem_storage_gib * GB_PER_GIB,
            (ProtocolId::Streamr, ResourceKind::Cpu) => self.streamr_cpu_threads,
            (ProtocolId::Streamr, ResourceKind::Bandwidth) => self.streamr_bandwidth_mbps,
            (ProtocolId::Grass, ResourceKind::Bandwidth) => self.grass_bandwidth_mbps,
            _ => 0.0,
        }
    }

    /// Whether the Golem hardware profile differs (a change that can cost running jobs).
    pub fn golem_profile_differs(&self, other: &Allocation) -> bool {
        self.golem_cpu_threads != other.golem_cpu_threads
            || self.golem_mem_gib != other.golem_mem_gib
            || self.golem_storage_gib != other.golem_storage_gib
    }
}

/// The unit of each resource in the model.
pub fn model_unit(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Cpu => "threads",
        ResourceKind::Memory => "GiB",
        ResourceKind::Disk => "GB",
        ResourceKind::Bandwidth => "Mbit/s",
    }
}

fn index(p: ProtocolId) -> usize {
    match p {
        ProtocolId::Storj => 0,
        ProtocolId::Golem => 1,
        ProtocolId::Streamr => 2,
        ProtocolId::Grass => 3,
    }
}

/// The market: parameters plus the seeded noise, generated hour by hour as time moves on.
#[derive(Debug, Clone)]
pub struct Market {
    params: MarketParams,
    seed: u64,
    noise: [Vec<f64>; 4],
    rngs: [ChaCha8Rng; 4],
    epoch_multipliers: Vec<f64>,
    epoch_rng: ChaCha8Rng,
}

impl Market {
    pub fn new(params: MarketParams, seed: u64) -> Self {
        // Each protocol gets its own stream so adding a protocol never shifts another's noise.
        let stream = |i: u64| {
            ChaCha8Rng::seed_from_u64(seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i + 1)))
        };
        Market {
            params,
            seed,
            noise: [Vec::new(), Vec::new(), Vec::new(), Vec::new()],
            rngs: [stream(0), stream(1), stream(2), stream(3)],
            epoch_multipliers: Vec::new(),
            epoch_rng: stream(4),
        }
    }

    pub fn params(&self) -> &MarketParams {
        &self.params
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The AR(1) noise term of hour `hour` for protocol `p`, generating hours in order.
    fn noise_at(&mut self, p: ProtocolId, hour: usize) -> f64 {
        let i = index(p);
        let rho = self.params.protocol(p).noise_persistence.clamp(0.0, 0.999);
        while self.noise[i].len() <= hour {
            let z = standard_normal(&mut self.rngs[i]);
            let prev = self.noise[i].last().copied().unwrap_or(0.0);
            let first = self.noise[i].is_empty();
            // The first hour is drawn from the stationary distribution so there is no warm-up.
            let next = if first {
                z
            } else {
                rho * prev + (1.0 - rho * rho).sqrt() * z
            };
            self.noise[i].push(next);
        }
        self.noise[i][hour]
    }

    fn epoch_multiplier(&mut self, epoch: usize) -> f64 {
        let spread = self.params.grass_epoch_spread.clamp(0.0, 0.99);
        while self.epoch_multipliers.len() <= epoch {
            let u: f64 = self.epoch_rng.random();
            self.epoch_multipliers.push(1.0 + spread * (2.0 * u - 1.0));
        }
        self.epoch_multipliers[epoch]
    }

    /// The Grass epoch that minute `minute` falls in.
    pub fn grass_epoch(&self, minute: u64) -> u64 {
        minute / (self.params.grass_epoch_hours.max(1) * MINUTES_PER_HOUR)
    }

    /// Demand for protocol `p` at minute `minute` since the start (never negative).
    ///
    /// `d = base · S_day · S_week · exp(σ·ε_h − σ²/2) · R(t) · E(t)`; see the README.
    pub fn demand(&mut self, p: ProtocolId, minute: u64) -> f64 {
        let m = self.params.protocol(p);
        let (base, daily_amplitude, daily_peak_hour, weekly_amplitude, weekly_peak_day, sigma) = (
            m.base,
            m.daily_amplitude,
            m.daily_peak_hour,
            m.weekly_amplitude,
            m.weekly_peak_day,
            m.noise.max(0.0),
        );
        let hours = minute as f64 / 60.0 + self.params.start_hour_of_day;
        let day_phase = 2.0 * PI * (hours - daily_peak_hour) / 24.0;
        let s_day = (1.0 + daily_amplitude * day_phase.cos()).max(0.0);
        let days = hours / 24.0 + f64::from(self.params.start_weekday);
        let week_phase = 2.0 * PI * (days - weekly_peak_day) / 7.0;
        let s_week = (1.0 + weekly_amplitude * week_phase.cos()).max(0.0);
        let hour_index = usize::try_from(minute / MINUTES_PER_HOUR).unwrap_or(usize::MAX - 1);
        let eps = self.noise_at(p, hour_index);
        let noise = (sigma * eps - sigma * sigma / 2.0).exp();
        let regime: f64 = self
            .params
            .regimes
            .iter()
            .filter(|r| r.protocol == p && r.start_minute <= minute && minute < r.end_minute)
            .map(|r| r.multiplier.max(0.0))
            .product();
        let epoch = if p == ProtocolId::Grass {
            let e = usize::try_from(self.grass_epoch(minute)).unwrap_or(usize::MAX - 1);
            self.epoch_multiplier(e)
        } else {
            1.0
        };
        (base * s_day * s_week * noise * regime * epoch).max(0.0)
    }

    /// Whether Golem has jobs at this minute (demand above the job threshold).
    pub fn golem_jobs_arrive(&mut self, minute: u64) -> bool {
        self.demand(ProtocolId::Golem, minute) > self.params.golem_job_threshold
    }

    /// The earnings demand actually pays for: Golem earns only while jobs arrive.
    pub fn effective_demand(&mut self, p: ProtocolId, minute: u64) -> f64 {
        let d = self.demand(p, minute);
        if p == ProtocolId::Golem && d <= self.params.golem_job_threshold {
            return 0.0;
        }
        d
    }

    /// The current Grass epoch's points multiplier.
    pub fn grass_epoch_multiplier(&mut self, minute: u64) -> f64 {
        let e = usize::try_from(self.grass_epoch(minute)).unwrap_or(usize::MAX - 1);
        self.epoch_multiplier(e)
    }

    /// Effective demand of every protocol at this minute, in `ProtocolId::ALL` order.
    pub fn demands(&mut self, minute: u64) -> [f64; 4] {
        ProtocolId::ALL.map(|p| self.effective_demand(p, minute))
    }
}

/// A standard normal draw by the Box–Muller transform (no extra crate for one distribution).
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_are_concave_and_zero_at_zero() {
        let c = Curve { a: 2.0, b: 0.5 };
        assert_eq!(c.value(0.0), 0.0);
        let d1 = c.value(2.0) - c.value(1.0);
        let d2 = c.value(3.0) - c.value(2.0);
        assert!(d1 > d2 && d2 > 0.0);
    }

    #[test]
    fn demand_is_deterministic_for_a_seed_and_differs_across_seeds() {
        let mut a = Market::new(MarketParams::reference(), 7);
        let mut b = Market::new(MarketParams::reference(), 7);
        let mut c = Market::new(MarketParams::reference(), 8);
        let xs: Vec<f64> = (0..500)
            .map(|m| a.demand(ProtocolId::Golem, m * 37))
            .collect();
        let ys: Vec<f64> = (0..500)
            .map(|m| b.demand(ProtocolId::Golem, m * 37))
            .collect();
        let zs: Vec<f64> = (0..500)
            .map(|m| c.demand(ProtocolId::Golem, m * 37))
            .collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
        assert!(xs.iter().all(|d| *d >= 0.0 && d.is_finite()));
    }

    #[test]
    fn regimes_multiply_demand_inside_their_window_only() {
        let mut p = MarketParams::reference();
        p.regimes.push(Regime {
            protocol: ProtocolId::Golem,
            start_minute: 600,
            end_minute: 1200,
            multiplier: 3.0,
            label: "surge".into(),
        });
        let mut with = Market::new(p, 1);
        let mut without = Market::new(MarketParams::reference(), 1);
        let inside = with.demand(ProtocolId::Golem, 700) / without.demand(ProtocolId::Golem, 700);
        assert!((inside - 3.0).abs() < 1e-9);
        let outside =
            with.demand(ProtocolId::Golem, 1300) / without.demand(ProtocolId::Golem, 1300);
        assert!((outside - 1.0).abs() < 1e-9);
    }
}
