//! Scoring: static equal split, best static split in hindsight, a perfect-foresight oracle that
//! re-decides every cycle under the same switching costs, and what the app achieved.
//!
//! All policies choose from one grid of allocations (Storj disk vs Golem storage, Golem vs
//! Streamr threads, Streamr vs Grass bandwidth) and are valued with the same market and faults
//! as the world, so "oracle ≥ every static policy" holds by construction: staying put is one of
//! the oracle's options.

use orcha_core::ProtocolId;
use serde::Serialize;

use crate::faults::FaultBook;
use crate::model::{Allocation, Market, GB_PER_GIB};
use crate::scenario::{Budget, Scenario, SwitchingCosts};
use crate::world::{AllocationChange, ExternalAllocation, World};

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

/// Per-cycle demand sums the policies are valued with.
struct Cycles {
    /// `Σ_m d_p(m)·f_p(m)/60` per protocol and cycle.
    demand: [Vec<f64>; 4],
    /// The same for Storj over the first restart minutes of each cycle.
    storj_restart: Vec<f64>,
    /// `L/60 · d_golem(m)·f(m)` at each cycle's first minute when jobs run, else 0.
    golem_loss: Vec<f64>,
}

fn cycle_sums(
    market: &mut Market,
    faults: &FaultBook,
    scenario: &Scenario,
    cycles: usize,
) -> Cycles {
    let len = scenario.cycle_minutes;
    let restart = scenario.costs.storj_restart_minutes.min(len);
    let mut out = Cycles {
        demand: [
            vec![0.0; cycles],
            vec![0.0; cycles],
            vec![0.0; cycles],
            vec![0.0; cycles],
        ],
        storj_restart: vec![0.0; cycles],
        golem_loss: vec![0.0; cycles],
    };
    for (c, start) in (0..cycles).map(|c| (c, c as u64 * len)) {
        for (i, p) in ProtocolId::ALL.into_iter().enumerate() {
            let mut sum = 0.0;
            for m in start..start + len {
                let v = market.effective_demand(p, m) * faults.earnings_factor(p, m) / 60.0;
                sum += v;
                if p == ProtocolId::Storj && m < start + restart {
                    out.storj_restart[c] += v;
                }
            }
            out.demand[i][c] = sum;
        }
        if market.golem_jobs_arrive(start) {
            out.golem_loss[c] = scenario.costs.golem_job_loss_minutes / 60.0
                * market.effective_demand(ProtocolId::Golem, start)
                * faults.earnings_factor(ProtocolId::Golem, start);
        }
    }
    out
}

