//! The nouns of the domain: protocols, nodes, resources, earnings, health and knobs.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::money::Money;

/// The DePIN protocols Orcha knows how to talk to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolId {
    Storj,
    Golem,
    Streamr,
    Grass,
}

impl ProtocolId {
    pub const ALL: [ProtocolId; 4] = [
        ProtocolId::Storj,
        ProtocolId::Golem,
        ProtocolId::Streamr,
        ProtocolId::Grass,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolId::Storj => "storj",
            ProtocolId::Golem => "golem",
            ProtocolId::Streamr => "streamr",
            ProtocolId::Grass => "grass",
        }
    }
}

impl fmt::Display for ProtocolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("unknown protocol `{0}` (expected storj, golem, streamr or grass)")]
    UnknownProtocol(String),
    #[error("node id `{0}` must look like `<protocol>:<name>`")]
    BadNodeId(String),
    #[error("node name `{0}` must be 1-32 characters of lowercase letters, digits, `-` or `_`")]
    BadNodeName(String),
}

impl FromStr for ProtocolId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProtocolId::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| IdError::UnknownProtocol(s.to_owned()))
    }
}

/// One node on this machine: a protocol plus a local name, e.g. `storj:disk2`.
///
/// Several nodes of one protocol are normal (one Storj node per disk), so the protocol alone is
/// never an identifier. Names are restricted so they are safe as metric label values and paths.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    protocol: ProtocolId,
    name: String,
}

impl NodeId {
    pub fn new(protocol: ProtocolId, name: &str) -> Result<Self, IdError> {
        let ok = !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            return Err(IdError::BadNodeName(name.to_owned()));
        }
        Ok(NodeId {
            protocol,
            name: name.to_owned(),
        })
    }

    pub fn protocol(&self) -> ProtocolId {
        self.protocol
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.protocol, self.name)
    }
}

impl FromStr for NodeId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (p, n) = s
            .split_once(':')
            .ok_or_else(|| IdError::BadNodeId(s.to_owned()))?;
        NodeId::new(p.parse()?, n)
    }
}

/// The four machine resources Orcha divides between nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    Cpu,
    Memory,
    Disk,
    Bandwidth,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 4] = [
        ResourceKind::Cpu,
        ResourceKind::Memory,
        ResourceKind::Disk,
        ResourceKind::Bandwidth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Cpu => "cpu",
            ResourceKind::Memory => "memory",
            ResourceKind::Disk => "disk",
            ResourceKind::Bandwidth => "bandwidth",
        }
    }

    /// The base unit of amounts of this resource.
    pub fn unit(self) -> &'static str {
        match self {
            ResourceKind::Cpu => "millicores",
            ResourceKind::Memory | ResourceKind::Disk => "bytes",
            ResourceKind::Bandwidth => "bits_per_second",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of each resource, in base units (millicores, bytes, bytes, bits per second).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResourceVector {
    pub cpu_millicores: u64,
    pub mem_bytes: u64,
    pub disk_bytes: u64,
    pub bandwidth_bps: u64,
}

impl ResourceVector {
    pub fn get(&self, kind: ResourceKind) -> u64 {
        match kind {
            ResourceKind::Cpu => self.cpu_millicores,
            ResourceKind::Memory => self.mem_bytes,
            ResourceKind::Disk => self.disk_bytes,
            ResourceKind::Bandwidth => self.bandwidth_bps,
        }
    }

    pub fn set(&mut self, kind: ResourceKind, value: u64) {
        match kind {
            ResourceKind::Cpu => self.cpu_millicores = value,
            ResourceKind::Memory => self.mem_bytes = value,
            ResourceKind::Disk => self.disk_bytes = value,
            ResourceKind::Bandwidth => self.bandwidth_bps = value,
        }
    }
}

/// How many resources of each kind every node gets; absent nodes keep what they have.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllocationStrategy {
    pub nodes: BTreeMap<NodeId, ResourceVector>,
}

/// What a node uses right now. `None` means "not measured", which is different from zero.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceMetrics {
    pub observed_at: Option<DateTime<Utc>>,
    pub cpu_millicores: Option<f64>,
    pub mem_bytes: Option<f64>,
    pub disk_used_bytes: Option<f64>,
    pub disk_allocated_bytes: Option<f64>,
    pub bandwidth_up_bps: Option<f64>,
    pub bandwidth_down_bps: Option<f64>,
}

