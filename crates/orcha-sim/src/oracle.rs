//! Scoring: static equal split, best static split in hindsight, a perfect-foresight oracle that
//! re-decides every cycle under the same switching costs, and what the app achieved.
//!
//! All policies choose from one grid of allocations (Storj disk vs Golem storage, Golem vs
//! Streamr threads, Streamr vs Grass bandwidth) and are valued with the same market and faults
//! as the world, so "oracle ≥ every static policy" holds by construction: staying put is one of
//! the oracle's options.

use std::collections::HashMap;

use orcha_core::ProtocolId;
use serde::Serialize;

use crate::economics::{nano_usd, usd_of, Conditions};
use crate::faults::FaultBook;
use crate::model::{Allocation, Market, GB_PER_GIB};
use crate::scenario::{Budget, Scenario, SwitchingCosts};
use crate::world::{
    golem_switch_loss, storj_ingress_bytes, AllocationChange, ExternalAllocation, World, JOB_HOURS,
};

/// Golem keeps at least this much scratch storage in every grid allocation.
const GOLEM_MIN_STORAGE_GIB: f64 = 10.0;
const LEVELS: usize = 11;

/// The allocation grid every policy chooses from.
#[derive(Clone, Debug)]
pub struct Grid {
    pub budget: Budget,
    pub storj_disk_gb: Vec<f64>,
    pub golem_threads: Vec<f64>,
    pub streamr_bandwidth_mbps: Vec<f64>,
}

impl Grid {
    pub fn new(budget: Budget, costs: &SwitchingCosts) -> Self {
        let hi = (budget.disk_gb - GOLEM_MIN_STORAGE_GIB * GB_PER_GIB).max(costs.storj_min_disk_gb);
        let storj_disk_gb = (0..LEVELS)
            .map(|i| {
                (budget.disk_gb * i as f64 / (LEVELS - 1) as f64).clamp(costs.storj_min_disk_gb, hi)
            })
            .collect();
        let max_threads = (budget.cpu_threads.floor() - 1.0).max(1.0) as u32;
        let golem_threads = (1..=max_threads).map(f64::from).collect();
        let streamr_bandwidth_mbps = (0..LEVELS)
            .map(|i| budget.bandwidth_mbps * i as f64 / (LEVELS - 1) as f64)
            .collect();
        Grid {
            budget,
            storj_disk_gb,
            golem_threads,
            streamr_bandwidth_mbps,
        }
    }

    /// The allocation at grid point (disk, cpu, bandwidth).
    pub fn allocation(&self, d: usize, c: usize, b: usize) -> Allocation {
        let storj = self.storj_disk_gb[d.min(self.storj_disk_gb.len() - 1)];
        let golem_threads = self.golem_threads[c.min(self.golem_threads.len() - 1)];
        let streamr_bw = self.streamr_bandwidth_mbps[b.min(self.streamr_bandwidth_mbps.len() - 1)];
        Allocation {
            storj_disk_gb: storj,
            golem_cpu_threads: golem_threads,
            golem_mem_gib: self.budget.mem_gib,
            golem_storage_gib: ((self.budget.disk_gb - storj) / GB_PER_GIB).max(0.0),
            streamr_cpu_threads: (self.budget.cpu_threads - golem_threads).max(0.0),
            streamr_bandwidth_mbps: streamr_bw,
            grass_bandwidth_mbps: (self.budget.bandwidth_mbps - streamr_bw).max(0.0),
        }
    }

    /// The equal split: half the disk, half the threads, half the bandwidth.
    pub fn equal_split(&self) -> (usize, usize, usize) {
        let half_threads = (self.budget.cpu_threads / 2.0).floor().max(1.0);
        let c = self
            .golem_threads
            .iter()
            .position(|t| *t == half_threads)
            .unwrap_or(0);
        (LEVELS / 2, c, LEVELS / 2)
    }
}

/// The four numbers of a score, in US dollars.
#[derive(Clone, Debug, Serialize)]
pub struct Score {
    pub scenario: String,
    pub seed: u64,
    pub cycles: usize,
    pub cycle_minutes: u64,
    pub equal_split_usd: f64,
    pub equal_split_allocation: Allocation,
    pub best_static_usd: f64,
    pub best_static_allocation: Allocation,
    pub oracle_usd: f64,
    pub oracle_switches: usize,
    /// What the app achieved (from the allocations the simulator observed); `None` without one.
    pub achieved_usd: Option<f64>,
    pub achieved_vs_oracle: Option<f64>,
}

