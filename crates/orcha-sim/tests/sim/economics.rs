//! The truth follows docs/economics.md: Storj pays for stored data, Streamr has a floor and
//! slashing, Golem needs demand, and the marginal values are derivatives of the truth.

use orcha_sim::economics::Conditions;
use orcha_sim::model::Regime;
use orcha_sim::world::JOB_HOURS;
use orcha_sim::{Allocation, ExternalAllocation};

use super::*;

fn storj_usd(w: &World) -> f64 {
    w.ledger().usd_by_node["storj"]
}

#[test]
fn storj_allocation_beyond_stored_data_earns_nothing() {
    // A new node: nothing stored. Two allocations far above what ingress fills in two days.
    let mut small = Scenario::minimal();
    small.storj_used_gb = 0.0;
    small.initial.storj_disk_gb = 600.0;
    let mut large = small.clone();
    large.initial.storj_disk_gb = 3000.0;
    let (mut a, mut b) = (World::new(small), World::new(large));
    a.advance_minutes(1);
    assert_eq!(storj_usd(&a), 0.0, "an empty node earns nothing");
    b.advance_minutes(1);
    a.advance_minutes(2 * 1440 - 1);
    b.advance_minutes(2 * 1440 - 1);
    assert!(storj_usd(&a) > 0.0, "ingress filled some space, which pays");
    assert_eq!(
        storj_usd(&a),
        storj_usd(&b),
        "five times the allocation, same earnings: only stored data is paid"
    );
    assert_eq!(a.storj_used_gb(), b.storj_used_gb());
}

#[test]
fn storj_used_space_grows_with_ingress_and_stops_at_the_allocation() {
    let mut s = Scenario::minimal();
    s.storj_used_gb = 500.0;
    s.initial.storj_disk_gb = 600.0;
    let mut w = World::new(s.clone());
    w.advance_minutes(600);
    let after_10h = w.storj_used_gb();
    assert!(
        after_10h > 505.0 && after_10h < 600.0,
        "about 2 GB/h: {after_10h}"
    );
    // The same demand with a larger allocation fills at the same speed.
    let mut roomy = s.clone();
    roomy.initial.storj_disk_gb = 3000.0;
    let mut r = World::new(roomy);
    r.advance_minutes(600);
    assert_eq!(
        r.storj_used_gb(),
        after_10h,
        "ingress, not allocation, sets the pace"
    );
    w.advance_minutes(6 * 1440);
    assert_eq!(
        w.storj_used_gb(),
        600.0,
        "full, and never past the allocation"
    );
    let before = storj_usd(&w);
    w.advance_minutes(60);
    assert_eq!(w.storj_used_gb(), 600.0);
    assert!(
        storj_usd(&w) > before,
        "a full node keeps earning on its data"
    );
    // Full: one more GB of allocation would be filled and earn; not full: it would not.
    let full = w.marginal_values();
    let not_full = r.marginal_values();
    let disk = |v: &[orcha_sim::MarginalValue]| {
        v.iter()
            .find(|c| c.protocol == ProtocolId::Storj)
            .unwrap()
            .usd_per_hour_per_unit
    };
    assert!(disk(&full) > 0.0);
    assert_eq!(disk(&not_full), 0.0);
}

#[test]
fn streamr_below_its_floor_is_slashed_and_above_it_earns_no_more() {
    let run = |cpu: f64, bw: f64| {
        let mut w = World::new(Scenario::minimal());
        w.set_external(ExternalAllocation {
            streamr_cpu_threads: Some(cpu),
            streamr_bandwidth_mbps: Some(bw),
            grass_bandwidth_mbps: Some(0.0),
        })
        .unwrap();
        w.advance_minutes(1440);
        w
    };
    let (enough, plenty) = (run(2.0, 40.0), run(4.0, 100.0));
    let earned = |w: &World| w.ledger().usd_by_node["streamr"];
    assert!(earned(&enough) > 0.0);
    assert_eq!(
        earned(&enough),
        earned(&plenty),
        "more CPU and bandwidth above the floor earn nothing more"
    );
    assert_eq!(enough.ledger().streamr_slashings, 0);
    for starved in [run(2.0, 1.0), run(0.5, 40.0)] {
        let l = starved.ledger();
        assert_eq!(l.streamr_slashings, 24, "every hourly inspection fails");
        assert!(l.streamr_slashed_nano_usd > 0);
        assert!(earned(&starved) < 0.0, "no payouts, only slashes: {l:?}");
    }
}

#[test]
fn golem_earns_nothing_without_demand() {
    let mut s = Scenario::minimal();
    s.market.regimes.push(Regime {
        protocol: ProtocolId::Golem,
        start_minute: 0,
        end_minute: 10 * 1440,
        multiplier: 0.0,
        label: "no requestors".into(),
    });
    let mut w = World::new(s);
    w.set_golem_profile(orcha_sim::knobs::HardwareProfile {
        cpu_threads: 7,
        mem_gib: 16.0,
        storage_gib: 100.0,
    });
    w.advance_minutes(2 * 1440);
    assert_eq!(w.ledger().usd_by_node["golem"], 0.0);
    let golem_cpu = w
        .marginal_values()
        .into_iter()
        .find(|c| c.protocol == ProtocolId::Golem && c.resource == orcha_core::ResourceKind::Cpu)
        .unwrap();
    assert_eq!(golem_cpu.usd_per_hour_per_unit, 0.0);
    // With demand the same node earns.
    let mut busy = World::new(Scenario::minimal());
    busy.advance_minutes(2 * 1440);
    assert!(busy.ledger().usd_by_node["golem"] > 0.0);
}

