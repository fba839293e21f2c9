//! The fitted belief against the simulator's truth: seven simulated days of a node's hours, the
//! allocation moved in 6-hour blocks (each resource on its own period, so their effects can be
//! told apart), fitted with the same code the cycle uses (`belief::observations` →
//! `response::fit`), and each marginal value at the final operating point compared with the one
//! `GET /control/curves` reports or implies: within 15 %, or within 0.1 US cent per hour where it
//! is small. The allocation moves through the simulator's real knobs, as Orcha's would. The
//! usage rules of resources paid per unit used (`response::paid_per_use`) apply as in the cycle,
//! with the use an OS meter would read (`GET /control/usage`).

// Test set-up failures are broken tests, not cases to handle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::Duration;
use orcha_api::cycle::belief::{self, Changes};
use orcha_api::cycle::response::{self, Status};
use orcha_api::policy::Amounts;
use orcha_core::{NodeId, ProtocolId, ResourceKind};
use orcha_sim::{knobs, ExternalAllocation, Scenario, SimConfig, SimHandle, Simulator};

const HOURS: usize = 7 * 24;
const BLOCK_HOURS: usize = 6;
const LEVELS: [f64; 5] = [0.6, 1.0, 1.4, 0.8, 1.2];

/// The resources of each node, in the order that sets each one's period.
fn resources(p: ProtocolId) -> &'static [ResourceKind] {
    match p {
        ProtocolId::Storj => &[ResourceKind::Disk],
        ProtocolId::Golem => &[ResourceKind::Cpu, ResourceKind::Memory, ResourceKind::Disk],
        ProtocolId::Streamr => &[ResourceKind::Cpu, ResourceKind::Bandwidth],
        ProtocolId::Grass => &[ResourceKind::Bandwidth],
    }
}

/// The multiplier of the `j`-th resource in block `block`: resource `j` changes every `j + 1`
/// blocks, so no two resources move in lockstep.
fn level(block: usize, j: usize) -> f64 {
    LEVELS[(block / (j + 1) + 2 * j) % LEVELS.len()]
}

fn node(p: ProtocolId) -> NodeId {
    format!("{}:sim", p.as_str()).parse().unwrap()
}

/// The node's amounts in Orcha's base units, from the simulator's model units.
fn amounts(a: &orcha_sim::Allocation, p: ProtocolId) -> Amounts {
    resources(p)
        .iter()
        .map(|k| (*k, (a.get(p, *k) * response::unit(*k).0).round() as u64))
        .collect()
}

/// Moves every node to block `block`'s amounts through the simulator's real knobs (config.yaml,
/// hardware.json) and its cgroup/tc stand-in; the simulator reads them on its next request.
fn set_block(sim: &SimHandle, initial: &orcha_sim::Allocation, block: usize) {
    let m = |p: ProtocolId, j: usize| level(block, j) * initial.get(p, resources(p)[j]);
    std::fs::write(
        sim.storj_config_path(),
        knobs::storj_config_text(m(ProtocolId::Storj, 0).round()),
    )
    .unwrap();
    let hardware = knobs::HardwareFile::single(knobs::HardwareProfile {
        cpu_threads: m(ProtocolId::Golem, 0).round().max(1.0) as u32,
        mem_gib: m(ProtocolId::Golem, 1).round(),
        storage_gib: (m(ProtocolId::Golem, 2) / orcha_sim::model::GB_PER_GIB).round(),
    });
    std::fs::write(
        sim.hardware_json_path(),
        serde_json::to_string_pretty(&hardware).unwrap(),
    )
    .unwrap();
    sim.set_external_allocation(ExternalAllocation {
        streamr_cpu_threads: Some(m(ProtocolId::Streamr, 0)),
        streamr_bandwidth_mbps: Some(m(ProtocolId::Streamr, 1)),
        grass_bandwidth_mbps: Some(m(ProtocolId::Grass, 0)),
    })
    .unwrap();
}

