//! The decision policy, rule by rule, with an injected clock: every case states its inputs, the
//! verdict and a phrase its reason must contain.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use orcha_api::fallback::Curve;
use orcha_api::policy::{
    amounts_from_json, amounts_json, evaluate, Amounts, KnobRule, NodeFacts, PlanSource,
    PolicyInput, PolicySettings, VerdictKind, STORJ_MIN_DISK_BYTES,
};
use orcha_core::{Clock, ManualClock, ResourceKind};

const GB: u64 = 1_000_000_000;

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
        .unwrap()
        .to_utc()
}

fn settings() -> PolicySettings {
    PolicySettings {
        horizon_hours: 24.0,
        margin: 0.05,
        change_cost: 0.01,
        min_dwell: Duration::hours(6),
        fallback_auto_apply: false,
    }
}

fn knob(min: u64, max: u64, step: u64, restart: bool) -> KnobRule {
    KnobRule {
        min,
        max,
        step,
        restart_required: restart,
        restart_downtime_secs: if restart { 300 } else { 0 },
        loses_jobs: false,
    }
}

/// Golem with a CPU knob: moving from 2 to 6 cores with a steep curve pays well.
fn golem(current: u64, proposed: u64) -> NodeFacts {
    NodeFacts {
        id: "golem:main".parse().unwrap(),
        current: Amounts::from([(ResourceKind::Cpu, current)]),
        proposed: Amounts::from([(ResourceKind::Cpu, proposed)]),
        knobs: BTreeMap::from([(ResourceKind::Cpu, knob(1000, 8000, 1000, false))]),
        curves: Some(BTreeMap::from([(
            ResourceKind::Cpu,
            Curve {
                a: 0.1,
                b: 1.0 / 1000.0,
            },
        )])),
        held_because: None,
        auto_apply: true,
        last_restart: None,
        running_activities: Some(0),
        allow_interrupt: false,
        disk_used: None,
        used: Default::default(),
        reachable: true,
    }
}

fn storj(current: u64, proposed: u64, used: Option<u64>) -> NodeFacts {
    NodeFacts {
        id: "storj:main".parse().unwrap(),
        current: Amounts::from([(ResourceKind::Disk, current)]),
        proposed: Amounts::from([(ResourceKind::Disk, proposed)]),
        knobs: BTreeMap::from([(
            ResourceKind::Disk,
            knob(STORJ_MIN_DISK_BYTES, u64::MAX, GB, true),
        )]),
        curves: Some(BTreeMap::from([(
            ResourceKind::Disk,
            Curve {
                a: 0.5,
                b: 1.0 / (1000.0 * GB as f64),
            },
        )])),
        held_because: None,
        auto_apply: true,
        last_restart: None,
        running_activities: None,
        allow_interrupt: false,
        disk_used: used,
        used: Default::default(),
        reachable: true,
    }
}

fn input(clock: &ManualClock, nodes: Vec<NodeFacts>) -> PolicyInput {
    PolicyInput {
        now: clock.now(),
        settings: settings(),
        source: PlanSource::Engine,
        paused: false,
        budget: Amounts::from([(ResourceKind::Cpu, 8000), (ResourceKind::Disk, 10_000 * GB)]),
        nodes,
    }
}

struct Case {
    name: &'static str,
    edit: fn(&mut PolicyInput, &ManualClock),
    verdict: VerdictKind,
    reason: &'static str,
}

