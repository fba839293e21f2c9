//! Poll cost of the Storj and Golem adapters against a local replay server on loopback.
//!
//! One poll is what the orchestrator does per node per cycle: earnings, resource usage and
//! health. Storj's payout endpoints are cached (they take ~28 s on real nodes), so after the
//! first poll a Storj poll reads only `/api/sno/` and `/api/sno/satellites`. The Golem adapter
//! reads its hardware profile from a `hardware.json` (no CLI process), as when ya-provider is
//! not on PATH; spawning the real CLI adds a process start per read.
//!
//! Run: `cargo bench -p orcha-adapters --bench storj_golem_poll`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::Response;
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion};
use orcha_adapters::golem::{GolemAdapter, GolemSettings};
use orcha_adapters::storj::{StorjAdapter, StorjSettings};
use orcha_core::secret::Sensitive;
use orcha_core::{ProtocolAdapter, SystemClock};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

type Routes = Arc<HashMap<&'static str, (&'static str, Vec<u8>)>>;

async fn replay(routes: &[(&'static str, &str)]) -> String {
    let map: HashMap<&'static str, (&'static str, Vec<u8>)> = routes
        .iter()
        .map(|(path, file)| {
            let body = std::fs::read(format!("{FIXTURES}/{file}")).expect("fixture");
            let ct = if file.ends_with(".sse.txt") {
                "text/event-stream"
            } else {
                "application/json"
            };
            (*path, (ct, body))
        })
        .collect();
    async fn handle(State(routes): State<Routes>, req: Request) -> Response {
        match routes.get(req.uri().path()) {
            Some((ct, body)) => Response::builder()
                .header(header::CONTENT_TYPE, *ct)
                .body(Body::from(body.clone()))
                .unwrap(),
            None => Response::builder()
                .status(404)
                .body(Body::from("{}"))
                .unwrap(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(handle).with_state(Arc::new(map));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn poll(a: &dyn ProtocolAdapter) {
    a.get_current_earnings().await.expect("earnings");
    a.get_resource_usage().await.expect("usage");
    let _ = a.health_check().await;
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let storj_base = rt.block_on(replay(&[
        ("/api/sno/", "storj/api_sno.current.constructed.json"),
        ("/api/sno/satellites", "storj/api_sno_satellites.json"),
        (
            "/api/sno/estimated-payout",
            "storj/api_sno_estimated_payout.json",
        ),
        (
            "/api/heldamount/periods",
            "storj/api_heldamount_periods.json",
        ),
        (
            "/api/heldamount/paystubs/2021-01/2021-07",
            "storj/api_heldamount_paystubs.json",
        ),
        (
            "/api/heldamount/payout-history/2021-07",
            "storj/api_heldamount_payout_history.json",
        ),
        (
            "/api/heldamount/held-history",
            "storj/api_heldamount_held_history.json",
        ),
    ]));
    let golem_base = rt.block_on(replay(&[
        ("/version/get", "golem/version_get.json"),
        ("/me", "golem/me.json"),
        (
            "/payment-api/v1/invoices",
            "golem/payment_api_invoices.json",
        ),
        (
            "/payment-api/v1/payments",
            "golem/payment_api_payments.json",
        ),
        (
            "/payment-api/v1/payments/status",
            "golem/payment_api_payments_status.json",
        ),
        ("/market-api/v1/offers", "golem/market_api_offers.json"),
        (
            "/activity-api/v1/_monitor",
            "golem/activity_api_monitor.sse.txt",
        ),
    ]));
    let storj = rt.block_on(async {
        StorjAdapter::new(
            "storj:main".parse().unwrap(),
            StorjSettings::new(&storj_base, Arc::new(SystemClock)),
        )
        .unwrap()
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!("{FIXTURES}/golem/hardware.json"),
        dir.path().join("hardware.json"),
    )
    .unwrap();
    let golem = rt.block_on(async {
        let mut s = GolemSettings::new(
            &golem_base,
            Some(Sensitive::new("k".to_owned())),
            Arc::new(SystemClock),
        );
        s.ya_provider = "/nonexistent/ya-provider".into();
        s.data_dir = Some(dir.path().to_owned());
        GolemAdapter::new("golem:main".parse().unwrap(), s).unwrap()
    });
    // Warm up: fills the Storj payout cache the way the first poll on a real node does.
    rt.block_on(poll(&storj));
    rt.block_on(poll(&golem));

    let mut g = c.benchmark_group("poll");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("storj", |b| b.iter(|| rt.block_on(poll(&storj))));
    g.bench_function("golem", |b| b.iter(|| rt.block_on(poll(&golem))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