impl ResourceMetrics {
    /// The measured values as `(metric name, value)`; unmeasured ones are left out.
    pub fn measured(&self) -> Vec<(&'static str, f64)> {
        [
            ("cpu_millicores", self.cpu_millicores),
            ("mem_bytes", self.mem_bytes),
            ("disk_used_bytes", self.disk_used_bytes),
            ("disk_allocated_bytes", self.disk_allocated_bytes),
            ("bandwidth_up_bps", self.bandwidth_up_bps),
            ("bandwidth_down_bps", self.bandwidth_down_bps),
        ]
        .into_iter()
        .filter_map(|(name, v)| v.map(|v| (name, v)))
        .collect()
    }
}

/// Which of a node's earnings figures an amount is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EarningsKind {
    /// Everything ever earned, paid or not.
    Lifetime,
    /// The node's own estimate for the running payout period.
    CurrentPeriodEstimate,
    /// Earned but not yet paid out (the balance).
    Unpaid,
    /// Paid out to the operator's wallet.
    PaidOut,
    /// Held back by the network (Storj held amount).
    Held,
    /// Invoiced but not yet accepted by the requestor (Golem).
    Pending,
    /// Accepted by the requestor but not settled on chain (Golem).
    Accepted,
    /// Settled on chain (Golem).
    Settled,
    /// Earned so far in the running payout period, as the node accrues it (Storj
    /// `currentMonth.payout`); it restarts at zero when a new period begins. Not a projection.
    CurrentPeriodAccrued,
    /// The part of the running period's accrued earnings the network holds back (Storj
    /// `currentMonth.held`).
    CurrentPeriodHeld,
    /// A contract's lifetime total that includes other people's money (Streamr: the operator
    /// contract's collected + uncollected earnings, delegators' profits included). Shown labelled,
    /// never summed into the owner's earnings.
    ContractLifetime,
    /// A contract's not-yet-collected total (Streamr: earnings waiting in the sponsorships, before
    /// the protocol fee and the split between owner and delegators).
    ContractUnpaid,
}

impl EarningsKind {
    pub const ALL: [EarningsKind; 12] = [
        EarningsKind::Lifetime,
        EarningsKind::CurrentPeriodEstimate,
        EarningsKind::Unpaid,
        EarningsKind::PaidOut,
        EarningsKind::Held,
        EarningsKind::Pending,
        EarningsKind::Accepted,
        EarningsKind::Settled,
        EarningsKind::CurrentPeriodAccrued,
        EarningsKind::CurrentPeriodHeld,
        EarningsKind::ContractLifetime,
        EarningsKind::ContractUnpaid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EarningsKind::Lifetime => "lifetime",
            EarningsKind::CurrentPeriodEstimate => "current_period_estimate",
            EarningsKind::Unpaid => "unpaid",
            EarningsKind::PaidOut => "paid_out",
            EarningsKind::Held => "held",
            EarningsKind::Pending => "pending",
            EarningsKind::Accepted => "accepted",
            EarningsKind::Settled => "settled",
            EarningsKind::CurrentPeriodAccrued => "current_period_accrued",
            EarningsKind::CurrentPeriodHeld => "current_period_held",
            EarningsKind::ContractLifetime => "contract_lifetime",
            EarningsKind::ContractUnpaid => "contract_unpaid",
        }
    }
}

impl FromStr for EarningsKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EarningsKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown earnings kind `{s}`"))
    }
}

/// One reading of a node's earnings: each figure the node reports, exact.
#[derive(Clone, Debug, PartialEq)]
pub struct EarningsData {
    pub observed_at: DateTime<Utc>,
    pub figures: Vec<(EarningsKind, Money)>,
}

impl EarningsData {
    pub fn get(&self, kind: EarningsKind) -> Option<&Money> {
        self.figures
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, m)| m)
    }
}

/// What a money movement in a node's own record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PayoutKind {
    /// Sent to the operator's wallet.
    Payout,
    /// Earned but held back by the network (Storj's held amount of a period).
    Held,
    /// Held money given back (Storj `disposed`).
    Released,
}

impl PayoutKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutKind::Payout => "payout",
            PayoutKind::Held => "held",
            PayoutKind::Released => "released",
        }
    }
}

impl FromStr for PayoutKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [PayoutKind::Payout, PayoutKind::Held, PayoutKind::Released]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown payout kind `{s}`"))
    }
}

