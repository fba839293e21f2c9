//! `orcha probe … --process NAME | --unit UNIT | --container NAME`: what the operating system
//! measures for the node, added to the protocol's own reading.

use std::time::{Duration, Instant};

use orcha_usage::{Measured, MeterSpec, NameMatch, NodeMeter, ProcessSelector, UsageTarget};
use serde_json::{json, Value};

/// The target the operator named, if any.
pub fn target(
    process: Option<String>,
    unit: Option<String>,
    container: Option<String>,
) -> Option<UsageTarget> {
    if let Some(name) = process {
        return Some(match name.parse::<u32>() {
            Ok(pid) => UsageTarget::Process(ProcessSelector::Pid(pid)),
            Err(_) => UsageTarget::Process(ProcessSelector::Names(vec![NameMatch::exact(&name)])),
        });
    }
    unit.map(UsageTarget::Unit)
        .or_else(|| container.map(UsageTarget::Container))
}

/// Two samples a second apart (rates need a difference), in the domain's units with the
/// source of each value; a target that cannot be read at all is an `error` part.
pub async fn measure(target: UsageTarget) -> Value {
    let mut meter = NodeMeter::new(MeterSpec::new(target));
    if let Err(e) = meter.sample(Instant::now()).await {
        return json!({ "error": { "kind": "unreachable", "message": e.to_string() } });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    match meter.sample(Instant::now()).await {
        Ok(r) => {
            let v = |m: Option<Measured>| {
                m.map_or(
                    Value::Null,
                    |m| json!({ "value": m.value, "source": m.source.as_str() }),
                )
            };
            json!({
                "cpu_millicores": v(r.cpu_millicores),
                "mem_bytes": v(r.mem_bytes),
                "disk_bytes": v(r.disk_bytes),
                "disk_read_bytes_per_s": v(r.disk_read_bytes_per_s),
                "disk_write_bytes_per_s": v(r.disk_write_bytes_per_s),
                "bandwidth_down_bps": v(r.net_down_bps),
                "bandwidth_up_bps": v(r.net_up_bps),
                "pids": r.pids,
                "problems": r.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })
        }
        Err(e) => json!({ "error": { "kind": "unreachable", "message": e.to_string() } }),
    }
}
