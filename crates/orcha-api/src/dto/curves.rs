//! The optimizer's belief, served: per node and resource the fitted response curve, where the
//! node stands on it, and what one more unit earns per hour with its p10–p90 range.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What one more unit of a resource earns per hour, in fiat, as decimal strings (money is never
/// a float on the wire either).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct MarginalValueDto {
    pub p10: String,
    pub p50: String,
    pub p90: String,
}

/// One resource of one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ResourceCurveDto {
    /// `cpu`, `memory`, `disk` or `bandwidth`.
    pub resource: String,
    /// The unit `x` is counted in: `core`, `GiB`, `GB` or `Mbit/s`.
    pub unit: String,
    /// `fitted`, `at_cap` (all of it is used: valued at what a used unit earns now),
    /// `demand_limited` (it uses clearly less than it has: one more unit earns nothing, and it may
    /// give down to its use plus headroom), `ingress_limited` (Storj space not yet filled: held
    /// while ingress fills it), `thin_data` (kept at its amount) or `probing` (this cycle moves
    /// it to learn).
    pub status: String,
    /// Fiat per hour `a·ln(1 + b·x)` with `x` in `unit`; both 0 when not fitted.
    pub a: f64,
    pub b: f64,
    /// The amount in force, in `unit`.
    pub operating_point: f64,
    /// What one more `unit` earns per hour at the operating point.
    pub marginal_per_hour: MarginalValueDto,
    /// What the node uses (in `unit`) when demand, not the allocation, limits it: one more unit
    /// then earns nothing and the optimizer keeps the amount.
    pub demand_limited_at: Option<f64>,
    /// Hours of readings the fit saw, and how many distinct amounts among them.
    pub hours: u32,
    pub levels: u32,
    pub note: String,
}

/// One node's belief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct NodeCurvesDto {
    pub node: String,
    pub resources: Vec<ResourceCurveDto>,
    /// Why the optimizer keeps the node where it is, when it does.
    pub held_because: Option<String>,
}

/// `GET /api/v1/allocation/curves`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ResponseCurvesDto {
    /// The fiat currency the values are in.
    pub fiat: String,
    pub nodes: Vec<NodeCurvesDto>,
}

/// Their TypeScript declarations, appended to `ui/src/bindings.ts`.
pub fn decls() -> [String; 4] {
    [
        MarginalValueDto::decl(),
        ResourceCurveDto::decl(),
        NodeCurvesDto::decl(),
        ResponseCurvesDto::decl(),
    ]
}
