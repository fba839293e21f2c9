//! Optimize: turn forecasts into a proposed allocation of the machine budget.
//!
//! The facts about every node (what it has now, which knobs it has, what its token is worth) are
//! gathered here; the ML engine's allocator proposes the plan, and when it cannot, the Rust
//! fallback optimizer does (a fallback plan is only recommended unless the operator allows more).
//!
//! Earnings curves are anchored, not fitted: each node's expected fiat rate (forecast p50, or the
//! realized rate of the last 24 h without a forecast) is split over the resources its protocol
//! earns with, and each share becomes `a·ln(1 + b·x)` through the node's current amount, with
//! `b` set so returns diminish over the scale of the budget. A surge in a node's forecast raises
//! its curve and so its marginal value, which moves resources to it. What the OS measured each
//! node using bounds its terms (`demand`): slack is not raised, memory in use is not cut.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use orcha_core::event::StepOutcome;
use orcha_core::{EarningsKind, HealthStatus, NodeId, ProtocolId, ResourceKind, Token};

pub use super::plan::{settings, Plan};
use super::predict::Forecasts;
pub use super::routes::backend_rule;
use crate::fallback::{self, Curve, NodeProblem, Problem, Terms};
use crate::ml::{AllocateRequest, NodeSpec, ResponseCurve};
use crate::policy::{Amounts, NodeFacts, PlanSource};
use crate::prices::Quote;
use crate::state::AppState;

/// How much of a node's earnings each resource accounts for, by protocol.
fn weights(p: ProtocolId) -> &'static [(ResourceKind, f64)] {
    match p {
        ProtocolId::Storj => &[(ResourceKind::Disk, 1.0)],
        // Golem's disk is scratch space for tasks: more of it wins no more tasks once they fit,
        // so it gets no curve and keeps its amount, instead of outbidding Storj for terabytes.
        ProtocolId::Golem => &[(ResourceKind::Cpu, 0.65), (ResourceKind::Memory, 0.35)],
        ProtocolId::Streamr => &[(ResourceKind::Bandwidth, 0.7), (ResourceKind::Cpu, 0.3)],
        ProtocolId::Grass => &[(ResourceKind::Bandwidth, 1.0)],
    }
}

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

/// The node's expected earnings rate in its own token per hour: the forecast's mean p50, else
/// the lifetime earnings gained over the last 24 hours.
async fn anchor_rate(state: &AppState, id: &NodeId, forecasts: Option<&Forecasts>) -> Option<f64> {
    if let Some(f) = forecasts.and_then(|f| f.per_node.get(id)) {
        if !f.p50.is_empty() {
            return Some(f.p50.iter().sum::<f64>() / f.p50.len() as f64);
        }
    }
    // The store's range is half-open; a minute past now includes the newest reading.
    let now = state.clock.now() + ChronoDuration::minutes(1);
    if id.protocol() == ProtocolId::Storj {
        return storj_rate(state, id, now).await;
    }
    let from = now - ChronoDuration::hours(24);
    let node = id.clone();
    let points = state
        .db(move |s| s.earnings_history(&node, EarningsKind::Lifetime, from, now))
        .await
        .ok()?;
    let (first, last) = (points.first()?, points.last()?);
    let hours = (last.0 - first.0).num_seconds() as f64 / 3600.0;
    if hours < 1.0 {
        return None;
    }
    let delta = last.1.to_f64_lossy() - first.1.to_f64_lossy();
    // A drop is a payout, not negative earnings; it tells nothing about the rate.
    (delta >= 0.0).then(|| delta / hours)
}