/// The market and faults of every minute, read once, so every policy sees the same truth.
struct Minutes {
    conditions: Vec<Conditions>,
}

impl Minutes {
    fn new(market: &mut Market, faults: &FaultBook, total: u64) -> Self {
        let conditions = (0..total)
            .map(|m| Conditions {
                demand: market.demands(m),
                factor: ProtocolId::ALL.map(|p| faults.earnings_factor(p, m)),
                grass_epoch: market.grass_epoch_multiplier(m),
                storj_used_gb: 0.0,
            })
            .collect();
        Minutes { conditions }
    }
}

/// The Storj node over one cycle from `used` bytes stored at allocation `alloc_gb`, down for the
/// restart minutes first if `restart`: (nano-USD earned, bytes stored at the end). The same per-minute
/// steps as the world: earn on what is stored at the minute's start, then take ingress.
fn storj_cycle(
    s: &Scenario,
    mins: &Minutes,
    c: usize,
    mut used: f64,
    alloc_gb: f64,
    restart: bool,
) -> (i64, f64) {
    let len = s.cycle_minutes;
    let start = c as u64 * len;
    let restart_end = start
        + if restart {
            s.costs.storj_restart_minutes
        } else {
            0
        };
    let alloc = Allocation {
        storj_disk_gb: alloc_gb,
        ..Allocation::default()
    };
    let allocated = alloc_gb * 1e9;
    let mut nano = 0;
    for m in start..start + len {
        let mut cond = mins.conditions[m as usize];
        if m < restart_end {
            cond.factor[0] = 0.0;
        }
        cond.storj_used_gb = used / 1e9;
        nano += nano_usd(
            s.economics
                .rate_usd_per_hour(&s.prices, ProtocolId::Storj, &cond, &alloc, JOB_HOURS)
                / 60.0,
        );
        used += storj_ingress_bytes(
            &s.economics.storj,
            cond.demand[0],
            cond.factor[0] > 0.0,
            used,
            allocated,
        );
    }
    (nano, used)
}

/// Golem's earnings over one cycle at allocation `a`, nano-USD.
fn golem_cycle(s: &Scenario, mins: &Minutes, c: usize, a: &Allocation) -> i64 {
    let len = s.cycle_minutes;
    let start = c as u64 * len;
    (start..start + len)
        .map(|m| {
            let cond = &mins.conditions[m as usize];
            nano_usd(
                s.economics
                    .rate_usd_per_hour(&s.prices, ProtocolId::Golem, cond, a, JOB_HOURS)
                    / 60.0,
            )
        })
        .sum()
}

/// Streamr and Grass over one cycle at bandwidth split `a` (Streamr CPU in `a` too), with the
/// Streamr slashes of failed inspections, nano-USD (rounded per minute and node as the world).
fn bandwidth_cycle(s: &Scenario, mins: &Minutes, c: usize, a: &Allocation) -> i64 {
    let len = s.cycle_minutes;
    let start = c as u64 * len;
    let eco = &s.economics;
    let every = eco.streamr.inspection_minutes.max(1);
    let mut nano = 0;
    for m in start..start + len {
        let cond = &mins.conditions[m as usize];
        nano += nano_usd(
            eco.rate_usd_per_hour(&s.prices, ProtocolId::Streamr, cond, a, JOB_HOURS) / 60.0,
        );
        if m.is_multiple_of(every) && !eco.streamr_serving(cond, a) {
            nano -= nano_usd(eco.streamr_slash_usd(&s.prices));
        }
        nano += nano_usd(
            eco.rate_usd_per_hour(&s.prices, ProtocolId::Grass, cond, a, JOB_HOURS) / 60.0,
        );
    }
    nano
}

