//! The rules on what the operating system measured for a node: memory high, CPU saturated and
//! bandwidth at its cap, each against the node's allocation, else what the machine has.

use orcha_core::config::Config;
use orcha_core::{ResourceKind, ResourceMetrics};

use super::rules::{self, Cap, RuleId, Verdict};
use crate::state::NodeLive;

/// The node's cap for `kind`: its allocation, else the machine's amount when `machine` names it.
fn cap(live: &NodeLive, kind: ResourceKind, machine: Option<&'static str>) -> Option<Cap> {
    if let Some(v) = live.allocated.get(&kind) {
        return Some(Cap {
            value: *v as f64,
            of: "the allocation",
        });
    }
    let of = machine?;
    let m = live.measured.as_ref()?;
    m.machine_max
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, v)| Cap {
            value: *v as f64,
            of,
        })
}

/// The verdicts of the measured-usage rules after a poll; `api_ok` says whether the node's own
/// usage reading (for the `alerts.memory_limit_mib` part) is current.
pub(super) fn usage_verdicts(
    config: &Config,
    live: &NodeLive,
    api_ok: bool,
) -> Vec<(RuleId, Verdict)> {
    let u = &config.usage;
    let measured = live.measured.as_ref();
    let running = measured.map(|m| m.running);
    let value = |f: fn(&orcha_usage::UsageReading) -> Option<orcha_usage::Measured>| {
        measured
            .filter(|m| m.running)
            .and_then(|m| f(&m.reading))
            .map(|v| v.value as f64)
    };
    let mem = value(|r| r.mem_bytes);
    let cpu = value(|r| r.cpu_millicores);
    let up = value(|r| r.net_up_bps);
    // A stopped process uses nothing: whatever it was at is over.
    let stopped = running == Some(false);
    let or_clear = |v: Verdict| if stopped { Verdict::Clear } else { v };

    let measured_mem = or_clear(rules::usage_at_cap(
        "measured memory use",
        mem,
        cap(live, ResourceKind::Memory, Some("the machine's RAM")),
        u.memory_high_percent,
        rules::show_mib,
    ));
    // The operator's fixed limit reads the measured memory first, the node's own figure else.
    let limit = if api_ok || mem.is_some() {
        let m = ResourceMetrics {
            mem_bytes: mem.or(live.metrics.mem_bytes),
            ..Default::default()
        };
        rules::memory_high(&m, config.alerts.memory_limit_mib)
    } else {
        Verdict::Unknown
    };
    vec![
        (RuleId::MemoryHigh, rules::either(measured_mem, limit)),
        (
            RuleId::CpuSaturated,
            or_clear(rules::usage_at_cap(
                "CPU use",
                cpu,
                cap(live, ResourceKind::Cpu, Some("every logical CPU")),
                u.cpu_saturated_percent,
                rules::show_cores,
            )),
        ),
        (
            RuleId::BandwidthAtCap,
            or_clear(rules::usage_at_cap(
                "upload",
                up,
                cap(live, ResourceKind::Bandwidth, None),
                u.bandwidth_cap_percent,
                rules::show_mbps,
            )),
        ),
    ]
}
