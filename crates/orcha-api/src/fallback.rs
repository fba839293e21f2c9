//! The Rust fallback optimizer: greedy marginal allocation over concave earnings curves.
//!
//! Used when the ML engine is down, and for what-if questions. Every node's earnings are a sum of
//! concave curves `a·ln(1 + b·x)` per resource, and switching costs are linear in the change,
//! so the problem separates per resource into concave pieces: handing out the budget one
//! increment at a time to whichever node gains most from it is exact on the increment grid.
//! Plans from here are only recommended unless the operator allows fallback auto-apply.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use orcha_core::{NodeId, ResourceKind};

/// Earnings per hour (fiat) from `x` base units of a resource: `a·ln(1 + b·x)`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Curve {
    pub a: f64,
    pub b: f64,
}

impl Curve {
    pub fn value(&self, x: u64) -> f64 {
        self.a * (self.b * x as f64).ln_1p()
    }
}

/// One resource of one node in the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    pub current: u64,
    pub min: u64,
    pub max: u64,
    /// The knob's step: amounts are `min + k·step`.
    pub step: u64,
    pub curve: Curve,
    /// Fiat per base unit of change (L1), the linear part of the switching cost.
    pub cost_per_unit: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeProblem {
    pub id: NodeId,
    /// Resources the optimizer may move; any other resource of the node stays as it is.
    pub terms: BTreeMap<ResourceKind, Terms>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub budget: BTreeMap<ResourceKind, u64>,
    pub nodes: Vec<NodeProblem>,
    pub horizon_hours: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Solution {
    pub allocation: BTreeMap<NodeId, BTreeMap<ResourceKind, u64>>,
    /// Expected earnings per hour (fiat) of every node under `allocation`.
    pub earnings_per_hour: BTreeMap<NodeId, f64>,
    /// Horizon earnings minus switching cost.
    pub objective: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FallbackError {
    #[error("infeasible: the nodes' minimum {resource} ({need}) exceeds the budget ({budget})")]
    Infeasible {
        resource: ResourceKind,
        need: u64,
        budget: u64,
    },
    #[error("node {node} {resource}: {what}")]
    BadTerms {
        node: NodeId,
        resource: ResourceKind,
        what: String,
    },
}

/// Most increments handed out per resource; the grid is coarsened beyond that, which bounds the
/// solve time whatever the budget's unit (a terabyte of disk in gibibyte steps included).
const MAX_INCREMENTS: u64 = 2048;

/// Earnings per hour of `node` at `alloc` (resources missing from `alloc` count at current).
pub fn earnings_per_hour(node: &NodeProblem, alloc: &BTreeMap<ResourceKind, u64>) -> f64 {
    node.terms
        .iter()
        .map(|(k, t)| t.curve.value(alloc.get(k).copied().unwrap_or(t.current)))
        .sum()
}

/// The objective of a candidate: horizon earnings minus linear switching cost.
pub fn objective(p: &Problem, alloc: &BTreeMap<NodeId, BTreeMap<ResourceKind, u64>>) -> f64 {
    p.nodes
        .iter()
        .map(|n| {
            let a = alloc.get(&n.id).cloned().unwrap_or_default();
            let cost: f64 = n
                .terms
                .iter()
                .map(|(k, t)| {
                    let x = a.get(k).copied().unwrap_or(t.current);
                    t.cost_per_unit * x.abs_diff(t.current) as f64
                })
                .sum();
            p.horizon_hours * earnings_per_hour(n, &a) - cost
        })
        .sum()
}

/// One node's next increment of one resource, ordered by its gain per unit.
struct Candidate {
    density: f64,
    node: usize,
    size: u64,
}

impl PartialEq for Candidate {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Candidate {
    fn cmp(&self, o: &Self) -> Ordering {
        // Ties go to the lower node index so the result is deterministic.
        self.density
            .total_cmp(&o.density)
            .then_with(|| o.node.cmp(&self.node))
    }
}

/// Horizon gain minus switching cost of moving one node's resource from `x` to `x + size`.
fn marginal(t: &Terms, x: u64, size: u64, horizon: f64) -> f64 {
    let y = x + size;
    let earn = horizon * (t.curve.value(y) - t.curve.value(x));
    let cost = t.cost_per_unit * (y.abs_diff(t.current) as f64 - x.abs_diff(t.current) as f64);
    earn - cost
}

/// Solves the problem: every node starts at its minimum and the budget is handed out in
/// increments to the best marginal gain, stopping when no increment pays.
pub fn solve(p: &Problem) -> Result<Solution, FallbackError> {
    let mut alloc: BTreeMap<NodeId, BTreeMap<ResourceKind, u64>> = BTreeMap::new();
    for n in &p.nodes {
        for (k, t) in &n.terms {
            if t.min > t.max || t.step == 0 || !t.curve.a.is_finite() || !t.curve.b.is_finite() {
                return Err(FallbackError::BadTerms {
                    node: n.id.clone(),
                    resource: *k,
                    what: format!(
                        "min {} max {} step {} curve {:?} are not a valid range",
                        t.min, t.max, t.step, t.curve
                    ),
                });
            }
            alloc.entry(n.id.clone()).or_default().insert(*k, t.min);
        }
    }
    let resources: Vec<ResourceKind> = ResourceKind::ALL
        .into_iter()
        .filter(|k| p.nodes.iter().any(|n| n.terms.contains_key(k)))
        .collect();
    for k in resources {
        let budget = p.budget.get(&k).copied().unwrap_or(0);
        let need: u64 = p
            .nodes
            .iter()
            .filter_map(|n| n.terms.get(&k))
            .map(|t| t.min)
            .sum();
        if need > budget {
            return Err(FallbackError::Infeasible {
                resource: k,
                need,
                budget,
            });
        }
        let mut left = budget - need;
        // The increment of a node is its step, coarsened to keep the grid bounded.
        let grain = (budget / MAX_INCREMENTS).max(1);
        let size_of = |t: &Terms| t.step * grain.div_ceil(t.step).max(1);
        let mut heap = BinaryHeap::new();
        let push = |heap: &mut BinaryHeap<Candidate>, i: usize, x: u64, t: &Terms| {
            let size = size_of(t).min(t.max - x);
            if size > 0 {
                let gain = marginal(t, x, size, p.horizon_hours);
                if gain > 0.0 {
                    heap.push(Candidate {
                        density: gain / size as f64,
                        node: i,
                        size,
                    });
                }
            }
        };
        for (i, n) in p.nodes.iter().enumerate() {
            if let Some(t) = n.terms.get(&k) {
                push(&mut heap, i, t.min, t);
            }
        }
        while let Some(c) = heap.pop() {
            let n = &p.nodes[c.node];
            let Some(t) = n.terms.get(&k) else { continue };
            if c.size > left {
                // A smaller whole number of steps may still fit.
                let fit = left / t.step * t.step;
                if fit > 0 {
                    let x = alloc[&n.id][&k];
                    if marginal(t, x, fit, p.horizon_hours) > 0.0 {
                        left -= fit;
                        alloc.entry(n.id.clone()).or_default().insert(k, x + fit);
                    }
                }
                continue;
            }
            left -= c.size;
            let x = alloc[&n.id][&k] + c.size;
            alloc.entry(n.id.clone()).or_default().insert(k, x);
            push(&mut heap, c.node, x, t);
        }
    }
    let earnings_per_hour = p
        .nodes
        .iter()
        .map(|n| {
            let a = alloc.get(&n.id).cloned().unwrap_or_default();
            (n.id.clone(), earnings_per_hour(n, &a))
        })
        .collect();
    let objective = objective(p, &alloc);
    Ok(Solution {
        allocation: alloc,
        earnings_per_hour,
        objective,
    })
}