/// One payout (or hold-back, or release) as the node's own record states it.
#[derive(Clone, Debug, PartialEq)]
pub struct PayoutEvent {
    /// Stable across reads of the same record (`storj:<satellite>:<period>:paid`, a Golem
    /// payment id): the store keeps one row per key.
    pub key: String,
    pub kind: PayoutKind,
    pub amount: Money,
    /// When the money moved; for records without a time (Storj paystubs), the first instant of
    /// the month after the period, and `detail` says so.
    pub at: DateTime<Utc>,
    /// A transaction hash or receipt when the node gives one.
    pub reference: Option<String>,
    /// A sentence: where the figure comes from.
    pub detail: String,
}

/// What a node earned over one past period, from its own record (a Storj paystub, a Streamr
/// daily bucket): the backfill of history from before Orcha watched the node.
#[derive(Clone, Debug, PartialEq)]
pub struct EarnedPeriod {
    /// Stable across reads (`storj:<satellite>:<period>`): stored once per key.
    pub key: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub amount: Money,
    /// Where the figure comes from, as the export's reference (`paystub 2021-07 <satellite>`).
    pub source: String,
}

/// How a node is doing. Reasons are sentences an operator can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthStatus {
    Healthy,
    Degraded(Vec<String>),
    Unreachable(String),
    /// Not checked yet, or the protocol exposes nothing to check.
    Unknown,
}

impl HealthStatus {
    pub fn state_name(&self) -> &'static str {
        match self {
            HealthStatus::Healthy => "healthy",
            HealthStatus::Degraded(_) => "degraded",
            HealthStatus::Unreachable(_) => "unreachable",
            HealthStatus::Unknown => "unknown",
        }
    }

    /// Numeric code for the Prometheus gauge: 0 unknown, 1 healthy, 2 degraded, 3 unreachable.
    pub fn code(&self) -> i64 {
        match self {
            HealthStatus::Unknown => 0,
            HealthStatus::Healthy => 1,
            HealthStatus::Degraded(_) => 2,
            HealthStatus::Unreachable(_) => 3,
        }
    }

    pub fn reasons(&self) -> Vec<String> {
        match self {
            HealthStatus::Degraded(r) => r.clone(),
            HealthStatus::Unreachable(r) => vec![r.clone()],
            _ => Vec::new(),
        }
    }
}

/// The mechanism that enforces a resource for a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Knob {
    /// A setting of the node software itself (e.g. `storage.allocated-disk-space`).
    ProtocolSetting(String),
    Cgroup,
    Docker,
    TrafficControl,
    /// Nothing can enforce it; the optimizer must treat the resource as fixed.
    None,
}

/// What a change of a knob costs the operator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestartCost {
    pub downtime: Duration,
    /// Running jobs are lost (Golem activities).
    pub loses_jobs: bool,
    /// Reputation at risk, in words (Storj online score).
    pub reputation_risk: Option<String>,
}

/// One resource a node can really have changed, and the rules for changing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capability {
    pub resource: ResourceKind,
    pub knob: Knob,
    pub min: u64,
    pub max: u64,
    pub step: u64,
    pub restart_required: bool,
    pub restart_cost: RestartCost,
    /// Conditions that must hold before a change, in words the operator can check.
    pub preconditions: Vec<String>,
}

/// What the node says about itself after `connect`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeInfo {
    pub version: Option<String>,
    /// The node's own identity (Storj node id, yagna node id, operator address, …).
    pub remote_id: Option<String>,
}

/// The outcome of applying an allocation to one node, as read back from the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedAllocation {
    pub node: NodeId,
    /// The values read back after the write, per resource that was changed.
    pub read_back: BTreeMap<ResourceKind, u64>,
    pub restarted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_parse_and_reject_bad_names() {
        let id: NodeId = "storj:disk-2".parse().unwrap();
        assert_eq!(id.protocol(), ProtocolId::Storj);
        assert_eq!(id.name(), "disk-2");
        assert_eq!(id.to_string(), "storj:disk-2");
        assert!("storj".parse::<NodeId>().is_err());
        assert!("filecoin:a".parse::<NodeId>().is_err());
        assert!("golem:Has Space".parse::<NodeId>().is_err());
        assert!("golem:".parse::<NodeId>().is_err());
    }

    #[test]
    fn unmeasured_metrics_are_not_zero() {
        let m = ResourceMetrics {
            cpu_millicores: Some(0.0),
            ..Default::default()
        };
        assert_eq!(m.measured(), vec![("cpu_millicores", 0.0)]);
    }
}
