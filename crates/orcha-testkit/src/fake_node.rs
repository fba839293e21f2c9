//! `FakeNode`: the one stand-in `ProtocolAdapter`, scripted before and during a test.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use orcha_core::{
    AdapterError, AppliedAllocation, Capability, EarningsData, EarningsKind, HealthStatus, Knob,
    Money, NodeId, NodeInfo, ProtocolAdapter, ProtocolId, ResourceKind, ResourceMetrics,
    ResourceVector, RestartCost,
};

/// The endpoint a down node names in its errors: port 1, where nothing listens.
const DOWN_ENDPOINT: &str = "http://127.0.0.1:1";

/// A node whose answers the test scripts; it answers instantly and never touches the network.
///
/// Defaults: connects (no version), reports no earnings (`Unsupported`), empty usage, healthy,
/// no knobs. Configure it with the consuming methods before adding it to a [`crate::TestApp`],
/// change it through the `set_*` methods while the test runs.
pub struct FakeNode {
    id: NodeId,
    version: Option<String>,
    /// `None`: the node has no earnings figure (`Unsupported`, which is not a poll failure).
    earnings: Mutex<Option<(EarningsKind, Money)>>,
    /// `None`: the node reports no usage (`Unsupported`).
    usage: Mutex<Option<ResourceMetrics>>,
    /// Each usage reading's CPU is `polls × 100` millicores, so every sample is recognisable.
    counting_usage: bool,
    usage_reads: AtomicU64,
    health: Mutex<HealthStatus>,
    unreachable: Mutex<bool>,
    capabilities: Vec<Capability>,
    knobs: Mutex<BTreeMap<ResourceKind, u64>>,
    writes: Mutex<Vec<ResourceVector>>,
    /// Writing `value` to `resource` fails with the error, after the write is recorded.
    apply_failures: Vec<(ResourceKind, u64, AdapterError)>,
}

impl FakeNode {
    /// A healthy node with the given id (`protocol:name`).
    pub fn new(id: &str) -> FakeNode {
        FakeNode {
            id: id
                .parse()
                .unwrap_or_else(|e| panic!("{id:?} is not a node id: {e}")),
            version: None,
            earnings: Mutex::new(None),
            usage: Mutex::new(Some(ResourceMetrics::default())),
            counting_usage: false,
            usage_reads: AtomicU64::new(0),
            health: Mutex::new(HealthStatus::Healthy),
            unreachable: Mutex::new(false),
            capabilities: Vec::new(),
            knobs: Mutex::new(BTreeMap::new()),
            writes: Mutex::new(Vec::new()),
            apply_failures: Vec::new(),
        }
    }

    /// The version `connect` reports.
    pub fn version(mut self, version: &str) -> FakeNode {
        self.version = Some(version.to_owned());
        self
    }

    /// Reports this earnings figure on every poll.
    pub fn earnings(self, kind: EarningsKind, amount: Money) -> FakeNode {
        self.set_earnings(kind, amount);
        self
    }

    /// Reports this usage on every poll.
    pub fn usage(self, usage: ResourceMetrics) -> FakeNode {
        *lock(&self.usage) = Some(usage);
        self
    }

    /// Reports no usage at all (`Unsupported`).
    pub fn no_usage(self) -> FakeNode {
        *lock(&self.usage) = None;
        self
    }

    /// Every usage reading has a new CPU value (`polls × 100` millicores).
    pub fn counting_usage(mut self) -> FakeNode {
        self.counting_usage = true;
        self
    }

    /// What `health_check` answers while the node is reachable.
    pub fn health(self, health: HealthStatus) -> FakeNode {
        self.set_health(health);
        self
    }

    /// Starts unreachable: see [`FakeNode::set_unreachable`].
    pub fn unreachable(self) -> FakeNode {
        self.set_unreachable(true);
        self
    }

    /// A CPU knob (Golem's `cpu_threads` profile setting, 100..=8000 millicores in steps of
    /// 100) currently at `millicores`.
    pub fn cpu_knob(mut self, millicores: u64) -> FakeNode {
        self.capabilities.push(Capability {
            resource: ResourceKind::Cpu,
            knob: Knob::ProtocolSetting("ya-provider profile cpu_threads".into()),
            min: 100,
            max: 8000,
            step: 100,
            restart_required: false,
            restart_cost: RestartCost::default(),
            preconditions: vec![],
        });
        lock(&self.knobs).insert(ResourceKind::Cpu, millicores);
        self
    }

    /// Writing `value` to `resource` is recorded, then fails with `error` and changes nothing.
    pub fn fail_apply_at(
        mut self,
        resource: ResourceKind,
        value: u64,
        error: AdapterError,
    ) -> FakeNode {
        self.apply_failures.push((resource, value, error));
        self
    }

    /// The node's id.
    pub fn id(&self) -> &NodeId {
        &self.id
    }

    /// Replaces the earnings figure.
    pub fn set_earnings(&self, kind: EarningsKind, amount: Money) {
        *lock(&self.earnings) = Some((kind, amount));
    }

    /// Adds `base_units` to the earnings figure (a lifetime total grows like this).
    pub fn add_earnings(&self, base_units: i128) {
        let mut earnings = lock(&self.earnings);
        let (_, amount) = earnings
            .as_mut()
            .expect("add_earnings needs an earnings figure to add to");
        amount.amount += base_units;
    }

    /// Changes the usage the next polls report.
    pub fn update_usage(&self, change: impl FnOnce(&mut ResourceMetrics)) {
        change(
            lock(&self.usage)
                .as_mut()
                .expect("update_usage on a node that reports no usage"),
        );
    }

