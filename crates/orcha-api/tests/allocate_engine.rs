//! Rust → real ML engine `POST /v1/allocate`, end to end: response curves fitted from two nodes'
//! hours become the problem, the engine (CVXPY) solves it, and the answer comes back on each
//! knob's grid, inside the budget and bounds, and agreeing with the Rust fallback solver (which
//! is exact for separable concave problems). Needs `ml-engine/.venv` (scripts/test.sh installs it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use orcha_api::cycle::optimize::{allocate_request, from_engine};
use orcha_api::cycle::response::{self, Observation, Status};
use orcha_api::fallback::{self, NodeProblem, Problem, Terms};
use orcha_api::ml::MlClient;
use orcha_core::{NodeId, ResourceKind};

/// Three days of a node's hours with its CPU moved daily, earning `a·ln(1 + cores)` USD/h.
fn fitted_cpu_curve(a: f64) -> fallback::Curve {
    let obs: Vec<Observation> = (0..72)
        .map(|h| {
            let cores = [1.0, 3.0, 2.0][(h / 24) as usize];
            Observation {
                hour: h,
                amounts: BTreeMap::from([(ResourceKind::Cpu, cores)]),
                rate: a * f64::ln_1p(cores),
            }
        })
        .collect();
    let belief =
        &response::fit(&obs, &BTreeMap::from([(ResourceKind::Cpu, 2.0)]))[&ResourceKind::Cpu];
    assert_eq!(belief.status, Status::Fitted, "{belief:?}");
    belief.curve(ResourceKind::Cpu)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_allocates_fitted_curves_like_the_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let engine = orcha_testkit::ml_engine::start(dir.path());
    let ml = MlClient::new(Some(engine.url.clone()), Duration::from_secs(60));
    let ready = async {
        while ml.health().await.is_err() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), ready)
        .await
        .expect("the engine became healthy");

    let node = |name: &str, a: f64| NodeProblem {
        id: format!("golem:{name}").parse().unwrap(),
        terms: BTreeMap::from([(
            ResourceKind::Cpu,
            Terms {
                current: 2000,
                min: 500,
                max: 6000,
                step: 250,
                curve: fitted_cpu_curve(a),
                cost_per_unit: 1e-6,
            },
        )]),
    };
    let p = Problem {
        budget: BTreeMap::from([(ResourceKind::Cpu, 6000)]),
        nodes: vec![node("rich", 0.4), node("poor", 0.05)],
        horizon_hours: 24.0,
    };
    let resp = ml.allocate(&allocate_request(&p)).await.unwrap();
    assert!(resp.status.starts_with("optimal"), "{resp:?}");
    let plan = from_engine(&p, &resp);
    let cpu =
        |name: &str| plan[&format!("golem:{name}").parse::<NodeId>().unwrap()][&ResourceKind::Cpu];
    let (rich, poor) = (cpu("rich"), cpu("poor"));
    assert!(rich + poor <= 6000, "within the budget: {rich} + {poor}");
    assert!((500..=6000).contains(&poor) && rich % 250 == 0 && poor % 250 == 0);
    assert!(
        rich > 2000 && poor < 2000,
        "cores go where they earn more: {rich} / {poor}"
    );

    // The fallback solves the same separable concave problem exactly on the grid.
    let exact = fallback::solve(&p).unwrap().allocation;
    for (id, amounts) in &exact {
        let engine = plan[id][&ResourceKind::Cpu];
        let diff = engine.abs_diff(amounts[&ResourceKind::Cpu]);
        assert!(
            diff <= 250,
            "{id}: engine {engine} vs fallback {}",
            amounts[&ResourceKind::Cpu]
        );
    }
}
