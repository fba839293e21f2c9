//! The optimization problem in the ML engine's terms, and its answer back on each knob's grid
//! within the budget.

use std::collections::BTreeMap;

use orcha_core::{NodeId, ResourceKind};

use crate::fallback::{Problem, Terms};
use crate::ml::{AllocateRequest, AllocateResponse, NodeSpec, ResponseCurve};
use crate::policy::Amounts;

/// The same problem in the ML engine's terms.
pub fn allocate_request(p: &Problem) -> AllocateRequest {
    let name = |k: &ResourceKind| k.as_str().to_owned();
    AllocateRequest {
        resources: p.budget.keys().map(name).collect(),
        budget: p.budget.iter().map(|(k, v)| (name(k), *v as f64)).collect(),
        nodes: p
            .nodes
            .iter()
            .map(|n| NodeSpec {
                id: n.id.to_string(),
                current: n
                    .terms
                    .iter()
                    .map(|(k, t)| (name(k), t.current as f64))
                    .collect(),
                min: n
                    .terms
                    .iter()
                    .map(|(k, t)| (name(k), t.min as f64))
                    .collect(),
                max: n
                    .terms
                    .iter()
                    .map(|(k, t)| (name(k), t.max as f64))
                    .collect(),
                switching_cost: n
                    .terms
                    .iter()
                    .map(|(k, t)| (name(k), t.cost_per_unit))
                    .collect(),
                response: n
                    .terms
                    .iter()
                    .map(|(k, t)| {
                        (
                            name(k),
                            ResponseCurve {
                                a: t.curve.a,
                                b: t.curve.b,
                            },
                        )
                    })
                    .collect(),
            })
            .collect(),
        horizon_hours: p.horizon_hours,
    }
}

/// The engine's plan on each knob's grid, for the nodes and resources of the problem.
pub fn from_engine(p: &Problem, resp: &AllocateResponse) -> BTreeMap<NodeId, Amounts> {
    let mut out: BTreeMap<NodeId, Amounts> = BTreeMap::new();
    // How far each amount was rounded up, to undo the largest first if the total overshoots.
    let mut rounded_up: Vec<(NodeId, ResourceKind, f64, u64, u64)> = Vec::new();
    for np in &resp.plan {
        let Some(n) = p.nodes.iter().find(|n| n.id.to_string() == np.id) else {
            continue;
        };
        for (k, t) in &n.terms {
            if let Some(x) = np.allocation.get(k.as_str()) {
                let v = on_grid(t, *x);
                rounded_up.push((n.id.clone(), *k, v as f64 - x, t.step, t.min));
                out.entry(n.id.clone()).or_default().insert(*k, v);
            }
        }
    }
    within_budget(p, &mut out, rounded_up);
    out
}

/// Rounding each node to its knob's grid can overshoot a resource's budget by up to a step per
/// node (the engine solves on the continuum); the amounts rounded up the most are stepped back
/// down until the total fits, so a plan never fails the budget check for rounding alone.
fn within_budget(
    p: &Problem,
    out: &mut BTreeMap<NodeId, Amounts>,
    mut rounded_up: Vec<(NodeId, ResourceKind, f64, u64, u64)>,
) {
    rounded_up.sort_by(|a, b| b.2.total_cmp(&a.2));
    for (k, budget) in &p.budget {
        let total = |out: &BTreeMap<NodeId, Amounts>| -> u64 {
            out.values().filter_map(|a| a.get(k)).sum::<u64>()
        };
        for (id, kind, up, step, min) in &rounded_up {
            if total(out) <= *budget {
                break;
            }
            if kind != k || *up <= 0.0 {
                continue;
            }
            if let Some(v) = out.get_mut(id).and_then(|a| a.get_mut(k)) {
                if *v >= min.saturating_add(*step) {
                    *v -= step;
                }
            }
        }
    }
}

/// Rounds the engine's continuous answer to each knob's step, within its range.
fn on_grid(t: &Terms, x: f64) -> u64 {
    let x = if x.is_finite() {
        x.max(0.0)
    } else {
        t.current as f64
    };
    let steps = ((x - t.min as f64) / t.step as f64).round().max(0.0) as u64;
    (t.min + steps * t.step).clamp(t.min, t.max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fallback::{Curve, NodeProblem};
    use crate::ml::NodePlan;

    fn terms(step: u64) -> Terms {
        Terms {
            current: 0,
            min: 0,
            max: u64::MAX,
            step,
            curve: Curve { a: 1.0, b: 1.0 },
            cost_per_unit: 0.0,
        }
    }

    #[test]
    fn rounding_to_the_grid_never_overshoots_the_budget() {
        // Storj in 1 GB steps, Golem storage in 1 GiB steps, 6000 GB between them: the engine's
        // 5892.6 GB + 107.37 GB fits, but rounding Storj up to 5893 GB and Golem up to
        // 100 GiB (107.374 GB) would not.
        let gb = 1_000_000_000u64;
        let gib = 1u64 << 30;
        let disk = ResourceKind::Disk;
        let p = Problem {
            budget: BTreeMap::from([(disk, 6000 * gb)]),
            nodes: vec![
                NodeProblem {
                    id: "storj:main".parse().unwrap(),
                    terms: BTreeMap::from([(disk, terms(gb))]),
                },
                NodeProblem {
                    id: "golem:main".parse().unwrap(),
                    terms: BTreeMap::from([(disk, terms(gib))]),
                },
            ],
            horizon_hours: 24.0,
        };
        let plan = |id: &str, x: f64| NodePlan {
            id: id.into(),
            allocation: BTreeMap::from([("disk".to_owned(), x)]),
            ..NodePlan::default()
        };
        let resp = AllocateResponse {
            plan: vec![
                plan("storj:main", 5892.6e9),
                plan("golem:main", 99.95 * gib as f64),
            ],
            ..AllocateResponse::default()
        };
        let out = from_engine(&p, &resp);
        let storj = out[&"storj:main".parse::<NodeId>().unwrap()][&disk];
        let golem = out[&"golem:main".parse::<NodeId>().unwrap()][&disk];
        assert!(storj + golem <= 6000 * gb, "{storj} + {golem}");
        // Only the amount rounded up the most (Storj, by 0.4 GB) steps back.
        assert_eq!((storj, golem), (5892 * gb, 100 * gib));
    }
}