#[test]
fn every_rule() {
    let cases = [
        Case {
            name: "a paying change on an opted-in node is applied",
            edit: |_, _| {},
            verdict: VerdictKind::Apply,
            reason: ">= switching cost",
        },
        Case {
            name: "dry-run is the default: a node not opted in is only recommended",
            edit: |i, _| i.nodes[0].auto_apply = false,
            verdict: VerdictKind::Recommend,
            reason: "dry-run: golem:main not opted into auto-apply",
        },
        Case {
            name: "paused automation recommends only",
            edit: |i, _| i.paused = true,
            verdict: VerdictKind::Recommend,
            reason: "automation is paused",
        },
        Case {
            name: "a fallback plan is recommended unless fallback auto-apply is on",
            edit: |i, _| i.source = PlanSource::Fallback,
            verdict: VerdictKind::Recommend,
            reason: "fallback_auto_apply is off",
        },
        Case {
            name: "fallback auto-apply lets a fallback plan through",
            edit: |i, _| {
                i.source = PlanSource::Fallback;
                i.settings.fallback_auto_apply = true;
            },
            verdict: VerdictKind::Apply,
            reason: ">= switching cost",
        },
        Case {
            name: "the operator's approval applies a dry-run plan",
            edit: |i, _| {
                i.source = PlanSource::Operator;
                i.nodes[0].auto_apply = false;
            },
            verdict: VerdictKind::Apply,
            reason: "approved by the operator",
        },
        Case {
            name: "a gain below switching cost + margin is skipped",
            edit: |i, _| i.settings.margin = 1000.0,
            verdict: VerdictKind::Skip,
            reason: "< switching cost 0.01 USD + margin 1000.00 USD",
        },
        Case {
            name: "a change smaller than the knob's step is no change",
            edit: |i, _| {
                i.nodes[0].proposed.insert(ResourceKind::Cpu, 2500);
            },
            verdict: VerdictKind::Skip,
            reason: "smaller than the knob's step (1.00 cores)",
        },
        Case {
            name: "outside the knob's range",
            edit: |i, _| {
                i.nodes[0].proposed.insert(ResourceKind::Cpu, 9000);
                i.budget.insert(ResourceKind::Cpu, 16000);
            },
            verdict: VerdictKind::Skip,
            reason: "outside the knob's range",
        },
        Case {
            name: "golem with running activities waits",
            edit: |i, _| i.nodes[0].running_activities = Some(2),
            verdict: VerdictKind::Skip,
            reason: "2 Golem activities are running",
        },
        Case {
            name: "golem with running activities goes ahead when interrupting is allowed",
            edit: |i, _| {
                i.nodes[0].running_activities = Some(2);
                i.nodes[0].allow_interrupt = true;
            },
            verdict: VerdictKind::Apply,
            reason: ">= switching cost",
        },
        Case {
            name: "an unpriced node is held",
            edit: |i, _| i.nodes[0].curves = None,
            verdict: VerdictKind::Skip,
            reason: "no fiat price; held at its current allocation",
        },
        Case {
            name: "an unreachable node is held",
            edit: |i, _| i.nodes[0].reachable = false,
            verdict: VerdictKind::Skip,
            reason: "golem:main is unreachable",
        },
        Case {
            name: "an unknown current value is not changed",
            edit: |i, _| i.nodes[0].current.clear(),
            verdict: VerdictKind::Skip,
            reason: "not known (nothing read back yet)",
        },
        Case {
            name: "a resource without a knob is held",
            edit: |i, _| i.nodes[0].knobs.clear(),
            verdict: VerdictKind::Skip,
            reason: "no knob enforces cpu on golem:main",
        },
        Case {
            name: "a node restarted within the dwell time is not changed",
            edit: |i, c| {
                i.nodes[0].last_restart = Some(c.now() - Duration::minutes(90));
            },
            verdict: VerdictKind::Skip,
            reason: "restarted 1 h 30 min ago; minimum dwell time is 6 h 0 min",
        },
        Case {
            name: "after the dwell time it may change again",
            edit: |i, c| {
                i.nodes[0].last_restart = Some(c.now() - Duration::hours(7));
            },
            verdict: VerdictKind::Apply,
            reason: ">= switching cost",
        },
        Case {
            name: "a plan over the budget after holds is skipped",
            edit: |i, _| {
                i.budget.insert(ResourceKind::Cpu, 4000);
            },
            verdict: VerdictKind::Skip,
            reason: "the plan needs 6.00 cores of cpu but the budget is 4.00 cores",
        },
        Case {
            name: "storj below 500 GB is refused",
            edit: |i, _| i.nodes = vec![storj(600 * GB, 400 * GB, Some(100 * GB))],
            verdict: VerdictKind::Skip,
            reason: "below 500 GB",
        },
        Case {
            name: "storj never below what it uses",
            edit: |i, _| i.nodes = vec![storj(2000 * GB, 800 * GB, Some(900 * GB))],
            verdict: VerdictKind::Skip,
            reason: "below the 900.0 GB already used",
        },
        Case {
            name: "storj shrinking with unknown usage is held",
            edit: |i, _| i.nodes = vec![storj(2000 * GB, 1000 * GB, None)],
            verdict: VerdictKind::Skip,
            reason: "space in use is not known",
        },
        Case {
            name: "storj growing pays its restart and is applied",
            edit: |i, _| i.nodes = vec![storj(1000 * GB, 4000 * GB, Some(900 * GB))],
            verdict: VerdictKind::Apply,
            reason: ">= switching cost",
        },
        Case {
            name: "storj restart within dwell waits",
            edit: |i, c| {
                let mut s = storj(1000 * GB, 4000 * GB, Some(900 * GB));
                s.last_restart = Some(c.now() - Duration::minutes(10));
                i.nodes = vec![s];
            },
            verdict: VerdictKind::Skip,
            reason: "storj:main restarted 10 min ago",
        },
        Case {
            name: "only the opted-in node's part is applied when it fits and pays alone",
            edit: |i, _| {
                let mut s = storj(1000 * GB, 4000 * GB, Some(900 * GB));
                s.auto_apply = false;
                i.nodes.push(s);
            },
            verdict: VerdictKind::Apply,
            reason: "applied to golem:main (gain",
        },
        Case {
            name: "the opted-in part alone is recommended when it needs what a manual node holds",
            edit: |i, _| {
                // Golem's 6 cores only fit if the manual node gives 3 of its 5 back.
                let mut other = golem(5000, 2000);
                other.id = "golem:second".parse().unwrap();
                other.auto_apply = false;
                i.nodes.push(other);
            },
            verdict: VerdictKind::Recommend,
            reason: "dry-run: golem:second not opted into auto-apply",
        },
        Case {
            name: "no proposed change at all",
            edit: |i, _| {
                i.nodes[0].proposed = i.nodes[0].current.clone();
            },
            verdict: VerdictKind::Skip,
            reason: "nothing to change",
        },
    ];
    let clock = ManualClock::new(start());
    for c in cases {
        let mut i = input(&clock, vec![golem(2000, 6000)]);
        (c.edit)(&mut i, &clock);
        let v = evaluate(&i);
        assert_eq!(v.kind, c.verdict, "{}: {}", c.name, v.reason);
        assert!(
            v.reason.contains(c.reason),
            "{}: reason {:?} lacks {:?}",
            c.name,
            v.reason,
            c.reason
        );
    }
}

