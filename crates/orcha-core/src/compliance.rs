//! The shared compliance check every adapter's tests call (see `docs/adapter-contract.md`).
//!
//! It exercises an adapter pointed at a live (simulated or replayed) node and one pointed at an
//! address where nothing listens, and returns every rule that was broken.

use std::collections::HashSet;

use crate::adapter::{AdapterError, ProtocolAdapter};
use crate::domain::{HealthStatus, Knob};

/// Runs the mechanical part of the adapter contract.
///
/// `live` must point at a node that answers; `dead` at the same protocol on a port where nothing
/// listens. `secret`, when given, is a credential the adapters were configured with: it must not
/// appear in any error message or health reason.
pub async fn check_adapter_compliance(
    live: &dyn ProtocolAdapter,
    dead: &dyn ProtocolAdapter,
    secret: Option<&str>,
) -> Result<(), Vec<String>> {
    let mut broken = Vec::new();
    let mut texts: Vec<String> = Vec::new();

    if live.protocol_name() != live.node_id().protocol() {
        broken.push(format!(
            "protocol_name() is {} but the node id is {}",
            live.protocol_name(),
            live.node_id()
        ));
    }

    for cap in live.capabilities() {
        if cap.min > cap.max {
            broken.push(format!(
                "capability {}: min {} > max {}",
                cap.resource, cap.min, cap.max
            ));
        }
        if cap.knob != Knob::None && cap.step == 0 {
            broken.push(format!(
                "capability {}: an enforceable knob needs a step > 0",
                cap.resource
            ));
        }
        if cap.restart_required && cap.restart_cost.downtime.is_zero() {
            broken.push(format!(
                "capability {}: needs a restart but reports no downtime cost",
                cap.resource
            ));
        }
    }

    match live.connect().await {
        Ok(_) => {}
        Err(e) => broken.push(format!("connect() to a live node failed: {e}")),
    }
    match live.get_current_earnings().await {
        Ok(e) => {
            let mut seen = HashSet::new();
            for (kind, money) in &e.figures {
                if !seen.insert(*kind) {
                    broken.push(format!("earnings figure {} reported twice", kind.as_str()));
                }
                if matches!(kind, crate::domain::EarningsKind::Lifetime) && money.amount < 0 {
                    broken.push("lifetime earnings are negative".to_owned());
                }
            }
        }
        Err(e) => broken.push(format!("get_current_earnings() on a live node failed: {e}")),
    }
    match live.get_resource_usage().await {
        Ok(m) => {
            for (name, v) in m.measured() {
                if !v.is_finite() || v < 0.0 {
                    broken.push(format!("resource metric {name} is {v}"));
                }
            }
        }
        Err(AdapterError::Unsupported { .. }) => {}
        Err(e) => broken.push(format!("get_resource_usage() on a live node failed: {e}")),
    }
    if let HealthStatus::Unreachable(r) = live.health_check().await {
        broken.push(format!("health_check() calls a live node unreachable: {r}"));
    }
    for round in 0..2 {
        if let Err(e) = live.disconnect().await {
            broken.push(format!(
                "disconnect() #{round} failed (must be idempotent): {e}"
            ));
        }
    }

    match dead.connect().await {
        Ok(_) => broken.push("connect() to a dead endpoint succeeded".to_owned()),
        Err(e @ (AdapterError::Unreachable { .. } | AdapterError::Timeout { .. })) => {
            texts.push(e.to_string())
        }
        Err(e) => broken.push(format!(
            "connect() to a dead endpoint gave {} not unreachable",
            e.kind()
        )),
    }
    match dead.get_current_earnings().await {
        Ok(_) => broken.push("get_current_earnings() on a dead endpoint returned data".to_owned()),
        Err(e) => texts.push(e.to_string()),
    }
    match dead.health_check().await {
        HealthStatus::Unreachable(r) => texts.push(r),
        other => broken.push(format!(
            "health_check() of a dead endpoint is {}",
            other.state_name()
        )),
    }

    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        for t in &texts {
            if t.contains(secret) {
                broken.push(format!("an error message contains the credential: {t:?}"));
            }
        }
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken)
    }
}
