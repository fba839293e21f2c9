//! Store benchmarks: sample ingest throughput (plain and encrypted) and a 30-day chart query over
//! a year of history.

use chrono::{DateTime, Duration, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use orcha_core::NodeId;
use orcha_store::{DbKey, Resolution, Retention, Sample, Store};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

fn ingest(c: &mut Criterion) {
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(10_000));
    // The same ingest on a plain and on an SQLCipher database (encryption at rest's cost).
    let key = DbKey::generate().expect("key");
    for (name, key) in [
        ("ingest_10k_samples_one_tx", None),
        ("ingest_10k_samples_one_tx_encrypted", Some(&key)),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open_with_key(&dir.path().join("bench.db"), key).expect("open");
        let node: NodeId = "storj:bench".parse().expect("node id");
        let mut start = 0i64;
        group.bench_function(name, |b| {
            b.iter(|| {
                let batch: Vec<Sample> = (0..10_000)
                    .map(|i| Sample {
                        node: node.clone(),
                        metric: "cpu_millicores".into(),
                        ts: t0() + Duration::milliseconds(start + i),
                        value: i as f64,
                    })
                    .collect();
                start += 10_000;
                store.insert_samples(&batch).expect("insert");
            })
        });
    }
    group.finish();
}

fn query_30_days_over_a_year(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("year.db")).expect("open");
    let node: NodeId = "storj:bench".parse().expect("node id");
    // One year at one sample per minute for one metric, rolled up as the app would.
    let year = 365 * 24 * 60;
    for chunk in (0..year).collect::<Vec<i64>>().chunks(50_000) {
        let batch: Vec<Sample> = chunk
            .iter()
            .map(|m| Sample {
                node: node.clone(),
                metric: "cpu_millicores".into(),
                ts: t0() + Duration::minutes(*m),
                value: (*m % 1000) as f64,
            })
            .collect();
        store.insert_samples(&batch).expect("insert");
    }
    store
        .rollup_and_retain(
            t0() + Duration::days(366),
            Retention {
                raw_days: 7,
                minute_days: 90,
                hour_days: 1825,
            },
        )
        .expect("rollup");
    let from = t0() + Duration::days(300);
    let to = from + Duration::days(30);
    c.bench_function("query_30d_chart_over_1y", |b| {
        b.iter(|| {
            let pts = store
                .samples(
                    &node,
                    "cpu_millicores",
                    from,
                    to,
                    Resolution::for_range(from, to),
                )
                .expect("query");
            assert_eq!(pts.len(), 30 * 24);
        })
    });
}

criterion_group! { name = benches; config = Criterion::default().sample_size(20); targets = ingest, query_30_days_over_a_year }
criterion_main!(benches);
