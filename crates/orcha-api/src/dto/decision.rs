//! The typed outcome of an apply transaction, as stored with its decision and sent to the UI.
//!
//! The store keeps these as JSON text (`decisions.applied_result` / `rollback`); the fields are
//! in alphabetical order so the text is the same as the `json!` objects written before them.
//! `DecisionDto` holds them boxed so every `Event` stays small; the wire shape is the same.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Amounts by resource name (`cpu` in millicores, `memory`/`disk` in bytes, `bandwidth` in
/// bit/s), as enforced or read back.
pub type AmountsMap = BTreeMap<String, u64>;

/// How an apply transaction ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AppliedResultDto {
    /// Who applied it: `orchestrator` or `operator`; absent when it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub actor: Option<String>,
    /// When the transaction started (RFC 3339); absent when it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub at: Option<String>,
    /// Why it was refused or rolled back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
    /// The node whose change failed, on a rollback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub failed_node: Option<String>,
    /// Every node changed before the end, by node id; absent when it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub nodes: Option<BTreeMap<String, NodeApplyDto>>,
    /// `applied`, `rolled_back` or `refused`.
    pub status: String,
}

/// One node's change within an apply transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct NodeApplyDto {
    /// What the node reported after the change.
    #[ts(type = "Record<string, number>")]
    pub after: AmountsMap,
    #[ts(type = "Record<string, number>")]
    pub before: AmountsMap,
    /// The change needs a restart that has not happened yet.
    pub restart_pending: bool,
    pub restarted: bool,
}

/// What a rollback restored, and what it could not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct RollbackDto {
    pub errors: Vec<String>,
    /// Amounts read back after restoring, by node id.
    #[ts(type = "Record<string, Record<string, number>>")]
    pub restored: BTreeMap<String, AmountsMap>,
}
