//! The decision policy: whether a proposed allocation is applied, recommended or skipped, and
//! why. Pure: every input (the clock's "now" included) is passed in, so each rule is tested with
//! a table and an injected clock.
//!
//! Rules, in the order they are checked:
//! 1. a node whose token has no fiat price, that is unreachable, or that has no knob for a
//!    resource keeps its allocation (it cannot be compared or changed);
//! 2. a change smaller than the knob's step is no change;
//! 3. preconditions: Storj disk ≥ 500 GB and never below what is used; Golem changes only with
//!    zero running activities unless interrupting is allowed; amounts within the knob's range;
//! 4. a node restarted less than the minimum dwell time ago is not changed;
//! 5. the plan that is left must fit the machine budget;
//! 6. expected gain over the horizon ≥ switching cost + margin;
//! 7. dry-run is the default: the plan is applied only when automation runs and (for a fallback
//!    plan) fallback auto-apply is allowed, and only to nodes opted into auto-apply; the other
//!    nodes' part is recommended, and the opted-in part goes ahead alone only when it still fits
//!    the budget and pays for itself.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use orcha_core::{NodeId, ProtocolId, ResourceKind};
use serde::{Deserialize, Serialize};

use crate::fallback::Curve;

/// Storj refuses to start below this allocation (storage2.monitor.minimum-disk-space).
pub const STORJ_MIN_DISK_BYTES: u64 = 500_000_000_000;

/// `v`, or 0 when it rounds to zero at `places` decimals: "-0.00 USD" reads like a loss.
fn no_negative_zero(v: f64, places: i32) -> f64 {
    if v.abs() < 0.5 * 10f64.powi(-places) {
        0.0
    } else {
        v
    }
}

/// Limits per resource in base units (the same shape as the enforcement backends use).
pub type Amounts = BTreeMap<ResourceKind, u64>;

#[derive(Debug, Clone, PartialEq)]
pub struct PolicySettings {
    pub horizon_hours: f64,
    /// USD a plan must earn above its switching cost over the horizon.
    pub margin: f64,
    /// USD charged for changing a node at all (hysteresis against flapping).
    pub change_cost: f64,
    pub min_dwell: Duration,
    pub fallback_auto_apply: bool,
}

/// Where a plan came from; decides whether it may be applied without the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanSource {
    /// The ML engine's allocator.
    Engine,
    /// The Rust fallback optimizer (ML engine unavailable).
    Fallback,
    /// The operator approved it by hand.
    Operator,
}

impl PlanSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanSource::Engine => "engine",
            PlanSource::Fallback => "fallback",
            PlanSource::Operator => "operator",
        }
    }
}

/// One knob of a node, as the policy needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnobRule {
    pub min: u64,
    pub max: u64,
    pub step: u64,
    pub restart_required: bool,
    pub restart_downtime_secs: u64,
    pub loses_jobs: bool,
}

/// Everything the policy knows about one node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFacts {
    pub id: NodeId,
    /// The allocation in force, per resource, when it is known.
    pub current: Amounts,
    pub proposed: Amounts,
    pub knobs: BTreeMap<ResourceKind, KnobRule>,
    /// Fiat earnings per hour per resource; `None` when the node's token has no price.
    pub curves: Option<BTreeMap<ResourceKind, Curve>>,
    /// Why the node is unpriced or otherwise held, when it is.
    pub held_because: Option<String>,
    pub auto_apply: bool,
    pub last_restart: Option<DateTime<Utc>>,
    pub running_activities: Option<u32>,
    pub allow_interrupt: bool,
    pub disk_used: Option<u64>,
    /// What the OS measured the node using over the last day (p90), per resource it was
    /// measured on for at least an hour (`cycle::demand`).
    pub used: Amounts,
    pub reachable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyInput {
    pub now: DateTime<Utc>,
    pub settings: PolicySettings,
    pub source: PlanSource,
    pub paused: bool,
    pub budget: Amounts,
    pub nodes: Vec<NodeFacts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Apply,
    Recommend,
    Skip,
}

impl VerdictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Apply => "apply",
            VerdictKind::Recommend => "recommend",
            VerdictKind::Skip => "skip",
        }
    }
}

/// What happens to one node, with the reasons for everything held back.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeVerdict {
    pub node: String,
    pub current: Amounts,
    pub proposed: Amounts,
    /// The changes that survive the rules: resource → new amount.
    pub changes: Amounts,
    pub restart: bool,
    /// Sentences: why a resource or the whole node is held.
    pub reasons: Vec<String>,
    /// Fiat per hour now and under `changes`.
    pub earnings_now: f64,
    pub earnings_after: f64,
    pub switching_cost: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub kind: VerdictKind,
    pub reason: String,
    pub nodes: Vec<NodeVerdict>,
    /// Fiat over the horizon.
    pub expected_gain: f64,
    pub switching_cost: f64,
}