/// Storj's rate from the node's own estimate for the running month (`currentMonthExpectations`)
/// spread over the month's hours. Its lifetime figure is the sum of monthly paystubs and only
/// moves once a month, so a day of it would read as earning nothing.
async fn storj_rate(
    state: &AppState,
    id: &NodeId,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<f64> {
    use chrono::Datelike;
    let from = now - ChronoDuration::hours(24);
    let node = id.clone();
    let points = state
        .db(move |s| s.earnings_history(&node, EarningsKind::CurrentPeriodEstimate, from, now))
        .await
        .ok()?;
    let (at, estimate) = points.last()?;
    let month_start = at.date_naive().with_day(1)?;
    let next = month_start.checked_add_months(chrono::Months::new(1))?;
    let hours = (next - month_start).num_hours() as f64;
    let v = estimate.to_f64_lossy();
    (v >= 0.0 && hours > 0.0).then(|| v / hours)
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

/// Gathers the facts about every node: knobs, the amounts in force, prices and anchors.
/// `proposed` starts equal to `current`; the optimizer fills it in.
pub async fn gather(
    state: &AppState,
    forecasts: Option<&Forecasts>,
) -> (Amounts, Vec<NodeFacts>, BTreeMap<NodeId, f64>) {
    let machine = tokio::task::spawn_blocking(crate::budget::detect)
        .await
        .unwrap_or_default();
    let mut budget = crate::budget::budget(&machine, &state.config.allocation);
    let hist = history(state).await;
    let mut facts = Vec::new();
    let mut anchors = BTreeMap::new();
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
        let rate = anchor_rate(state, &id, forecasts).await;
        let held_because = match (&price, rate) {
            (Err(why), _) => Some(why.clone()),
            (Ok(_), None) => Some(format!(
                "{id} has no forecast and no earnings history of the last 24 h to value resources by; held"
            )),
            _ => None,
        };
        if let (Ok(p), Some(r)) = (&price, rate) {
            anchors.insert(id.clone(), p * r);
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
            curves: None,
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
    for f in &mut facts {
        if let Some(rate) = anchors.get(&f.id) {
            f.curves = Some(curves(f, *rate, &budget));
        }
    }
    (budget, facts, anchors)
}

/// Splits `rate` (USD/h) over the node's resources and anchors a curve through each current
/// amount.
fn curves(f: &NodeFacts, rate: f64, budget: &Amounts) -> BTreeMap<ResourceKind, Curve> {
    weights(f.id.protocol())
        .iter()
        .filter_map(|(k, w)| {
            let scale = *budget.get(k)? as f64;
            let x0 = (*f.current.get(k)?).max(f.knobs.get(k).map_or(1, |r| r.step.max(1)));
            if scale <= 0.0 {
                return None;
            }
            let b = 4.0 / scale;
            let a = w * rate / (b * x0 as f64).ln_1p();
            (a.is_finite() && a >= 0.0).then_some((*k, Curve { a, b }))
        })
        .collect()
}

/// The optimization problem over the nodes that can move; the others keep what they have and
/// their amounts come off the budget.
pub fn problem(
    budget: &Amounts,
    facts: &[NodeFacts],
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
                    let min = rule.min.min(max);
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

/// The same problem in the ML engine's terms.
fn allocate_request(p: &Problem) -> AllocateRequest {
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
    let (budget, mut facts, _) = gather(state, forecasts).await;
    let s = settings(state);
    let p = problem(&budget, &facts, &s);
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
    // The engine allocates only with forecasts; without them the fallback recommends.
    let engine = if forecasts.is_some() {
        Some(state.ml.allocate(&allocate_request(&p)).await)
    } else {
        None
    };
    let (source, solver, note, proposed) = match engine {
        Some(Ok(resp)) => {
            let mut out: BTreeMap<NodeId, Amounts> = BTreeMap::new();
            for np in &resp.plan {
                let Some(n) = p.nodes.iter().find(|n| n.id.to_string() == np.id) else {
                    continue;
                };
                for (k, t) in &n.terms {
                    if let Some(x) = np.allocation.get(k.as_str()) {
                        out.entry(n.id.clone())
                            .or_default()
                            .insert(*k, on_grid(t, *x));
                    }
                }
            }
            (PlanSource::Engine, resp.solver.clone(), None, Ok(out))
        }
        other => {
            let note = match other {
                Some(Err(e)) => format!("ML engine allocate failed ({e}); fallback optimizer used"),
                _ => format!("no forecast ({why_no_forecast}); fallback optimizer used"),
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