/// Scores the policies over the first `cycles` cycles; `achieved` is the app's total if known.
pub fn score(
    scenario: &Scenario,
    faults: &FaultBook,
    cycles: usize,
    achieved: Option<f64>,
) -> Score {
    let mut market = Market::new(scenario.market.clone(), scenario.seed);
    let grid = Grid::new(scenario.budget, &scenario.costs);
    let sums = cycle_sums(&mut market, faults, scenario, cycles);
    let (nd, nc, nb) = (
        grid.storj_disk_gb.len(),
        grid.golem_threads.len(),
        grid.streamr_bandwidth_mbps.len(),
    );

    // Knob states (disk × cpu) with bandwidth zeroed; bandwidth states with CPU zeroed. The
    // curves are separable and value(0) = 0, so the two parts add up exactly.
    let states: Vec<Allocation> = (0..nd)
        .flat_map(|d| (0..nc).map(move |c| (d, c)))
        .map(|(d, c)| Allocation {
            streamr_bandwidth_mbps: 0.0,
            grass_bandwidth_mbps: 0.0,
            ..grid.allocation(d, c, 0)
        })
        .collect();
    let cap = |p: ProtocolId, a: &Allocation| market.capacity_value(p, a);
    let f_storj: Vec<f64> = states.iter().map(|a| cap(ProtocolId::Storj, a)).collect();
    let f_golem: Vec<f64> = states.iter().map(|a| cap(ProtocolId::Golem, a)).collect();
    let f_streamr_cpu: Vec<f64> = states.iter().map(|a| cap(ProtocolId::Streamr, a)).collect();
    let bw_states: Vec<Allocation> = (0..nb)
        .map(|b| {
            let a = grid.allocation(0, 0, b);
            Allocation {
                streamr_bandwidth_mbps: a.streamr_bandwidth_mbps,
                grass_bandwidth_mbps: a.grass_bandwidth_mbps,
                ..Allocation::default()
            }
        })
        .collect();
    let f_streamr_bw: Vec<f64> = bw_states
        .iter()
        .map(|a| cap(ProtocolId::Streamr, a))
        .collect();
    let f_grass: Vec<f64> = bw_states
        .iter()
        .map(|a| cap(ProtocolId::Grass, a))
        .collect();

    let [ds, dg, dst, dgr] = &sums.demand;
    let knob_value =
        |c: usize, s: usize| ds[c] * f_storj[s] + dg[c] * f_golem[s] + dst[c] * f_streamr_cpu[s];
    let bw_value = |c: usize, b: usize| dst[c] * f_streamr_bw[b] + dgr[c] * f_grass[b];

    // Static policies: the same state every cycle, no switching.
    let static_knob: Vec<f64> = (0..states.len())
        .map(|s| (0..cycles).map(|c| knob_value(c, s)).sum())
        .collect();
    let static_bw: Vec<f64> = (0..nb)
        .map(|b| (0..cycles).map(|c| bw_value(c, b)).sum())
        .collect();
    let (eq_d, eq_c, eq_b) = grid.equal_split();
    let equal = static_knob[eq_d * nc + eq_c] + static_bw[eq_b];
    let argmax = |v: &[f64]| {
        v.iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (i, x)| {
                if *x > best.1 {
                    (i, *x)
                } else {
                    best
                }
            })
    };
    let (best_s, best_knob) = argmax(&static_knob);
    let (best_b, best_bw) = argmax(&static_bw);
    let best_static = best_knob + best_bw;

    // The oracle: dynamic programming over knob states with the exact switching costs;
    // bandwidth is free to change, so it takes the best level every cycle.
    let n = states.len();
    let mut value = vec![0.0f64; n];
    let mut switches = vec![0usize; n];
    let mut next = vec![0.0f64; n];
    let mut next_switches = vec![0usize; n];
    for c in 0..cycles {
        for s in 0..n {
            let gain = knob_value(c, s);
            let mut best = if c == 0 { 0.0 } else { value[s] };
            let mut best_sw = if c == 0 { 0 } else { switches[s] };
            if c > 0 {
                for q in 0..n {
                    if q == s {
                        continue;
                    }
                    let (from, to) = (&states[q], &states[s]);
                    let mut cost = 0.0;
                    if from.storj_disk_gb != to.storj_disk_gb {
                        cost += sums.storj_restart[c] * f_storj[s];
                    }
                    if from.golem_profile_differs(to) {
                        cost += sums.golem_loss[c] * f_golem[q];
                    }
                    let v = value[q] - cost;
                    if v > best {
                        best = v;
                        best_sw = switches[q] + 1;
                    }
                }
            }
            next[s] = best + gain;
            next_switches[s] = best_sw;
        }
        std::mem::swap(&mut value, &mut next);
        std::mem::swap(&mut switches, &mut next_switches);
    }
    let (oracle_s, oracle_knob) = argmax(&value);
    let oracle_bw: f64 = (0..cycles)
        .map(|c| {
            (0..nb)
                .map(|b| bw_value(c, b))
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .sum();
    let oracle = if cycles == 0 {
        0.0
    } else {
        oracle_knob + oracle_bw
    };

    let best_alloc = {
        let a = states[best_s];
        let b = bw_states[best_b];
        Allocation {
            streamr_bandwidth_mbps: b.streamr_bandwidth_mbps,
            grass_bandwidth_mbps: b.grass_bandwidth_mbps,
            ..a
        }
    };
    Score {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        cycles,
        cycle_minutes: scenario.cycle_minutes,
        equal_split_usd: equal,
        equal_split_allocation: grid.allocation(eq_d, eq_c, eq_b),
        best_static_usd: best_static,
        best_static_allocation: best_alloc,
        oracle_usd: oracle,
        oracle_switches: switches.get(oracle_s).copied().unwrap_or(0),
        achieved_usd: achieved,
        achieved_vs_oracle: achieved.filter(|_| oracle > 0.0).map(|a| a / oracle),
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