impl Verdict {
    pub fn changed(&self) -> impl Iterator<Item = &NodeVerdict> {
        self.nodes.iter().filter(|n| !n.changes.is_empty())
    }
}

/// Switches the operator flips while the app runs; they override the config until restart and
/// every flip is written to the audit log by the operation that makes it.
#[derive(Debug, Default)]
pub struct Controls {
    auto_apply: std::sync::Mutex<BTreeMap<NodeId, bool>>,
}

impl Controls {
    pub fn auto_apply(&self, node: &NodeId) -> Option<bool> {
        self.auto_apply
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(node)
            .copied()
    }

    /// Returns the previous override.
    pub fn set_auto_apply(&self, node: &NodeId, on: bool) -> Option<bool> {
        self.auto_apply
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(node.clone(), on)
    }
}

/// Amounts as JSON (`{"cpu": 2000, …}`), for the decision log and the API.
pub fn amounts_json(a: &Amounts) -> serde_json::Value {
    serde_json::Value::Object(
        a.iter()
            .map(|(k, v)| (k.as_str().to_owned(), serde_json::Value::from(*v)))
            .collect(),
    )
}

/// Reads amounts written by `amounts_json`; unknown resources and non-integers are errors.
pub fn amounts_from_json(v: &serde_json::Value) -> Result<Amounts, String> {
    let obj = v.as_object().ok_or("amounts must be an object")?;
    obj.iter()
        .map(|(k, v)| {
            let kind = ResourceKind::ALL
                .into_iter()
                .find(|r| r.as_str() == k)
                .ok_or_else(|| format!("unknown resource `{k}`"))?;
            let n = v
                .as_u64()
                .ok_or_else(|| format!("`{k}` must be a whole number of {}", kind.unit()))?;
            Ok((kind, n))
        })
        .collect()
}

/// A fiat amount as it is stored and shown: a decimal string with its currency.
pub fn usd(v: f64) -> String {
    format!("{:.6} USD", no_negative_zero(v, 6))
}

fn usd2(v: f64) -> String {
    format!("{:.2} USD", no_negative_zero(v, 2))
}

fn human(kind: ResourceKind, v: u64) -> String {
    match kind {
        ResourceKind::Cpu => format!("{:.2} cores", v as f64 / 1000.0),
        ResourceKind::Memory => format!("{:.2} GiB", v as f64 / (1u64 << 30) as f64),
        ResourceKind::Disk => format!("{:.1} GB", v as f64 / 1e9),
        ResourceKind::Bandwidth => format!("{:.1} Mbit/s", v as f64 / 1e6),
    }
}

fn span(d: Duration) -> String {
    if d.num_hours() >= 1 {
        format!("{} h {} min", d.num_hours(), d.num_minutes() % 60)
    } else {
        format!("{} min", d.num_minutes())
    }
}

