//! Measured use read back from the real store for the optimizer: the day's p90 of per-minute
//! peaks per resource, only for resources measured for at least an hour.

use orcha_api::cycle::demand;
use orcha_core::{Clock, NodeId, ResourceKind};
use orcha_store::{Retention, Sample};
use orcha_testkit::{FakeNode, TestApp};

#[tokio::test]
async fn the_days_p90_of_measured_use_per_resource() {
    let w = TestApp::builder()
        .clock_at("2026-06-01T12:00:00Z")
        .node(FakeNode::new("golem:a"))
        .build();
    let id: NodeId = "golem:a".parse().unwrap();
    let now = w.clock().now();
    let mut samples = Vec::new();
    // Two hours of CPU readings, one a minute: 1 core, with 12 minutes at 3 cores (10 %): the
    // 108th of 120 sorted peaks is still 1000 millicores.
    for m in 0..120i64 {
        let ts = now - chrono::Duration::minutes(120 - m);
        let cpu = if m % 10 == 0 { 3000.0 } else { 1000.0 };
        samples.push(Sample {
            node: id.clone(),
            metric: "measured.cpu_millicores".into(),
            ts,
            value: cpu,
        });
        // Memory measured for the last half hour only: too short to say anything.
        if m >= 90 {
            samples.push(Sample {
                node: id.clone(),
                metric: "measured.mem_bytes".into(),
                ts,
                value: 2e9,
            });
        }
        // The protocol's own CPU figure is not measured use and is not read.
        samples.push(Sample {
            node: id.clone(),
            metric: "cpu_millicores".into(),
            ts,
            value: 7000.0,
        });
    }
    w.state
        .db(move |s| {
            s.insert_samples(&samples)?;
            s.rollup_and_retain(
                now,
                Retention {
                    raw_days: 7,
                    minute_days: 90,
                    hour_days: 1825,
                },
            )
        })
        .await
        .unwrap();
    let used = demand::measured_use(&w.state, &id, now).await;
    assert_eq!(used.get(&ResourceKind::Cpu), Some(&1000));
    assert_eq!(used.get(&ResourceKind::Memory), None, "{used:?}");
    assert_eq!(used.len(), 1, "{used:?}");
    // A node with no measurement at all has no use to bound the plan with.
    let other: NodeId = "storj:b".parse().unwrap();
    assert!(demand::measured_use(&w.state, &other, now).await.is_empty());
}

/// The optimization problem takes measured use into account: a slack CPU is not offered more, a
/// node's memory in use is a floor; a node without measurement keeps its knob's whole range.
#[test]
fn the_problem_bounds_slack_and_memory_in_use() {
    use orcha_api::cycle::optimize::problem;
    use orcha_api::fallback::Curve;
    use orcha_api::policy::{Amounts, KnobRule, NodeFacts, PolicySettings};
    use std::collections::BTreeMap;
    let gib = 1u64 << 30;
    let knob = |min, max, step| KnobRule {
        min,
        max,
        step,
        restart_required: false,
        restart_downtime_secs: 0,
        loses_jobs: false,
    };
    let node = |id: &str, used: Amounts| NodeFacts {
        id: id.parse().unwrap(),
        current: Amounts::from([(ResourceKind::Cpu, 4000), (ResourceKind::Memory, 8 * gib)]),
        proposed: Amounts::new(),
        knobs: BTreeMap::from([
            (ResourceKind::Cpu, knob(1000, 8000, 1000)),
            (ResourceKind::Memory, knob(gib, 16 * gib, gib)),
        ]),
        curves: Some(BTreeMap::from([
            (ResourceKind::Cpu, Curve { a: 0.1, b: 0.001 }),
            (ResourceKind::Memory, Curve { a: 0.1, b: 1e-9 }),
        ])),
        held_because: None,
        auto_apply: true,
        last_restart: None,
        running_activities: Some(0),
        allow_interrupt: false,
        disk_used: None,
        used,
        reachable: true,
    };
    let budget = Amounts::from([(ResourceKind::Cpu, 16000), (ResourceKind::Memory, 32 * gib)]);
    let settings = PolicySettings {
        horizon_hours: 24.0,
        margin: 0.0,
        change_cost: 0.0,
        min_dwell: chrono::Duration::zero(),
        fallback_auto_apply: true,
    };
    let facts = [
        // 1.2 of 4 cores used (30 %): slack; 6 GiB of 8 held: floor 7.5 → 8 GiB on a 1 GiB grid.
        node(
            "golem:slack",
            Amounts::from([(ResourceKind::Cpu, 1200), (ResourceKind::Memory, 6 * gib)]),
        ),
        node("golem:unmeasured", Amounts::new()),
    ];
    let p = problem(&budget, &facts, &Default::default(), &settings);
    let terms = |i: usize, k: ResourceKind| p.nodes[i].terms[&k].clone();
    assert_eq!(
        terms(0, ResourceKind::Cpu).max,
        4000,
        "slack CPU is not raised"
    );
    assert_eq!(
        terms(0, ResourceKind::Cpu).min,
        1000,
        "but it may be lowered"
    );
    assert_eq!(
        terms(0, ResourceKind::Memory).min,
        8 * gib,
        "memory in use is a floor"
    );
    assert_eq!(terms(0, ResourceKind::Memory).max, 16 * gib);
    assert_eq!(terms(1, ResourceKind::Cpu).max, 8000);
    assert_eq!(terms(1, ResourceKind::Memory).min, gib);
}
