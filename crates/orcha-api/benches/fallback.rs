//! The fallback optimizer's budget: ≤ 1 ms for 4 nodes × 4 resources (design §11).

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use orcha_api::fallback::{solve, Curve, NodeProblem, Problem, Terms};
use orcha_core::{NodeId, ResourceKind};

fn problem() -> Problem {
    let budget: BTreeMap<ResourceKind, u64> = BTreeMap::from([
        (ResourceKind::Cpu, 16_000),
        (ResourceKind::Memory, 32 << 30),
        (ResourceKind::Disk, 8_000_000_000_000),
        (ResourceKind::Bandwidth, 1_000_000_000),
    ]);
    let nodes = ["storj:a", "golem:b", "streamr:c", "grass:d"]
        .iter()
        .enumerate()
        .map(|(i, id)| NodeProblem {
            id: id.parse::<NodeId>().expect("node id"),
            terms: budget
                .iter()
                .map(|(k, b)| {
                    let step = match k {
                        ResourceKind::Cpu => 1000,
                        ResourceKind::Memory => 1 << 20,
                        ResourceKind::Disk => 1_000_000_000,
                        ResourceKind::Bandwidth => 8000,
                    };
                    let terms = Terms {
                        current: b / 4 / step * step,
                        min: 0,
                        max: *b,
                        step,
                        curve: Curve {
                            a: 0.01 * (i + 1) as f64,
                            b: 4.0 / *b as f64,
                        },
                        cost_per_unit: 0.001 / *b as f64,
                    };
                    (*k, terms)
                })
                .collect(),
        })
        .collect();
    Problem {
        budget,
        nodes,
        horizon_hours: 24.0,
    }
}

fn bench(c: &mut Criterion) {
    let p = problem();
    c.bench_function("fallback_solve_4_nodes_4_resources", |b| {
        b.iter(|| solve(black_box(&p)).expect("feasible"));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