    pub fn set_health(&self, health: HealthStatus) {
        *lock(&self.health) = health;
    }

    /// While unreachable every call fails as a refused connection does and `health_check`
    /// answers `Unreachable("refused")`.
    pub fn set_unreachable(&self, unreachable: bool) {
        *lock(&self.unreachable) = unreachable;
    }

    /// How many times the usage was read (once per poll).
    pub fn usage_reads(&self) -> u64 {
        self.usage_reads.load(Ordering::SeqCst)
    }

    /// The current value of a knob.
    pub fn knob(&self, resource: ResourceKind) -> Option<u64> {
        lock(&self.knobs).get(&resource).copied()
    }

    /// Every value written to `resource`, oldest first, failed writes included.
    pub fn writes(&self, resource: ResourceKind) -> Vec<u64> {
        lock(&self.writes).iter().map(|w| w.get(resource)).collect()
    }

    fn refused(&self) -> Result<(), AdapterError> {
        if *lock(&self.unreachable) {
            return Err(AdapterError::Unreachable {
                endpoint: DOWN_ENDPOINT.into(),
                reason: "connection refused".into(),
            });
        }
        Ok(())
    }

    fn unsupported(&self, what: &str) -> AdapterError {
        AdapterError::Unsupported {
            what: format!("{}: the fake node has no {what}", self.id),
        }
    }
}

/// A poisoned lock only means another assertion already failed; the data is still readable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[async_trait]
impl ProtocolAdapter for FakeNode {
    fn protocol_name(&self) -> ProtocolId {
        self.id.protocol()
    }

    fn node_id(&self) -> &NodeId {
        &self.id
    }

    async fn connect(&self) -> Result<NodeInfo, AdapterError> {
        self.refused()?;
        Ok(NodeInfo {
            version: self.version.clone(),
            remote_id: None,
        })
    }

    async fn disconnect(&self) -> Result<(), AdapterError> {
        Ok(())
    }

    async fn get_current_earnings(&self) -> Result<EarningsData, AdapterError> {
        self.refused()?;
        let (kind, amount) = (*lock(&self.earnings)).ok_or_else(|| self.unsupported("earnings"))?;
        Ok(EarningsData {
            observed_at: chrono::Utc::now(),
            figures: vec![(kind, amount)],
        })
    }

    async fn get_resource_usage(&self) -> Result<ResourceMetrics, AdapterError> {
        self.refused()?;
        let reads = self.usage_reads.fetch_add(1, Ordering::SeqCst) + 1;
        let mut usage = lock(&self.usage)
            .clone()
            .ok_or_else(|| self.unsupported("usage"))?;
        if self.counting_usage {
            usage.cpu_millicores = Some(reads as f64 * 100.0);
        }
        Ok(usage)
    }

    async fn apply_allocation(
        &self,
        allocation: &ResourceVector,
    ) -> Result<AppliedAllocation, AdapterError> {
        self.refused()?;
        if self.capabilities.is_empty() {
            return Err(self.unsupported("knobs"));
        }
        lock(&self.writes).push(*allocation);
        for (resource, value, error) in &self.apply_failures {
            if allocation.get(*resource) == *value {
                return Err(error.clone());
            }
        }
        let mut knobs = lock(&self.knobs);
        let mut read_back = BTreeMap::new();
        for c in &self.capabilities {
            let want = allocation.get(c.resource);
            knobs.insert(c.resource, want);
            read_back.insert(c.resource, want);
        }
        Ok(AppliedAllocation {
            node: self.id.clone(),
            read_back,
            restarted: false,
        })
    }

    async fn health_check(&self) -> HealthStatus {
        if *lock(&self.unreachable) {
            return HealthStatus::Unreachable("refused".into());
        }
        lock(&self.health).clone()
    }

    fn capabilities(&self) -> Vec<Capability> {
        self.capabilities.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_write_is_recorded_but_changes_nothing() {
        let refused = AdapterError::Unsupported {
            what: "busy".into(),
        };
        let node = FakeNode::new("golem:a").cpu_knob(2000).fail_apply_at(
            ResourceKind::Cpu,
            5000,
            refused.clone(),
        );
        let cpu = |millicores| ResourceVector {
            cpu_millicores: millicores,
            ..Default::default()
        };
        let done = node.apply_allocation(&cpu(3000)).await.unwrap();
        assert_eq!(done.read_back[&ResourceKind::Cpu], 3000);
        assert_eq!(node.apply_allocation(&cpu(5000)).await, Err(refused));
        assert_eq!(node.writes(ResourceKind::Cpu), [3000, 5000]);
        assert_eq!(node.knob(ResourceKind::Cpu), Some(3000));
    }

    #[tokio::test]
    async fn reads_follow_the_script() {
        let node = FakeNode::new("storj:a")
            .earnings(
                EarningsKind::Lifetime,
                Money::new(orcha_core::Token::Usd, 5, 2),
            )
            .counting_usage();
        node.add_earnings(7);
        let e = node.get_current_earnings().await.unwrap();
        assert_eq!(e.figures[0].1.amount, 12);
        node.get_resource_usage().await.unwrap();
        let second = node.get_resource_usage().await.unwrap();
        assert_eq!(second.cpu_millicores, Some(200.0));
        node.set_unreachable(true);
        assert_eq!(node.connect().await.unwrap_err().kind(), "unreachable");
        assert!(node.get_resource_usage().await.is_err());
        assert_eq!(
            node.health_check().await,
            HealthStatus::Unreachable("refused".into())
        );
        node.set_unreachable(false);
        assert_eq!(node.health_check().await, HealthStatus::Healthy);
        assert_eq!(node.usage_reads(), 2, "a refused read is not counted");
    }
}
