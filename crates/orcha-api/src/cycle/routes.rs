//! Which enforcement backend carries which of a node's resources, and the rules of each knob.
//!
//! Optimize needs the knobs to build the problem and apply needs the backends to enforce it;
//! both read them here, so the two steps do not import each other.

use std::collections::BTreeMap;
use std::sync::Arc;

use orcha_core::config::RunsAs;
use orcha_core::Knob;
use orcha_core::{ProtocolId, ResourceKind};
use orcha_enforce::cgroup::{CgroupBackend, CgroupVersion};
use orcha_enforce::docker::DockerBackend;
use orcha_enforce::knob::KnobBackend;
use orcha_enforce::simulated::{SimulatedBackend, SimulatedNode};
use orcha_enforce::tc::TrafficBackend;
use orcha_enforce::EnforcementBackend;

use crate::policy::KnobRule;
use crate::state::{AppState, NodeRuntime};

/// Which backend enforces which of a node's resources, and the rules of each knob.
pub struct Routes {
    pub backends: Vec<(Box<dyn EnforcementBackend>, Vec<ResourceKind>)>,
    pub knobs: BTreeMap<ResourceKind, KnobRule>,
    /// The backend that restarts the node (systemd unit or container), when there is one.
    pub restarter: Option<Box<dyn EnforcementBackend>>,
}

/// Routes every resource of a node to exactly one backend: the protocol's own knob when it has
/// one (it changes what the node offers), else the runtime's (cgroup, Docker), and `tc` for
/// egress when the node has its own device.
pub fn routes(state: &AppState, node: &NodeRuntime) -> Routes {
    let id = node.config.id.to_string();
    let how = state
        .config
        .allocation
        .nodes
        .get(&id)
        .cloned()
        .unwrap_or_default();
    let mut knobs = BTreeMap::new();
    let mut backends: Vec<(Box<dyn EnforcementBackend>, Vec<ResourceKind>)> = Vec::new();
    let all_caps = node.adapter.capabilities();
    // A resource the protocol declares without a knob (Streamr's CPU, Grass's bandwidth) is
    // the runtime's to limit, unless the adapter refuses any limit on it (Streamr's bandwidth:
    // shaping a staked node fails inspections); such a resource is left alone entirely.
    let refused: Vec<ResourceKind> = all_caps
        .iter()
        .filter(|c| {
            c.knob == Knob::None && c.preconditions.iter().any(|p| p.starts_with("refused"))
        })
        .map(|c| c.resource)
        .collect();
    let caps: Vec<_> = all_caps
        .into_iter()
        .filter(|c| c.knob != Knob::None)
        .collect();
    let protocol: Vec<ResourceKind> = caps.iter().map(|c| c.resource).collect();
    for c in &caps {
        knobs.insert(
            c.resource,
            KnobRule {
                min: c.min,
                max: c.max,
                step: c.step.max(1),
                restart_required: c.restart_required,
                restart_downtime_secs: c.restart_cost.downtime.as_secs(),
                loses_jobs: c.restart_cost.loses_jobs,
            },
        );
    }
    if !protocol.is_empty() {
        backends.push((
            Box::new(KnobBackend::new(Arc::clone(&node.adapter))),
            protocol.clone(),
        ));
    }
    let runtime: Option<Box<dyn EnforcementBackend>> = match how.runs_as {
        RunsAs::KnobOnly => None,
        RunsAs::Native => CgroupVersion::detect()
            .ok()
            .map(|v| Box::new(CgroupBackend::new(v, &how.cgroup)) as Box<dyn EnforcementBackend>),
        RunsAs::Systemd => CgroupVersion::detect().ok().map(|v| {
            let path = (!how.cgroup.is_empty()).then_some(how.cgroup.as_str());
            Box::new(CgroupBackend::for_unit(v, &how.unit, path)) as Box<dyn EnforcementBackend>
        }),
        RunsAs::Docker => Some(Box::new(DockerBackend::new(
            &how.docker_socket,
            &how.container,
        ))),
        RunsAs::Simulated => simulated(&how.simulator, node.config.id.protocol()),
    };
    let restarter: Option<Box<dyn EnforcementBackend>> = match how.runs_as {
        RunsAs::Systemd => CgroupVersion::detect().ok().map(|v| {
            let path = (!how.cgroup.is_empty()).then_some(how.cgroup.as_str());
            Box::new(CgroupBackend::for_unit(v, &how.unit, path)) as Box<dyn EnforcementBackend>
        }),
        RunsAs::Docker => Some(Box::new(DockerBackend::new(
            &how.docker_socket,
            &how.container,
        ))),
        _ => None,
    };
    if let Some(rt) = runtime {
        let mine: Vec<ResourceKind> = rt
            .resources()
            .into_iter()
            .filter(|k| !protocol.contains(k))
            .collect();
        // A refused resource is still read, so what the node holds counts against the budget,
        // but it is no knob: no plan moves it and apply never writes it.
        for k in mine.iter().filter(|k| !refused.contains(k)) {
            knobs.insert(*k, backend_rule(*k));
        }
        if !mine.is_empty() {
            backends.push((rt, mine));
        }
    }
    if !how.egress_device.is_empty()
        && !protocol.contains(&ResourceKind::Bandwidth)
        && !refused.contains(&ResourceKind::Bandwidth)
    {
        knobs.insert(
            ResourceKind::Bandwidth,
            backend_rule(ResourceKind::Bandwidth),
        );
        backends.push((
            Box::new(TrafficBackend::on_shared_device(
                &how.egress_device,
                None,
                &how.egress_ports,
            )),
            vec![ResourceKind::Bandwidth],
        ));
    }
    Routes {
        backends,
        knobs,
        restarter,
    }
}

/// The simulator's emulated cgroup/`tc` for a simulated node without knobs of its own; an
/// unusable control address is logged and the node keeps only its protocol's knobs.
fn simulated(control: &str, p: ProtocolId) -> Option<Box<dyn EnforcementBackend>> {
    let node = match p {
        ProtocolId::Streamr => SimulatedNode::Streamr,
        ProtocolId::Grass => SimulatedNode::Grass,
        ProtocolId::Storj | ProtocolId::Golem => return None,
    };
    match SimulatedBackend::new(control, node) {
        Ok(b) => Some(Box::new(b)),
        Err(e) => {
            tracing::warn!(error = %e, "The simulated node's limits cannot be set.");
            None
        }
    }
}

/// Knob rules for resources an enforcement backend (not the protocol) controls.
pub fn backend_rule(kind: ResourceKind) -> KnobRule {
    let (min, step) = match kind {
        ResourceKind::Cpu => (100, 100),
        ResourceKind::Memory => (256 << 20, 64 << 20),
        ResourceKind::Disk => (1 << 30, 1 << 30),
        ResourceKind::Bandwidth => (1_000_000, 1_000_000),
    };
    KnobRule {
        min,
        max: u64::MAX,
        step,
        restart_required: false,
        restart_downtime_secs: 0,
        loses_jobs: false,
    }
}
