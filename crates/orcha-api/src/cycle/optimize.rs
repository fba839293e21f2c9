//! Optimize: turn forecasts into a proposed allocation of the machine budget.
//!
//! The facts about every node (what it has now, which knobs it has, what its token is worth) are
//! gathered here; the ML engine's allocator proposes the plan, and when it cannot, the Rust
//! fallback optimizer does (a fallback plan is only recommended unless the operator allows more).
//!
//! Earnings curves are fitted, not set by hand: each node's response to each resource is learned
//! from its own hours ([`super::response`]), and scaled by the node's forecast against what it
//! earned over the last day, so a forecast surge raises its marginal value and moves resources
//! to it. A resource whose history is too thin to tell a slope keeps its amount; once a day one
//! such resource is probed by a bounded step, labelled `probe` in the decision.
//! What the OS measured each node using bounds its terms (`demand`): slack is not raised,
//! memory in use is not cut.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use orcha_core::event::StepOutcome;
use orcha_core::{HealthStatus, NodeId, ProtocolId, ResourceKind, Token};

pub use super::engine_plan::{allocate_request, from_engine};
pub use super::plan::{settings, Plan};
use super::predict::Forecasts;
use super::response::{Belief, Status};
pub use super::routes::backend_rule;
use crate::fallback::{self, Curve, NodeProblem, Problem, Terms};
use crate::policy::{Amounts, NodeFacts, PlanSource};
use crate::prices::Quote;
use crate::state::AppState;

/// The token a protocol's earnings are counted in.
fn token(p: ProtocolId) -> Token {
    match p {
        ProtocolId::Storj => Token::Usd,
        ProtocolId::Golem => Token::Glm,
        ProtocolId::Streamr => Token::Data,
        ProtocolId::Grass => Token::Points,
    }
}

/// The operator's fiat per unit of the node's token, from the price book (market feed, fixed
/// prices, the operator's value of a Grass point), with the price used; `Err` says why there is
/// none, and the node is then held at its current allocation. Grass points are valued only by
/// the operator's assumption, never by the GRASS token price.
pub fn fiat_quote(state: &AppState, p: ProtocolId) -> Result<(f64, Quote), String> {
    state
        .prices
        .rate(token(p))
        .map_err(|why| format!("{p}: {why}; held at its current allocation"))
}

/// Fiat per unit of the node's token, or why there is none (see [`fiat_quote`]).
pub fn fiat_price(state: &AppState, p: ProtocolId) -> Result<f64, String> {
    fiat_quote(state, p).map(|(v, _)| v)
}

/// What the node earned per hour over the last 24 h, in its own token (Storj from its accrued
/// month, never its lifetime figure or end-of-month projection); `None` under an hour of data.
async fn recent_rate(state: &AppState, id: &NodeId) -> Option<f64> {
    // The store's range is half-open; a minute past now includes the newest reading.
    let now = state.clock.now() + ChronoDuration::minutes(1);
    let hours = super::predict::earnings_hours(state, id, now - ChronoDuration::hours(24), now)
        .await
        .ok()?;
    (!hours.is_empty()).then(|| hours.iter().map(|(_, v)| v).sum::<f64>() / hours.len() as f64)
}

/// What Orcha last applied to each node and when each node was last restarted by Orcha, from the
/// decision log (newest first), so both survive an app restart.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub applied: BTreeMap<NodeId, Amounts>,
    pub last_restart: BTreeMap<NodeId, chrono::DateTime<chrono::Utc>>,
}

pub async fn history(state: &AppState) -> History {
    let rows = state.db(|s| s.decisions(500)).await.unwrap_or_default();
    let mut h = History::default();
    for row in rows {
        let Some(result) = row
            .applied_result
            .as_deref()
            .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        else {
            continue;
        };
        if result.get("status").and_then(|s| s.as_str()) != Some("applied") {
            continue;
        }
        let Some(nodes) = result.get("nodes").and_then(|n| n.as_object()) else {
            continue;
        };
        for (id, n) in nodes {
            let Ok(id) = id.parse::<NodeId>() else {
                continue;
            };
            if let Some(after) = n
                .get("after")
                .and_then(|a| crate::policy::amounts_from_json(a).ok())
            {
                let known = h.applied.entry(id.clone()).or_default();
                for (k, v) in after {
                    known.entry(k).or_insert(v);
                }
            }
            if n.get("restarted").and_then(|r| r.as_bool()) == Some(true) {
                h.last_restart
                    .entry(id)
                    .or_insert_with(|| orcha_store::from_ms(row.created_at));
            }
        }
    }
    h
}

