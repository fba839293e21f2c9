//! The greedy fallback optimizer against brute force on small grids: for separable concave
//! earnings with linear switching costs the greedy answer must be optimal on the grid.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use orcha_api::fallback::{objective, solve, Curve, FallbackError, NodeProblem, Problem, Terms};
use orcha_core::{NodeId, ResourceKind};

/// A tiny deterministic generator, so every failing case can be reproduced from its seed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

const KINDS: [ResourceKind; 2] = [ResourceKind::Cpu, ResourceKind::Memory];

fn random_problem(seed: u64, budget: u64) -> Problem {
    let mut r = Lcg(seed);
    let ids = ["storj:a", "golem:b", "streamr:c"];
    let nodes = ids
        .iter()
        .map(|id| NodeProblem {
            id: id.parse::<NodeId>().unwrap(),
            terms: KINDS
                .iter()
                .map(|k| {
                    let min = (r.next() * 2.0) as u64;
                    let max = min + 1 + (r.next() * (budget - min) as f64) as u64;
                    let t = Terms {
                        current: min + (r.next() * (max - min) as f64) as u64,
                        min,
                        max: max.min(budget),
                        step: 1,
                        curve: Curve {
                            a: 0.05 + r.next(),
                            b: 0.1 + 3.0 * r.next(),
                        },
                        cost_per_unit: r.next() * 2.0,
                    };
                    (*k, t)
                })
                .collect(),
        })
        .collect();
    Problem {
        budget: KINDS.iter().map(|k| (*k, budget)).collect(),
        nodes,
        horizon_hours: 24.0,
    }
}

/// Every feasible point of the grid; the best objective.
fn brute_force(p: &Problem) -> f64 {
    let slots: Vec<(usize, ResourceKind)> = p
        .nodes
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.terms.keys().map(move |k| (i, *k)))
        .collect();
    let mut best = f64::NEG_INFINITY;
    let mut x: Vec<u64> = slots
        .iter()
        .map(|(i, k)| p.nodes[*i].terms[k].min)
        .collect();
    loop {
        let fits = KINDS.iter().all(|k| {
            slots
                .iter()
                .zip(&x)
                .filter(|((_, kk), _)| kk == k)
                .map(|(_, v)| *v)
                .sum::<u64>()
                <= p.budget[k]
        });
        if fits {
            let mut alloc: BTreeMap<NodeId, BTreeMap<ResourceKind, u64>> = BTreeMap::new();
            for ((i, k), v) in slots.iter().zip(&x) {
                alloc
                    .entry(p.nodes[*i].id.clone())
                    .or_default()
                    .insert(*k, *v);
            }
            best = best.max(objective(p, &alloc));
        }
        // Odometer over the grid.
        let mut j = 0;
        loop {
            if j == slots.len() {
                return best;
            }
            let (i, k) = slots[j];
            let t = &p.nodes[i].terms[&k];
            if x[j] < t.max {
                x[j] += 1;
                break;
            }
            x[j] = t.min;
            j += 1;
        }
    }
}

#[test]
fn greedy_equals_brute_force_on_small_grids() {
    for seed in 1..=40 {
        let p = random_problem(seed, 6);
        let greedy = solve(&p).expect("feasible");
        let best = brute_force(&p);
        assert!(
            (greedy.objective - best).abs() < 1e-9,
            "seed {seed}: greedy {} vs brute force {best}",
            greedy.objective
        );
        for k in KINDS {
            let used: u64 = greedy.allocation.values().map(|a| a[&k]).sum();
            assert!(used <= 6, "seed {seed}: {k} over budget");
        }
    }
}

#[test]
fn more_demand_moves_cores_to_the_node_that_earns_more() {
    let mk = |golem_a: f64| {
        let terms = |a: f64, current: u64| {
            BTreeMap::from([(
                ResourceKind::Cpu,
                Terms {
                    current,
                    min: 1000,
                    max: 8000,
                    step: 1000,
                    curve: Curve { a, b: 1.0 / 2000.0 },
                    cost_per_unit: 0.0,
                },
            )])
        };
        Problem {
            budget: BTreeMap::from([(ResourceKind::Cpu, 8000)]),
            nodes: vec![
                NodeProblem {
                    id: "golem:main".parse().unwrap(),
                    terms: terms(golem_a, 4000),
                },
                NodeProblem {
                    id: "streamr:main".parse().unwrap(),
                    terms: terms(0.02, 4000),
                },
            ],
            horizon_hours: 24.0,
        }
    };
    let golem: NodeId = "golem:main".parse().unwrap();
    let calm = solve(&mk(0.02)).unwrap();
    let surge = solve(&mk(0.2)).unwrap();
    assert_eq!(calm.allocation[&golem][&ResourceKind::Cpu], 4000);
    assert!(
        surge.allocation[&golem][&ResourceKind::Cpu] >= 6000,
        "{surge:?}"
    );
}

#[test]
fn infeasible_minimums_and_bad_terms_are_errors() {
    let mut p = random_problem(7, 6);
    for n in &mut p.nodes {
        n.terms.get_mut(&ResourceKind::Cpu).unwrap().min = 3;
        n.terms.get_mut(&ResourceKind::Cpu).unwrap().max = 6;
    }
    assert!(matches!(
        solve(&p),
        Err(FallbackError::Infeasible {
            resource: ResourceKind::Cpu,
            need: 9,
            budget: 6
        })
    ));
    let mut p = random_problem(7, 6);
    p.nodes[0]
        .terms
        .get_mut(&ResourceKind::Memory)
        .unwrap()
        .step = 0;
    assert!(matches!(solve(&p), Err(FallbackError::BadTerms { .. })));
}

#[test]
fn a_large_budget_is_solved_on_a_bounded_grid() {
    // A terabyte in gigabyte steps stays fast; the answer keeps to whole steps and the budget.
    let gb = 1_000_000_000;
    let p = Problem {
        budget: BTreeMap::from([(ResourceKind::Disk, 4000 * gb)]),
        nodes: ["storj:a", "storj:b"]
            .iter()
            .enumerate()
            .map(|(i, id)| NodeProblem {
                id: id.parse().unwrap(),
                terms: BTreeMap::from([(
                    ResourceKind::Disk,
                    Terms {
                        current: 500 * gb,
                        min: 500 * gb,
                        max: 4000 * gb,
                        step: gb,
                        curve: Curve {
                            a: 0.01 * (i + 1) as f64,
                            b: 1.0 / (1000 * gb) as f64,
                        },
                        cost_per_unit: 0.0,
                    },
                )]),
            })
            .collect(),
        horizon_hours: 24.0,
    };
    let s = solve(&p).unwrap();
    let total: u64 = s.allocation.values().map(|a| a[&ResourceKind::Disk]).sum();
    assert!(total <= 4000 * gb);
    assert!(total > 3900 * gb, "the budget is used: {total}");
    for a in s.allocation.values() {
        assert_eq!(a[&ResourceKind::Disk] % gb, 0);
    }
}
