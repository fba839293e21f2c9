//! The protocol adapter contract: how the orchestrator talks to one local node.
//!
//! The rules every implementation follows are written down in `docs/adapter-contract.md`;
//! `crate::compliance` checks the ones that can be checked mechanically.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::{
    AppliedAllocation, Capability, EarnedPeriod, EarningsData, HealthStatus, NodeId, NodeInfo,
    PayoutEvent, ProtocolId, ResourceKind, ResourceMetrics, ResourceVector,
};

/// Why a call to a node failed. Callers branch on the variant: retry later, back off, or ask the
/// operator for credentials. Every message names the endpoint (and field) concerned and never
/// contains a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    #[error("{endpoint} is unreachable: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("{endpoint} refused our credentials: {hint}")]
    Unauthorized { endpoint: String, hint: String },
    #[error("{endpoint} is rate limiting us{}", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        endpoint: String,
        retry_after: Option<Duration>,
    },
    #[error("{endpoint} answered something we cannot read: {what}")]
    Malformed { endpoint: String, what: String },
    #[error("not supported: {what}")]
    Unsupported { what: String },
    #[error("{endpoint} did not answer within {} ms", after.as_millis())]
    Timeout { endpoint: String, after: Duration },
}

impl AdapterError {
    /// A short stable name of the variant, for metrics labels and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            AdapterError::Unreachable { .. } => "unreachable",
            AdapterError::Unauthorized { .. } => "unauthorized",
            AdapterError::RateLimited { .. } => "rate_limited",
            AdapterError::Malformed { .. } => "malformed",
            AdapterError::Unsupported { .. } => "unsupported",
            AdapterError::Timeout { .. } => "timeout",
        }
    }

    /// The health a failed read implies: a node we cannot reach is down, a node that answers
    /// nonsense or refuses us is up but degraded.
    pub fn as_health(&self) -> HealthStatus {
        match self {
            AdapterError::Unreachable { .. } | AdapterError::Timeout { .. } => {
                HealthStatus::Unreachable(self.to_string())
            }
            _ => HealthStatus::Degraded(vec![self.to_string()]),
        }
    }
}

/// One local node of one protocol.
///
/// Implementations are shared between tasks (`Arc<dyn ProtocolAdapter>`), so they take `&self`
/// and keep any connection state behind their own synchronisation. Every method that does IO is
/// bounded by a timeout inside the adapter; the orchestrator adds an outer timeout as well.
#[async_trait]
pub trait ProtocolAdapter: Send + Sync {
    fn protocol_name(&self) -> ProtocolId;

    /// The node this adapter talks to.
    fn node_id(&self) -> &NodeId;

    /// Checks that the node answers and learns what it is (version, identity).
    async fn connect(&self) -> Result<NodeInfo, AdapterError>;

    /// Releases whatever `connect` set up. Must be idempotent.
    async fn disconnect(&self) -> Result<(), AdapterError>;

    async fn get_current_earnings(&self) -> Result<EarningsData, AdapterError>;

    async fn get_resource_usage(&self) -> Result<ResourceMetrics, AdapterError>;

    /// Changes the node's knobs to `allocation`, reads them back and reports what was read.
    /// Resources the node cannot enforce are `Unsupported`, never silently ignored.
    async fn apply_allocation(
        &self,
        allocation: &ResourceVector,
    ) -> Result<AppliedAllocation, AdapterError>;

    /// The values of the node's knobs in force now, as the node reports them (Golem: the active
    /// hardware profile). Orcha compares plans against these and rolls back to them. The default
    /// is `Unsupported`: the node cannot tell, and Orcha knows only what it applied itself.
    async fn current_allocation(&self) -> Result<BTreeMap<ResourceKind, u64>, AdapterError> {
        Err(AdapterError::Unsupported {
            what: format!(
                "{}: the node does not report its knob values",
                self.node_id()
            ),
        })
    }

    /// Every payout, hold-back and release the node's own record shows, from its beginning (Storj
    /// paystubs per satellite and period, Golem payments received). Each carries a key that is
    /// stable across reads, so storing them is idempotent. The default: the node keeps no record.
    async fn payouts(&self) -> Result<Vec<PayoutEvent>, AdapterError> {
        Ok(Vec::new())
    }

    /// What the node's own record says it earned per past period, from its beginning (Storj
    /// paystubs, Streamr's daily buckets). The default: the node keeps no such record.
    async fn earnings_history(&self) -> Result<Vec<EarnedPeriod>, AdapterError> {
        Ok(Vec::new())
    }

    /// Never fails: a node that cannot be reached is `HealthStatus::Unreachable`.
    async fn health_check(&self) -> HealthStatus;

    /// The knobs this node really has. An empty list means Orcha can only watch this node.
    fn capabilities(&self) -> Vec<Capability>;
}