/// Scores the policies over the first `cycles` cycles; `achieved` is the app's total if known.
///
/// Storj's used space depends on the path (it fills only up to each allocation), so the oracle's
/// dynamic programme carries the used space along each state's best path: the value of the path
/// it reports is exact, its optimality over all paths is not guaranteed; it never reports less
/// than the best static policy, which is one of its options.
pub fn score(
    scenario: &Scenario,
    faults: &FaultBook,
    cycles: usize,
    achieved: Option<f64>,
) -> Score {
    let s = scenario;
    let mut market = Market::new(s.market.clone(), s.seed);
    let grid = Grid::new(s.budget, &s.costs);
    let mins = Minutes::new(&mut market, faults, cycles as u64 * s.cycle_minutes);
    let (nd, nc, nb) = (
        grid.storj_disk_gb.len(),
        grid.golem_threads.len(),
        grid.streamr_bandwidth_mbps.len(),
    );

    // Knob states (disk × cpu); bandwidth levels, valued apart for a Streamr CPU above or
    // below its floor (the only way the knob state reaches the bandwidth nodes).
    let states: Vec<(usize, Allocation)> = (0..nd)
        .flat_map(|d| (0..nc).map(move |c| (d, c)))
        .map(|(d, c)| (d, grid.allocation(d, c, 0)))
        .collect();
    let cpu_ok = |a: &Allocation| a.streamr_cpu_threads >= s.economics.streamr.min_cpu_threads;
    let golem: Vec<Vec<i64>> = (0..cycles)
        .map(|c| {
            states
                .iter()
                .map(|(_, a)| golem_cycle(s, &mins, c, a))
                .collect()
        })
        .collect();
    let bw_alloc = |b: usize, ok: bool| {
        let a = grid.allocation(0, 0, b);
        Allocation {
            streamr_cpu_threads: if ok { s.budget.cpu_threads } else { 0.0 },
            streamr_bandwidth_mbps: a.streamr_bandwidth_mbps,
            grass_bandwidth_mbps: a.grass_bandwidth_mbps,
            ..Allocation::default()
        }
    };
    // bw[c][b][ok]
    let bw: Vec<Vec<[i64; 2]>> = (0..cycles)
        .map(|c| {
            (0..nb)
                .map(|b| [false, true].map(|ok| bandwidth_cycle(s, &mins, c, &bw_alloc(b, ok))))
                .collect()
        })
        .collect();
    let ok_index = |a: &Allocation| usize::from(cpu_ok(a));

    // Static policies: the same state every cycle, no switching.
    let storj_static: Vec<i64> = (0..nd)
        .map(|d| {
            let mut used = s.storj_used_gb * 1e9;
            let mut total = 0i64;
            for c in 0..cycles {
                let (v, u) = storj_cycle(s, &mins, c, used, grid.storj_disk_gb[d], false);
                total += v;
                used = u;
            }
            total
        })
        .collect();
    let static_knob: Vec<i64> = states
        .iter()
        .enumerate()
        .map(|(i, (d, _))| storj_static[*d] + (0..cycles).map(|c| golem[c][i]).sum::<i64>())
        .collect();
    let static_bw = |b: usize, ok: usize| (0..cycles).map(|c| bw[c][b][ok]).sum::<i64>();
    let (eq_d, eq_c, eq_b) = grid.equal_split();
    let eq_state = eq_d * nc + eq_c;
    let equal = static_knob[eq_state] + static_bw(eq_b, ok_index(&states[eq_state].1));
    let mut best_static = i64::MIN;
    let (mut best_s, mut best_b) = (0, 0);
    for (i, (_, a)) in states.iter().enumerate() {
        for b in 0..nb {
            let v = static_knob[i] + static_bw(b, ok_index(a));
            if v > best_static {
                (best_static, best_s, best_b) = (v, i, b);
            }
        }
    }

    // The oracle: dynamic programming over knob states with the exact switching costs and the
    // Storj fill carried along each state's best path; bandwidth is free to change, so it
    // takes the best level every cycle.
    let n = states.len();
    let bw_best = |c: usize, ok: usize| (0..nb).map(|b| bw[c][b][ok]).max().unwrap_or(0);
    let mut value = vec![0i64; n];
    let mut used = vec![s.storj_used_gb * 1e9; n];
    let mut switches = vec![0usize; n];
    for (c, golem_c) in golem.iter().enumerate() {
        let start = c as u64 * s.cycle_minutes;
        // Storj from each predecessor's fill to each disk level, with and without a restart.
        // States on the same path share their fill, so each distinct start is run once.
        let mut seen: HashMap<(u64, usize, bool), (i64, f64)> = HashMap::new();
        let storj: Vec<Vec<(i64, f64)>> = (0..n)
            .map(|q| {
                (0..nd)
                    .map(|d| {
                        let restart = c > 0 && states[q].0 != d;
                        *seen
                            .entry((used[q].to_bits(), d, restart))
                            .or_insert_with(|| {
                                storj_cycle(s, &mins, c, used[q], grid.storj_disk_gb[d], restart)
                            })
                    })
                    .collect()
            })
            .collect();
        // What leaving each state's Golem profile costs at this cycle's start (once per state).
        let golem_loss: Vec<i64> = states
            .iter()
            .map(|(_, a)| nano_usd(golem_switch_loss(&mut market, faults, s, start, a)))
            .collect();
        let mut next = vec![(i64::MIN, 0.0, 0usize); n];
        for (i, (d, a)) in states.iter().enumerate() {
            let rest = golem_c[i] + bw_best(c, ok_index(a));
            let candidates: Vec<usize> = if c == 0 { vec![i] } else { (0..n).collect() };
            for q in candidates {
                let (sv, su) = storj[q][*d];
                let mut v = value[q] + sv + rest;
                if q != i && states[q].1.golem_profile_differs(a) {
                    v -= golem_loss[q];
                }
                if v > next[i].0 {
                    next[i] = (v, su, switches[q] + usize::from(q != i));
                }
            }
        }
        for (i, (v, u, sw)) in next.into_iter().enumerate() {
            (value[i], used[i], switches[i]) = (v, u, sw);
        }
    }
    let (oracle_s, oracle_dp) =
        value.iter().enumerate().fold(
            (0, i64::MIN),
            |best, (i, x)| {
                if *x > best.1 {
                    (i, *x)
                } else {
                    best
                }
            },
        );
    let (oracle, oracle_switches) = if cycles == 0 {
        (0, 0)
    } else if oracle_dp >= best_static {
        (oracle_dp, switches[oracle_s])
    } else {
        (best_static, 0)
    };

    let best_alloc = {
        let a = states[best_s].1;
        let b = grid.allocation(0, 0, best_b);
        Allocation {
            streamr_bandwidth_mbps: b.streamr_bandwidth_mbps,
            grass_bandwidth_mbps: b.grass_bandwidth_mbps,
            ..a
        }
    };
    Score {
        scenario: s.name.clone(),
        seed: s.seed,
        cycles,
        cycle_minutes: s.cycle_minutes,
        equal_split_usd: if cycles == 0 { 0.0 } else { usd_of(equal) },
        equal_split_allocation: grid.allocation(eq_d, eq_c, eq_b),
        best_static_usd: if cycles == 0 {
            0.0
        } else {
            usd_of(best_static)
        },
        best_static_allocation: best_alloc,
        oracle_usd: usd_of(oracle),
        oracle_switches,
        achieved_usd: achieved,
        achieved_vs_oracle: achieved.filter(|_| oracle > 0).map(|a| a / usd_of(oracle)),
    }
}