/// Moves `x` of `(p, kind)` up by `delta` in an allocation (Storj: the stored data it fills).
fn bump(a: &Allocation, c: &mut Conditions, p: ProtocolId, kind: &str, delta: f64) -> Allocation {
    let mut a = *a;
    match (p, kind) {
        (ProtocolId::Storj, _) => c.storj_used_gb += delta,
        (ProtocolId::Golem, "cpu") => a.golem_cpu_threads += delta,
        (ProtocolId::Golem, "memory") => a.golem_mem_gib += delta,
        (ProtocolId::Golem, "disk") => a.golem_storage_gib += delta / orcha_sim::model::GB_PER_GIB,
        (ProtocolId::Streamr, "cpu") => a.streamr_cpu_threads += delta,
        (ProtocolId::Streamr, _) => a.streamr_bandwidth_mbps += delta,
        (ProtocolId::Grass, _) => a.grass_bandwidth_mbps += delta,
        other => panic!("no such resource {other:?}"),
    }
    a
}

#[test]
fn marginal_values_match_finite_differences_of_the_truth() {
    // Operating points that put each resource on both sides of its kinks: a full and a filling
    // Storj node, Golem limited by CPU, memory, storage or demand, Grass below and above traffic.
    let allocations = [
        Scenario::minimal().initial,
        Allocation {
            storj_disk_gb: 1000.0,
            golem_cpu_threads: 7.0,
            golem_mem_gib: 3.0,
            golem_storage_gib: 50.0,
            streamr_cpu_threads: 1.0,
            streamr_bandwidth_mbps: 30.0,
            grass_bandwidth_mbps: 1.5,
        },
        Allocation {
            storj_disk_gb: 800.0,
            golem_cpu_threads: 6.0,
            golem_mem_gib: 16.0,
            golem_storage_gib: 5.0,
            streamr_cpu_threads: 2.0,
            streamr_bandwidth_mbps: 20.0,
            grass_bandwidth_mbps: 80.0,
        },
    ];
    let mut checked = 0;
    let mut nonzero = 0;
    for (i, a) in allocations.iter().enumerate() {
        let mut s = Scenario::demo();
        s.initial = *a;
        s.storj_used_gb = if i == 0 { 1000.0 } else { a.storj_disk_gb };
        s.economics.grass.traffic_mbps = 2.0;
        let mut w = World::new(s.clone());
        for _ in 0..12 {
            w.advance_minutes(613);
            let c0 = w.conditions_now();
            let alloc = w.allocation();
            let rate = |c: &Conditions, a: &Allocation, p: ProtocolId| {
                s.economics.rate_usd_per_hour(&s.prices, p, c, a, JOB_HOURS)
            };
            for mv in w.marginal_values() {
                let delta = 1e-4;
                let mut c1 = c0;
                let kind = mv.resource.as_str();
                let a1 = bump(&alloc, &mut c1, mv.protocol, kind, delta);
                if mv.protocol == ProtocolId::Storj {
                    let full = c0.storj_used_gb >= alloc.storj_disk_gb;
                    if !full {
                        // More allocation leaves the stored data, and so the rate, unchanged.
                        assert_eq!(mv.usd_per_hour_per_unit, 0.0, "{mv:?}");
                        continue;
                    }
                }
                let fd = (rate(&c1, &a1, mv.protocol) - rate(&c0, &alloc, mv.protocol)) / delta;
                let tol = 1e-6 * fd.abs().max(mv.usd_per_hour_per_unit.abs()).max(1e-9);
                assert!(
                    (fd - mv.usd_per_hour_per_unit).abs() <= tol,
                    "{mv:?}: finite difference {fd}"
                );
                checked += 1;
                nonzero += usize::from(mv.usd_per_hour_per_unit > 0.0);
            }
        }
    }
    assert!(checked > 100, "{checked}");
    assert!(
        nonzero > 20,
        "the check covers paying resources too: {nonzero}"
    );
}

#[test]
fn every_shipped_scenario_loads_and_scores() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.duration_minutes, 30 * 1440, "{}", path.display());
            let mut w = World::new(s.clone());
            w.advance_minutes(1440);
            assert!(w.ledger().total_usd.is_finite());
            let score = oracle::score(&s, w.faults(), 24, None);
            assert!(
                score.oracle_usd >= score.best_static_usd - 1e-9,
                "{score:?}"
            );
            assert!(score.best_static_usd >= score.equal_split_usd - 1e-12);
            names.push(s.name);
        }
    }
    assert!(names.len() >= 6, "demo plus at least five: {names:?}");
}

#[test]
fn economics_keys_are_optional_override_defaults_and_are_checked() {
    let demo = orcha_sim::scenario::DEMO_TOML;
    let plain = Scenario::parse(demo, Path::new("demo.toml")).unwrap();
    assert_eq!(plain.economics, orcha_sim::Economics::default());
    let text = format!("{demo}\n[economics.storj]\ningress_gb_per_hour = 5\n");
    let s = Scenario::parse(&text, Path::new("x.toml")).unwrap();
    assert_eq!(s.economics.storj.ingress_gb_per_hour, 5.0);
    assert_eq!(
        s.economics.storj.storage_usd_per_tb_month, 1.5,
        "others keep defaults"
    );
    let bad = format!("{demo}\n[economics.golem]\nthreads_per_job = 2\n");
    let e = Scenario::parse(&bad, Path::new("x.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("threads_per_job") && e.starts_with("x.toml:"),
        "{e}"
    );
    let neg = format!("{demo}\n[economics.streamr]\nstake_data = -1\n");
    let e = Scenario::parse(&neg, Path::new("x.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("economics.streamr.stake_data"), "{e}");
}
