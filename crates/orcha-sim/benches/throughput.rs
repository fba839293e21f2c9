//! Simulator throughput: simulated node-hours per real second for the world (no HTTP), and the
//! cost of scoring a 30-day scenario (oracle dynamic programme included).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use orcha_sim::{oracle, Scenario, World};

const DAYS: u64 = 7;
const NODES: u64 = 4;

fn world(c: &mut Criterion) {
    let mut g = c.benchmark_group("world");
    g.sample_size(10);
    // One element = one simulated node-hour.
    g.throughput(Throughput::Elements(DAYS * 24 * NODES));
    g.bench_function("advance_7_days_4_nodes", |b| {
        b.iter(|| {
            let mut w = World::new(Scenario::demo());
            w.advance_minutes(DAYS * 1440);
            w.ledger().total_usd
        })
    });
    g.finish();
}

fn score(c: &mut Criterion) {
    let mut g = c.benchmark_group("score");
    g.sample_size(10);
    let s = Scenario::demo();
    let w = World::new(s.clone());
    let cycles = oracle::scenario_cycles(&s);
    g.bench_function("score_demo_30_days", |b| {
        b.iter(|| oracle::score(&s, w.faults(), cycles, None).oracle_usd)
    });
    g.finish();
}

criterion_group!(benches, world, score);
criterion_main!(benches);