/// The fitted belief of every priced node, per resource.
pub type Beliefs = BTreeMap<NodeId, BTreeMap<ResourceKind, Belief>>;

/// Gathers the facts about every node: knobs, the amounts in force, prices and fitted beliefs.
/// `proposed` starts equal to `current`; the optimizer fills it in.
pub async fn gather(
    state: &AppState,
    forecasts: Option<&Forecasts>,
) -> (Amounts, Vec<NodeFacts>, Beliefs) {
    let machine = tokio::task::spawn_blocking(crate::budget::detect)
        .await
        .unwrap_or_default();
    let mut budget = crate::budget::budget(&machine, &state.config.allocation);
    let hist = history(state).await;
    let changes = super::belief::changes(state).await;
    let mut facts = Vec::new();
    let mut beliefs = Beliefs::new();
    // The prices this plan is valued with, recorded so the decision can be traced to them.
    let mut used = Vec::new();
    for node in &state.nodes {
        let id = node.config.id.clone();
        let routes = super::routes::routes(state, node);
        let mut current = Amounts::new();
        for (backend, resources) in &routes.backends {
            let read = tokio::time::timeout(Duration::from_secs(10), backend.read()).await;
            match read {
                Ok(Ok(limits)) => {
                    for k in resources {
                        if let Some(v) = limits.get(k) {
                            // "Unlimited" counts as all of the budget; a real amount above the
                            // budget stays as read, so the plan says the node is over it.
                            let v = if *v == orcha_enforce::UNLIMITED {
                                budget.get(k).copied().unwrap_or(*v)
                            } else {
                                *v
                            };
                            current.insert(*k, v);
                        }
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(node = %id, backend = backend.name(), error = %e, "Could not read the node's limits.")
                }
                Err(_) => {
                    tracing::warn!(node = %id, backend = backend.name(), "Reading the node's limits timed out.")
                }
            }
        }
        for (k, v) in hist.applied.get(&id).into_iter().flatten() {
            if routes.knobs.contains_key(k) {
                current.entry(*k).or_insert(*v);
            }
        }
        // Kept for the Nodes screen and the usage alerts (measured use against the cap).
        node.update_live(|l| l.allocated = current.clone());
        let live = node.live();
        let price = fiat_quote(state, id.protocol()).map(|(v, quote)| {
            used.push(quote);
            v
        });
        let mut held_because = price.as_ref().err().cloned();
        let mut curves = None;
        if let Ok(p) = &price {
            let knobbed: Amounts = current
                .iter()
                .filter(|(k, _)| routes.knobs.contains_key(k))
                .map(|(k, v)| (*k, *v))
                .collect();
            let none = Vec::new();
            let log = changes.get(&id).unwrap_or(&none);
            let belief = super::belief::node_belief(state, &id, *p, log, &knobbed).await;
            let scale = demand_scale(state, &id, forecasts).await;
            let fitted: BTreeMap<ResourceKind, Curve> = belief
                .iter()
                .filter_map(|(k, b)| {
                    let storj_disk = id.protocol() == ProtocolId::Storj && *k == ResourceKind::Disk;
                    match (b.cap, b.status) {
                        // Storj's unfilled space is held: it earns nothing now, but taking it
                        // back would turn away the ingress that fills it over the coming weeks.
                        (Some(_), _) if storj_disk => None,
                        // Demand-limited: one more unit earns nothing, and one less down to
                        // what the node uses plus headroom (its floor in `problem`) loses
                        // nothing, so it may go to a node that earns with it.
                        (Some(_), _) => Some((
                            *k,
                            Curve {
                                a: 0.0,
                                b: 1.0 / super::response::unit(*k).0,
                            },
                        )),
                        (None, Status::Thin) => None,
                        (None, _) => {
                            let c = b.curve(*k);
                            Some((
                                *k,
                                Curve {
                                    a: c.a * scale,
                                    b: c.b,
                                },
                            ))
                        }
                    }
                })
                .collect();
            if fitted.is_empty() && !belief.is_empty() {
                let why: Vec<String> = belief
                    .iter()
                    .map(|(k, b)| format!("{}: {}", k.as_str(), b.note))
                    .collect();
                held_because = Some(format!(
                    "{id}: no resource has a fitted response yet ({}); held",
                    why.join(", ")
                ));
            }
            curves = (!fitted.is_empty()).then_some(fitted);
            beliefs.insert(id.clone(), belief);
        }
        let overrides = state.config.allocation.nodes.get(&id.to_string());
        let auto_apply = state
            .allocation
            .auto_apply(&id)
            .or(overrides.and_then(|o| o.auto_apply))
            .unwrap_or(node.config.auto_apply);
        facts.push(NodeFacts {
            id: id.clone(),
            proposed: current.clone(),
            current,
            knobs: routes.knobs,
            curves,
            held_because,
            auto_apply,
            last_restart: hist.last_restart.get(&id).copied(),
            running_activities: None,
            allow_interrupt: id.protocol() == ProtocolId::Golem
                && state.config.protocols.golem.allow_interrupt,
            disk_used: live.metrics.disk_used_bytes.map(|d| d.max(0.0) as u64),
            used: super::demand::measured_use(state, &id, state.clock.now()).await,
            reachable: !matches!(live.health, Some((HealthStatus::Unreachable(_), _))),
        });
    }
    crate::prices::record(state, used).await;
    // Disk already used by the nodes is theirs to keep: free space does not include it, so it
    // counts in a budget measured from free space. A granted amount is the total already.
    if state.config.allocation.grant_disk_gib == 0 {
        let used: u64 = facts.iter().filter_map(|f| f.disk_used).sum();
        if let Some(d) = budget.get_mut(&ResourceKind::Disk) {
            *d = d.saturating_add(used);
        }
    }
    (budget, facts, beliefs)
}

/// How much busier the forecast says the node will be than it was over the last day: the
/// fitted curves describe the average hour, the forecast the next ones. Bounded so one odd
/// forecast cannot claim the machine; 1 without a forecast or a recent rate.
async fn demand_scale(state: &AppState, id: &NodeId, forecasts: Option<&Forecasts>) -> f64 {
    let forecast = forecasts
        .and_then(|f| f.per_node.get(id))
        .filter(|f| !f.p50.is_empty())
        .map(|f| f.p50.iter().sum::<f64>() / f.p50.len() as f64);
    match (forecast, recent_rate(state, id).await) {
        (Some(f), Some(r)) if f > 0.0 && r > 0.0 => (f / r).clamp(0.25, 4.0),
        _ => 1.0,
    }
}

/// The optimization problem over the nodes that can move; the others keep what they have and
/// their amounts come off the budget.
pub fn problem(
    budget: &Amounts,
    facts: &[NodeFacts],
    beliefs: &Beliefs,
    settings: &crate::policy::PolicySettings,
) -> Problem {
    let mut left = budget.clone();
    let mut nodes = Vec::new();
    for f in facts {
        let movable = f.held_because.is_none() && f.reachable;
        let mut terms = BTreeMap::new();
        for (k, cur) in &f.current {
            let curve = f.curves.as_ref().and_then(|c| c.get(k)).copied();
            match (movable, f.knobs.get(k), curve, budget.get(k)) {
                (true, Some(rule), Some(curve), Some(b)) => {
                    let max = rule.max.min(*b);
                    // Threshold as a constraint: never below what the node uses plus headroom
                    // (Streamr is slashed below its floor, Storj holds its stored data), but
                    // never forced above what it has either.
                    let floor = beliefs
                        .get(&f.id)
                        .and_then(|r| r.get(k))
                        .and_then(|b| b.used)
                        .map(|u| {
                            (u * super::demand::USE_HEADROOM * super::response::unit(*k).0).ceil()
                                as u64
                        })
                        .map(|u| u.div_ceil(rule.step.max(1)) * rule.step.max(1))
                        .map_or(0, |u| u.min(*cur));
                    let min = rule.min.max(floor).min(max);
                    let mut t = Terms {
                        current: (*cur).clamp(min, max),
                        min,
                        max,
                        step: rule.step.max(1),
                        curve,
                        cost_per_unit: settings.change_cost / (*b).max(1) as f64,
                    };
                    if let Some(used) = f.used.get(k) {
                        if let Some(why) = super::demand::bound_by_use(*k, &mut t, *used) {
                            tracing::info!(node = %f.id, "{why}");
                        }
                    }
                    terms.insert(*k, t);
                }
                _ => {
                    if let Some(l) = left.get_mut(k) {
                        *l = l.saturating_sub(*cur);
                    }
                }
            }
        }
        if !terms.is_empty() {
            nodes.push(NodeProblem {
                id: f.id.clone(),
                terms,
            });
        }
    }
    Problem {
        budget: left,
        nodes,
        horizon_hours: settings.horizon_hours,
    }
}

/// A node is probed at most this often, so each level is held long enough to be measured.
const PROBE_EVERY_HOURS: i64 = 24;

/// Picks at most one resource whose belief is too thin and that the plan leaves alone, and moves
/// it by a bounded step within its knob and the budget; returns the `probe: …` label for the
/// decision. One at a time, so the earnings change can be credited to that one move.
fn probe(
    facts: &mut [NodeFacts],
    beliefs: &Beliefs,
    budget: &Amounts,
    changes: &BTreeMap<NodeId, super::belief::Changes>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    let mut used = Amounts::new();
    for f in facts.iter() {
        for (k, v) in &f.proposed {
            *used.entry(*k).or_default() += v;
        }
    }
    for f in facts.iter_mut() {
        let recent = changes
            .get(&f.id)
            .and_then(|c| c.last())
            .is_some_and(|(at, _, _)| now - *at < ChronoDuration::hours(PROBE_EVERY_HOURS));
        let priced = beliefs.get(&f.id);
        if recent || !f.reachable || f.proposed != f.current || priced.is_none() {
            continue;
        }
        for (k, b) in priced.into_iter().flatten() {
            let (Some(rule), Some(cur)) = (f.knobs.get(k), f.current.get(k).copied()) else {
                continue;
            };
            // A probe needs a measured baseline at the current amount to be compared with, and
            // a demand-limited resource has nothing to learn from more of it.
            if b.status != Status::Thin || b.hours < super::response::MIN_HOURS || b.cap.is_some() {
                continue;
            }
            let room = budget.get(k).copied().unwrap_or(0).saturating_sub(used[k]);
            let max = rule.max.min(cur.saturating_add(room));
            let Some(to) = super::response::probe(cur, rule.min, max, rule.step) else {
                continue;
            };
            f.proposed.insert(*k, to);
            // The probe is judged like any change, so the node must not be held for thin data.
            f.held_because = None;
            f.curves.get_or_insert_with(BTreeMap::new);
            let (u, name) = super::response::unit(*k);
            return Some(format!(
                "probe: {} {} {:.1} → {:.1} {name} ({})",
                f.id,
                k.as_str(),
                cur as f64 / u,
                to as f64 / u,
                b.note
            ));
        }
    }
    None
}

pub async fn run(
    state: &AppState,
    _cycle: i64,
    forecasts: Option<&Forecasts>,
    why_no_forecast: &str,
) -> (StepOutcome, Option<Plan>) {
    if state.nodes.is_empty() {
        return (
            StepOutcome::Skipped("no node is configured".to_owned()),
            None,
        );
    }
    let (budget, mut facts, beliefs) = gather(state, forecasts).await;
    let s = settings(state);
    let p = problem(&budget, &facts, &beliefs, &s);
    if p.nodes.is_empty() {
        let held: Vec<String> = facts
            .iter()
            .filter_map(|f| f.held_because.clone())
            .collect();
        let why = if held.is_empty() {
            "no node has a knob Orcha can read back and change".to_owned()
        } else {
            held.join("; ")
        };
        let forecast = if forecasts.is_none() {
            format!("; no forecast ({why_no_forecast})")
        } else {
            String::new()
        };
        return (
            StepOutcome::Skipped(format!("nothing can be moved: {why}{forecast}")),
            None,
        );
    }
    // The curves are fitted from the node's own history, not from the forecast (which only
    // scales them), so the engine plans whenever it answers; without it the fallback recommends.
    let engine = if state.ml_status().available {
        Some(state.ml.allocate(&allocate_request(&p)).await)
    } else {
        None
    };
    let (source, solver, note, proposed) = match engine {
        Some(Ok(resp)) => {
            let out = from_engine(&p, &resp);
            (PlanSource::Engine, resp.solver.clone(), None, Ok(out))
        }
        other => {
            let note = match other {
                Some(Err(e)) => format!("ML engine allocate failed ({e}); fallback optimizer used"),
                _ => format!("ML engine unavailable ({why_no_forecast}); fallback optimizer used"),
            };
            let solved = fallback::solve(&p)
                .map(|s| s.allocation)
                .map_err(|e| e.to_string());
            (
                PlanSource::Fallback,
                "greedy-fallback".to_owned(),
                Some(note),
                solved,
            )
        }
    };
    let proposed = match proposed {
        Ok(p) => p,
        Err(e) => {
            return (
                StepOutcome::Failed(format!("the fallback optimizer found no plan: {e}")),
                None,
            )
        }
    };
    for f in &mut facts {
        if let Some(a) = proposed.get(&f.id) {
            f.proposed.extend(a.iter().map(|(k, v)| (*k, *v)));
        }
    }
    let changes = super::belief::changes(state).await;
    let probed = probe(&mut facts, &beliefs, &budget, &changes, state.clock.now());
    let note = match (note, probed) {
        (Some(n), Some(p)) => Some(format!("{n}; {p}")),
        (n, p) => n.or(p),
    };
    let moved = facts.iter().filter(|f| f.proposed != f.current).count();
    let detail = format!(
        "{} plan ({solver}) over {} nodes, {moved} with changes{}",
        source.as_str(),
        p.nodes.len(),
        note.as_ref().map(|n| format!("; {n}")).unwrap_or_default()
    );
    (
        StepOutcome::Done(detail),
        Some(Plan {
            source,
            solver,
            note,
            budget,
            nodes: facts,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cycle::response::Belief;
    use crate::policy::KnobRule;

    fn facts(disk_gb: u64) -> NodeFacts {
        let gb = 1_000_000_000;
        NodeFacts {
            id: "storj:main".parse().unwrap(),
            current: Amounts::from([(ResourceKind::Disk, disk_gb * gb)]),
            proposed: Amounts::from([(ResourceKind::Disk, disk_gb * gb)]),
            knobs: BTreeMap::from([(
                ResourceKind::Disk,
                KnobRule {
                    min: 500 * gb,
                    max: 10_000 * gb,
                    step: gb,
                    restart_required: true,
                    restart_downtime_secs: 60,
                    loses_jobs: false,
                },
            )]),
            curves: None,
            used: Amounts::new(),
            held_because: Some("thin".into()),
            auto_apply: false,
            last_restart: None,
            running_activities: None,
            allow_interrupt: false,
            disk_used: None,
            reachable: true,
        }
    }

    fn thin(hours: usize) -> Beliefs {
        let b = Belief {
            a: 0.0,
            b: 0.0,
            at: 1000.0,
            marginal: [0.0; 3],
            status: Status::Thin,
            hours,
            levels: 1,
            note: "never moved".into(),
            cap: None,
            used: None,
        };
        BTreeMap::from([(
            "storj:main".parse().unwrap(),
            BTreeMap::from([(ResourceKind::Disk, b)]),
        )])
    }

    #[test]
    fn a_thin_resource_is_probed_once_within_its_knob_and_the_budget_and_labelled() {
        let now = chrono::Utc::now();
        let budget = Amounts::from([(ResourceKind::Disk, 1_050 * 1_000_000_000)]);
        let mut f = vec![facts(1000)];
        let label = probe(&mut f, &thin(48), &budget, &BTreeMap::new(), now).unwrap();
        assert!(
            label.starts_with("probe: storj:main disk 1000.0 → 900.0 GB"),
            "{label}"
        );
        assert_eq!(f[0].held_because, None, "judged like any change");

        // Without a baseline, or right after a change, nothing is probed.
        let mut f = vec![facts(1000)];
        assert_eq!(
            probe(&mut f, &thin(5), &budget, &BTreeMap::new(), now),
            None
        );
        let changed = BTreeMap::from([(
            f[0].id.clone(),
            vec![(
                now - ChronoDuration::hours(2),
                Amounts::new(),
                Amounts::new(),
            )],
        )]);
        assert_eq!(probe(&mut f, &thin(48), &budget, &changed, now), None);
        assert_eq!(f[0].proposed, f[0].current);
    }

    #[test]
    fn what_a_node_uses_is_a_floor_the_problem_keeps() {
        let gb = 1_000_000_000;
        let mut f = facts(1000);
        f.held_because = None;
        f.curves = Some(BTreeMap::from([(
            ResourceKind::Disk,
            Curve { a: 1.0, b: 1e-12 },
        )]));
        let mut beliefs = thin(48);
        let settings = crate::policy::PolicySettings {
            horizon_hours: 24.0,
            margin: 0.0,
            change_cost: 0.0,
            min_dwell: ChronoDuration::zero(),
            fallback_auto_apply: false,
        };
        let budget = Amounts::from([(ResourceKind::Disk, 4_000 * gb)]);
        let min = |b: &Beliefs| {
            problem(&budget, std::slice::from_ref(&f), b, &settings).nodes[0].terms
                [&ResourceKind::Disk]
                .min
        };
        assert_eq!(min(&beliefs), 500 * gb, "the knob's own minimum");
        let used = |b: &mut Beliefs, v: f64| {
            b.values_mut()
                .flat_map(|r| r.values_mut())
                .for_each(|x| x.used = Some(v));
        };
        used(&mut beliefs, 600.0);
        assert_eq!(min(&beliefs), 750 * gb, "600 GB used + 25 % headroom");
        used(&mut beliefs, 900.0);
        assert_eq!(min(&beliefs), 1000 * gb, "never forced above what it has");
    }
}