/// The number of whole cycles in the scenario's duration.
pub fn scenario_cycles(scenario: &Scenario) -> usize {
    usize::try_from(scenario.duration_minutes / scenario.cycle_minutes).unwrap_or(usize::MAX)
}

/// Replays an observed allocation history through a fresh world and returns its earnings (USD)
/// over the first `cycles` cycles; this is "what the app achieved" for an offline score.
pub fn replay(scenario: &Scenario, history: &[AllocationChange], cycles: usize) -> f64 {
    let mut world = World::new(scenario.clone());
    let end = cycles as u64 * scenario.cycle_minutes;
    let mut changes: Vec<&AllocationChange> = history.iter().filter(|c| c.minute < end).collect();
    changes.sort_by_key(|c| c.minute);
    for change in changes {
        let wait = change.minute.saturating_sub(world.minute());
        world.advance_minutes(wait);
        let a = change.allocation;
        let cur = world.allocation();
        if a.storj_disk_gb != cur.storj_disk_gb {
            world.set_storj_disk_gb(a.storj_disk_gb);
        }
        if a.golem_profile_differs(&cur) {
            world.set_golem_profile(crate::knobs::HardwareProfile {
                cpu_threads: a.golem_cpu_threads.max(1.0) as u32,
                mem_gib: a.golem_mem_gib,
                storage_gib: a.golem_storage_gib,
            });
        }
        // set_external validates; history values came from the world, so they are valid.
        let _ = world.set_external(ExternalAllocation {
            streamr_cpu_threads: Some(a.streamr_cpu_threads),
            streamr_bandwidth_mbps: Some(a.streamr_bandwidth_mbps),
            grass_bandwidth_mbps: Some(a.grass_bandwidth_mbps),
        });
    }
    world.advance_minutes(end.saturating_sub(world.minute()));
    world.ledger().total_usd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_split_is_on_the_grid() {
        let s = Scenario::minimal();
        let g = Grid::new(s.budget, &s.costs);
        let (d, c, b) = g.equal_split();
        let a = g.allocation(d, c, b);
        assert_eq!(a.storj_disk_gb, 2000.0);
        assert_eq!(a.golem_cpu_threads, 4.0);
        assert_eq!(a.streamr_bandwidth_mbps, 50.0);
    }
}