#[test]
fn the_clock_moves_a_node_out_of_its_dwell_time() {
    let clock = ManualClock::new(start());
    let mut g = golem(2000, 6000);
    g.last_restart = Some(clock.now());
    clock.advance(Duration::hours(5));
    assert_eq!(
        evaluate(&input(&clock, vec![g.clone()])).kind,
        VerdictKind::Skip
    );
    clock.advance(Duration::hours(1));
    assert_eq!(evaluate(&input(&clock, vec![g])).kind, VerdictKind::Apply);
}

#[test]
fn gain_and_cost_are_reported_and_restarts_cost_downtime() {
    let clock = ManualClock::new(start());
    let v = evaluate(&input(
        &clock,
        vec![storj(1000 * GB, 4000 * GB, Some(900 * GB))],
    ));
    let n = &v.nodes[0];
    assert!(n.restart, "a Storj disk change needs a restart");
    // 0.01 USD fixed + 300 s of the node's current earnings.
    let expected_cost = 0.01 + n.earnings_now * 300.0 / 3600.0;
    assert!((v.switching_cost - expected_cost).abs() < 1e-12);
    assert!((v.expected_gain - (n.earnings_after - n.earnings_now) * 24.0).abs() < 1e-12);
    assert_eq!(n.changes[&ResourceKind::Disk], 4000 * GB);
}

#[test]
fn a_held_node_keeps_its_reason_next_to_the_others_changes() {
    let clock = ManualClock::new(start());
    let mut s = storj(1000 * GB, 4000 * GB, Some(900 * GB));
    s.curves = None;
    let v = evaluate(&input(&clock, vec![golem(2000, 6000), s]));
    assert_eq!(v.kind, VerdictKind::Apply);
    assert!(v.nodes[1].changes.is_empty());
    assert!(v.nodes[1].reasons[0].contains("no fiat price"));
}

#[test]
fn amounts_round_trip_through_json() {
    let a = Amounts::from([(ResourceKind::Cpu, 2000), (ResourceKind::Disk, 5 * GB)]);
    assert_eq!(amounts_from_json(&amounts_json(&a)).unwrap(), a);
    assert!(amounts_from_json(&serde_json::json!({"gpu": 1})).is_err());
    assert!(amounts_from_json(&serde_json::json!({"cpu": -1})).is_err());
}

#[test]
fn a_partial_apply_leaves_the_manual_node_untouched_and_says_why() {
    let clock = ManualClock::new(start());
    let mut s = storj(1000 * GB, 4000 * GB, Some(900 * GB));
    s.auto_apply = false;
    let v = evaluate(&input(&clock, vec![golem(2000, 6000), s]));
    assert_eq!(v.kind, VerdictKind::Apply, "{}", v.reason);
    let changed: Vec<&str> = v.changed().map(|n| n.node.as_str()).collect();
    assert_eq!(changed, ["golem:main"]);
    let storj = &v.nodes[1];
    assert!(!storj.restart, "the manual node is not restarted");
    assert_eq!(storj.proposed.get(&ResourceKind::Disk), Some(&(4000 * GB)));
    assert!(
        storj
            .reasons
            .iter()
            .any(|r| r.contains("not opted into auto-apply")),
        "{:?}",
        storj.reasons
    );
    assert!(v
        .reason
        .contains("storj:main not opted into auto-apply, recommended only"));
}

#[test]
fn amounts_that_round_to_zero_never_read_as_a_loss() {
    assert_eq!(orcha_api::policy::usd(-0.0000001), "0.000000 USD");
    assert_eq!(orcha_api::policy::usd(-0.25), "-0.250000 USD");
    assert_eq!(orcha_api::policy::usd(0.1234567), "0.123457 USD");
}
