//! The plan a cycle (or the operator) proposes, and the policy settings it is judged by.
//!
//! Shared by optimize (which builds plans), evaluate (which judges them) and the API's
//! approve/what-if operations, so none of them imports another step for it.

use chrono::Duration as ChronoDuration;
use orcha_core::NodeId;

use crate::policy::{Amounts, NodeFacts, PlanSource};
use crate::state::AppState;

/// A proposed allocation with everything evaluation needs to judge it.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub source: PlanSource,
    /// The solver that produced it (`clarabel`, `greedy-fallback`, …).
    pub solver: String,
    /// Why the fallback was used, when it was.
    pub note: Option<String>,
    pub budget: Amounts,
    /// Per node: current, proposed, knobs, curves and the node's situation.
    pub nodes: Vec<NodeFacts>,
}

impl Plan {
    pub fn proposed(&self, node: &NodeId) -> Option<&Amounts> {
        self.nodes
            .iter()
            .find(|n| &n.id == node)
            .map(|n| &n.proposed)
    }
}

/// The policy settings of the running configuration.
pub fn settings(state: &AppState) -> crate::policy::PolicySettings {
    let a = &state.config.allocation;
    crate::policy::PolicySettings {
        horizon_hours: f64::from(a.horizon_hours),
        margin: a.margin_usd.parse().unwrap_or(0.05),
        change_cost: a.change_cost_usd.parse().unwrap_or(0.01),
        min_dwell: ChronoDuration::seconds(
            i64::try_from(a.min_dwell_secs).unwrap_or(i64::MAX / 1000),
        ),
        fallback_auto_apply: a.fallback_auto_apply,
    }
}