/// Checks one node against rules 1-4 and returns its verdict (changes that survive).
fn judge_node(n: &NodeFacts, input: &PolicyInput) -> NodeVerdict {
    let mut v = NodeVerdict {
        node: n.id.to_string(),
        current: n.current.clone(),
        proposed: n.proposed.clone(),
        changes: Amounts::new(),
        restart: false,
        reasons: Vec::new(),
        earnings_now: 0.0,
        earnings_after: 0.0,
        switching_cost: 0.0,
    };
    let wanted: Vec<(ResourceKind, u64)> = n
        .proposed
        .iter()
        .filter(|(k, p)| n.current.get(k) != Some(p))
        .map(|(k, p)| (*k, *p))
        .collect();
    if wanted.is_empty() {
        return v;
    }
    // Rule 1: nodes that cannot be compared or reached keep everything.
    if let Some(why) = &n.held_because {
        v.reasons.push(why.clone());
        return v;
    }
    if n.curves.is_none() {
        v.reasons.push(format!(
            "{}'s earnings have no fiat price; held at its current allocation",
            n.id
        ));
        return v;
    }
    if !n.reachable {
        v.reasons
            .push(format!("{} is unreachable; nothing is changed on it", n.id));
        return v;
    }
    for (k, p) in wanted {
        let Some(knob) = n.knobs.get(&k) else {
            v.reasons.push(format!("no knob enforces {k} on {}", n.id));
            continue;
        };
        let Some(&cur) = n.current.get(&k) else {
            v.reasons.push(format!(
                "the current {k} of {} is not known (nothing read back yet); Orcha changes only what it can read back",
                n.id
            ));
            continue;
        };
        // Rule 2: below the knob's step it is not a change.
        if cur.abs_diff(p) < knob.step {
            v.reasons.push(format!(
                "{k} change of {} is smaller than the knob's step ({})",
                human(k, cur.abs_diff(p)),
                human(k, knob.step)
            ));
            continue;
        }
        // Rule 3: the protocol's preconditions, then the knob's range.
        if n.id.protocol() == ProtocolId::Storj && k == ResourceKind::Disk {
            if p < STORJ_MIN_DISK_BYTES {
                v.reasons.push(format!(
                    "Storj disk {} is below 500 GB; the node would not start",
                    human(k, p)
                ));
                continue;
            }
            match n.disk_used {
                Some(used) if p < used => {
                    v.reasons.push(format!(
                        "Storj disk {} is below the {} already used; shrinking deletes nothing",
                        human(k, p),
                        human(k, used)
                    ));
                    continue;
                }
                None if p < cur => {
                    v.reasons.push(
                        "Storj disk would shrink but the space in use is not known".to_owned(),
                    );
                    continue;
                }
                _ => {}
            }
        }
        if p < knob.min || p > knob.max {
            v.reasons.push(format!(
                "{k} {} is outside the knob's range {}..{}",
                human(k, p),
                human(k, knob.min),
                human(k, knob.max)
            ));
            continue;
        }
        v.changes.insert(k, p);
    }
    if v.changes.is_empty() {
        return v;
    }
    if n.id.protocol() == ProtocolId::Golem && !n.allow_interrupt {
        if let Some(running) = n.running_activities.filter(|r| *r > 0) {
            v.reasons.push(format!(
                "{running} Golem activities are running; changes wait until they finish (or set protocols.golem.allow_interrupt)"
            ));
            v.changes.clear();
            return v;
        }
    }
    v.restart = v
        .changes
        .keys()
        .any(|k| n.knobs.get(k).is_some_and(|r| r.restart_required));
    // Rule 4: a node gets time to settle after a restart before it is changed again.
    if let Some(at) = n.last_restart {
        let since = input.now - at;
        if since < input.settings.min_dwell {
            v.reasons.push(format!(
                "{} restarted {} ago; minimum dwell time is {}",
                n.id,
                span(since),
                span(input.settings.min_dwell)
            ));
            v.changes.clear();
            v.restart = false;
        }
    }
    v
}

/// Fiat per hour of a node at `amounts` (resources not in `amounts` at current).
fn earnings(n: &NodeFacts, amounts: &Amounts) -> f64 {
    n.curves.as_ref().map_or(0.0, |curves| {
        curves
            .iter()
            .map(|(k, c)| {
                let x = amounts
                    .get(k)
                    .or_else(|| n.current.get(k))
                    .copied()
                    .unwrap_or(0);
                c.value(x)
            })
            .sum()
    })
}

/// What changing a node costs: the fixed change cost, plus the earnings lost while it restarts,
/// plus an hour of earnings when running jobs are lost.
fn switching_cost(n: &NodeFacts, v: &NodeVerdict, s: &PolicySettings) -> f64 {
    if v.changes.is_empty() {
        return 0.0;
    }
    let downtime_secs = v
        .changes
        .keys()
        .filter_map(|k| n.knobs.get(k))
        .filter(|r| r.restart_required)
        .map(|r| r.restart_downtime_secs)
        .max()
        .unwrap_or(0);
    let loses_jobs = v
        .changes
        .keys()
        .filter_map(|k| n.knobs.get(k))
        .any(|r| r.loses_jobs);
    let rate = v.earnings_now.max(0.0);
    s.change_cost + rate * downtime_secs as f64 / 3600.0 + if loses_jobs { rate } else { 0.0 }
}

