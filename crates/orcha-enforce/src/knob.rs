//! The protocol's own knobs (Golem hardware profile, Storj allocated disk) as an enforcement
//! backend: a thin wrapper over the adapter's `apply_allocation`, which writes and reads back.

use std::sync::Arc;

use async_trait::async_trait;
use orcha_core::{ProtocolAdapter, ResourceKind, ResourceVector};

use crate::{check_read_back, EnforceError, EnforcementBackend, Limits, UNLIMITED};

pub struct KnobBackend {
    adapter: Arc<dyn ProtocolAdapter>,
}

impl KnobBackend {
    pub fn new(adapter: Arc<dyn ProtocolAdapter>) -> Self {
        KnobBackend { adapter }
    }
}

#[async_trait]
impl EnforcementBackend for KnobBackend {
    fn name(&self) -> &'static str {
        "protocol"
    }

    fn resources(&self) -> Vec<ResourceKind> {
        self.adapter
            .capabilities()
            .iter()
            .map(|c| c.resource)
            .collect()
    }

    /// The node's own report of its knobs when it has one (Golem's active profile); otherwise the
    /// allocated disk it reports as usage. Anything else is known only from what Orcha applied.
    async fn read(&self) -> Result<Limits, EnforceError> {
        let knobs = self.resources();
        match self.adapter.current_allocation().await {
            Ok(values) => {
                return Ok(values
                    .into_iter()
                    .filter(|(k, _)| knobs.contains(k))
                    .collect())
            }
            Err(orcha_core::AdapterError::Unsupported { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let usage = self.adapter.get_resource_usage().await?;
        let mut out = Limits::new();
        if self.resources().contains(&ResourceKind::Disk) {
            if let Some(d) = usage.disk_allocated_bytes.filter(|d| *d >= 0.0) {
                out.insert(ResourceKind::Disk, d as u64);
            }
        }
        Ok(out)
    }

    async fn apply(&self, limits: &Limits) -> Result<Limits, EnforceError> {
        let knobs = self.resources();
        let mut vector = ResourceVector::default();
        let mut wanted = Limits::new();
        for (kind, &v) in limits {
            if !knobs.contains(kind) {
                continue;
            }
            if v == UNLIMITED || v == 0 {
                return Err(EnforceError::Unsupported {
                    what: format!(
                        "{}: the protocol's {kind} knob needs an amount, not {}",
                        self.adapter.node_id(),
                        if v == 0 { "zero" } else { "no limit" }
                    ),
                });
            }
            vector.set(*kind, v);
            wanted.insert(*kind, v);
        }
        if wanted.is_empty() {
            return Ok(Limits::new());
        }
        let applied = self.adapter.apply_allocation(&vector).await?;
        let read: Limits = applied.read_back.into_iter().collect();
        check_read_back(&self.adapter.node_id().to_string(), &wanted, &read)?;
        Ok(read)
    }
}