/// The true marginal value of one entry of `GET /control/curves` at `x`: the simulator's own
/// figure at its operating point when it serves one (`usd_per_hour_per_unit`), else the
/// derivative of its `a·ln(1 + b·x)` curve.
fn true_marginal(c: &serde_json::Value, x: f64) -> f64 {
    if let Some(v) = c.get("usd_per_hour_per_unit").and_then(|v| v.as_f64()) {
        return v;
    }
    let (a, b) = (
        c["a_usd_per_hour"].as_f64().unwrap(),
        c["b"].as_f64().unwrap(),
    );
    a * b / (1.0 + b * x)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fitted_marginal_values_match_the_simulators_truth_after_seven_days() {
    let mut scenario = Scenario::demo();
    // The truth is compared at the market's mean demand: the scripted surges and faults of the
    // demo are events, not the response being measured.
    scenario.faults.clear();
    scenario.market.regimes.clear();
    scenario.market.golem_job_threshold = 0.0;
    let initial = scenario.initial;

    let dir = tempfile::tempdir().unwrap();
    // Seven days from 15:00, so the last hour is a busy afternoon where Golem's CPU binds and
    // its true marginal value is not zero (at night every truth here is zero, a weak check).
    let mut config = SimConfig::stepped(scenario.clone(), dir.path());
    config.start = Some(scenario.start + Duration::hours(15));
    let sim = Simulator::start(config).await.unwrap();
    let mut changes: BTreeMap<ProtocolId, Changes> = BTreeMap::new();
    let mut hourly: BTreeMap<ProtocolId, Vec<(chrono::DateTime<chrono::Utc>, f64)>> =
        BTreeMap::new();
    let clock = sim.core_clock();
    for h in 0..HOURS {
        let t = clock.now();
        if h % BLOCK_HOURS == 0 {
            let before = sim.allocation();
            set_block(&sim, &initial, h / BLOCK_HOURS);
            let after = sim.allocation();
            for p in ProtocolId::ALL {
                let (b, a) = (amounts(&before, p), amounts(&after, p));
                if a != b {
                    changes.entry(p).or_default().push((t, b, a));
                }
            }
        }
        let earned_before = sim.ledger().usd_by_node;
        sim.step(Duration::hours(1)).await.unwrap();
        let earned_after = sim.ledger().usd_by_node;
        for p in ProtocolId::ALL {
            let v = earned_after[p.as_str()] - earned_before[p.as_str()];
            hourly.entry(p).or_default().push((t, v));
        }
    }
    let truth: Vec<serde_json::Value> =
        reqwest::get(format!("{}/control/curves", sim.control_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    // What an OS meter reads of each node now (Golem: its rented threads' CPU), for the same
    // "is this resource what limits the pay" rule the cycle applies.
    let usage: serde_json::Value = reqwest::get(format!("{}/control/usage", sim.control_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let end = sim.allocation();
    sim.shutdown().await;

    let mut failures = Vec::new();
    for p in ProtocolId::ALL {
        let current = amounts(&end, p);
        let log = changes.remove(&p).unwrap_or_default();
        let obs = belief::observations(&hourly[&p], 1.0, &log, &current);
        let at: BTreeMap<ResourceKind, f64> = current
            .iter()
            .map(|(k, v)| (*k, *v as f64 / response::unit(*k).0))
            .collect();
        let mut fitted = response::fit(&obs, &at);
        for (k, b) in fitted.iter_mut() {
            let metric = match k {
                ResourceKind::Cpu => "cpu_millicores",
                ResourceKind::Memory => "mem_bytes",
                _ => "bandwidth_up_bps",
            };
            let used = usage[format!("{}:main", p.as_str())][metric].as_f64();
            // What the node earned over its last three hours, as the cycle reads it.
            let recent = hourly[&p].iter().rev().take(3).map(|(_, v)| v).sum::<f64>() / 3.0;
            if let (true, Some(used)) = (belief::paid_per_unit_used(p, *k), used) {
                response::paid_per_use(b, used / response::unit(*k).0, Some(recent));
            }
        }
        for (k, b) in &fitted {
            let Some(c) = truth
                .iter()
                .find(|c| c["protocol"] == p.as_str() && c["resource"] == k.as_str())
            else {
                continue;
            };
            let truth = true_marginal(c, at[k]);
            let err = (b.marginal[1] - truth).abs();
            let ok = err <= 0.15 * truth.abs() || err <= 0.001;
            eprintln!(
                "{:<8} {:<9} x={:>8.1} true {:.6} fitted {:.6} [{:.6}, {:.6}] ({:+.1} %) {:?} {}",
                p.as_str(),
                k.as_str(),
                at[k],
                truth,
                b.marginal[1],
                b.marginal[0],
                b.marginal[2],
                100.0 * (b.marginal[1] - truth) / truth,
                b.status,
                if ok { "ok" } else { "FAIL" }
            );
            assert!(
                matches!(b.status, Status::Fitted | Status::AtCap),
                "{} {}: {b:?}",
                node(p),
                k.as_str()
            );
            if !ok {
                failures.push(format!("{} {}", node(p), k.as_str()));
            }
        }
    }
    assert!(failures.is_empty(), "outside 15 % / 0.1 ¢/h: {failures:?}");
}