/// Decides what to do with a proposed allocation.
pub fn evaluate(input: &PolicyInput) -> Verdict {
    let s = &input.settings;
    let mut nodes: Vec<NodeVerdict> = Vec::with_capacity(input.nodes.len());
    for n in &input.nodes {
        let mut v = judge_node(n, input);
        v.earnings_now = earnings(n, &n.current);
        v.earnings_after = earnings(n, &v.changes);
        v.switching_cost = switching_cost(n, &v, s);
        nodes.push(v);
    }
    let gain: f64 = nodes
        .iter()
        .map(|v| (v.earnings_after - v.earnings_now) * s.horizon_hours)
        .sum();
    let cost: f64 = nodes.iter().map(|v| v.switching_cost).sum();
    let verdict = |kind, reason: String| Verdict {
        kind,
        reason,
        nodes: nodes.clone(),
        expected_gain: gain,
        switching_cost: cost,
    };
    let changed: Vec<&NodeVerdict> = nodes.iter().filter(|v| !v.changes.is_empty()).collect();
    if changed.is_empty() {
        let mut reason = "nothing to change".to_owned();
        let held: Vec<&String> = nodes.iter().flat_map(|v| &v.reasons).collect();
        if !held.is_empty() {
            let _ = write!(
                reason,
                ": {}",
                held.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        return verdict(VerdictKind::Skip, reason);
    }
    // Rule 5: with some changes held back the rest must still fit the machine.
    if let Some(why) = over_budget(input, &nodes) {
        return verdict(VerdictKind::Skip, why);
    }
    // Rule 6: hysteresis.
    let h = s.horizon_hours;
    if gain < cost + s.margin {
        return verdict(
            VerdictKind::Skip,
            format!(
                "gain {} over {h:.0} h < switching cost {} + margin {}",
                usd2(gain),
                usd2(cost),
                usd2(s.margin)
            ),
        );
    }
    let pays = format!(
        "gain {} over {h:.0} h >= switching cost {} + margin {}",
        usd2(gain),
        usd2(cost),
        usd2(s.margin)
    );
    // Rule 7: who may say yes.
    if input.source == PlanSource::Operator {
        return verdict(
            VerdictKind::Apply,
            format!("approved by the operator; {pays}"),
        );
    }
    if input.paused {
        return verdict(
            VerdictKind::Recommend,
            format!("automation is paused; recommended only: {pays}"),
        );
    }
    if input.source == PlanSource::Fallback && !s.fallback_auto_apply {
        return verdict(
            VerdictKind::Recommend,
            format!("plan from the fallback optimizer (the ML engine made no plan this cycle); recommended only, allocation.fallback_auto_apply is off: {pays}"),
        );
    }
    let manual: Vec<&str> = input
        .nodes
        .iter()
        .zip(&nodes)
        .filter(|(n, v)| !v.changes.is_empty() && !n.auto_apply)
        .map(|(_, v)| v.node.as_str())
        .collect();
    if manual.is_empty() {
        return verdict(VerdictKind::Apply, pays);
    }
    let recommended = format!(
        "dry-run: {} not opted into auto-apply; recommended only: {pays}",
        manual.join(", ")
    );
    // The opted-in nodes' part of the plan goes ahead on its own when it still fits the machine
    // with the others left as they are, and still pays for itself.
    match partial(input, &nodes) {
        Some(part) => {
            let applied: Vec<&str> = part.changed().map(|v| v.node.as_str()).collect();
            Verdict {
                kind: VerdictKind::Apply,
                reason: format!(
                    "applied to {} (gain {} over {h:.0} h >= switching cost {} + margin {}); {} not opted into auto-apply, recommended only",
                    applied.join(", "),
                    usd2(part.expected_gain),
                    usd2(part.switching_cost),
                    usd2(s.margin),
                    manual.join(", ")
                ),
                ..part
            }
        }
        None => verdict(VerdictKind::Recommend, recommended),
    }
}

/// Why the changes in `nodes` (others at their current amounts) do not fit the budget, if so.
fn over_budget(input: &PolicyInput, nodes: &[NodeVerdict]) -> Option<String> {
    for (k, budget) in &input.budget {
        let total: u64 = input
            .nodes
            .iter()
            .zip(nodes)
            .filter_map(|(n, v)| v.changes.get(k).or_else(|| n.current.get(k)))
            .sum();
        let touched = nodes.iter().any(|v| v.changes.contains_key(k));
        if touched && total > *budget {
            return Some(format!(
                "the plan needs {} of {k} but the budget is {}; re-planned next cycle",
                human(*k, total),
                human(*k, *budget)
            ));
        }
    }
    None
}

/// The plan cut down to the nodes opted into auto-apply, when that part fits and pays; the other
/// nodes keep their amounts and say why.
fn partial(input: &PolicyInput, nodes: &[NodeVerdict]) -> Option<Verdict> {
    let s = &input.settings;
    let mut cut: Vec<NodeVerdict> = nodes.to_vec();
    for (n, v) in input.nodes.iter().zip(cut.iter_mut()) {
        if n.auto_apply || v.changes.is_empty() {
            continue;
        }
        v.changes.clear();
        v.restart = false;
        v.reasons
            .push("not opted into auto-apply: its part of the plan is recommended only".to_owned());
        v.earnings_after = v.earnings_now;
        v.switching_cost = 0.0;
    }
    if !cut.iter().any(|v| !v.changes.is_empty()) || over_budget(input, &cut).is_some() {
        return None;
    }
    let gain: f64 = cut
        .iter()
        .map(|v| (v.earnings_after - v.earnings_now) * s.horizon_hours)
        .sum();
    let cost: f64 = cut.iter().map(|v| v.switching_cost).sum();
    (gain >= cost + s.margin).then(|| Verdict {
        kind: VerdictKind::Apply,
        reason: String::new(),
        nodes: cut,
        expected_gain: gain,
        switching_cost: cost,
    })
}
