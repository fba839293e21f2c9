//! Anomaly detection with nodes of different protocols through the real ML engine: their
//! feature sets differ (Storj reports disk and traffic, Golem its CPU), so one request for all of
//! them is refused (422 naming the row), while the cycle's grouping — one request per feature set
//! (`ml::requests_by_feature_set`) — is answered for every node. Needs `ml-engine/.venv`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use orcha_api::ml::{requests_by_feature_set, AnomalyRequest, AnomalyRow, MlClient, MlError};

fn row(id: &str, hour: u32, features: &[(&str, f64)]) -> AnomalyRow {
    AnomalyRow {
        id: id.to_owned(),
        timestamp: Some(format!("2026-05-04T{:02}:00:00Z", hour % 24)),
        features: features
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// Two days of hourly history and the newest hour, per node; Golem's newest hour is far off.
fn readings() -> (Vec<AnomalyRow>, Vec<AnomalyRow>) {
    let mut history = Vec::new();
    // Two days of ordinary noise around a level (a sum of three uniforms from a fixed LCG, so
    // bell-shaped and reproducible): the level itself is the most ordinary hour there is.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    for h in 0..48u32 {
        let wobble = 2.0 + (uniform() + uniform() + uniform() - 1.5) * 2.0;
        history.push(row(
            "storj:main",
            h,
            &[
                ("disk_used_bytes", 1.9e12 + wobble * 1e9),
                ("bandwidth_up_bps", 2.0e6 + wobble * 1e4),
            ],
        ));
        history.push(row(
            "golem:main",
            h,
            &[("cpu_millicores", 3600.0 + wobble * 10.0)],
        ));
    }
    let rows = vec![
        // The middle of its day: disk and traffic where they usually are.
        row(
            "storj:main",
            0,
            &[("disk_used_bytes", 1.902e12), ("bandwidth_up_bps", 2.02e6)],
        ),
        row("golem:main", 0, &[("cpu_millicores", 40_000.0)]),
    ];
    (rows, history)
}

#[tokio::test]
async fn mixed_protocols_are_scored_one_feature_set_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let engine = orcha_testkit::ml_engine::start(dir.path());
    let ml = MlClient::new(Some(engine.url.clone()), Duration::from_secs(60));
    for _ in 0..120 {
        if ml.health().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (rows, history) = readings();

    // All nodes in one request: the engine refuses it and says which row differs.
    let one = AnomalyRequest {
        rows: rows.clone(),
        history: Some(history.clone()),
        ..AnomalyRequest::default()
    };
    match ml.anomalies(&one).await {
        Err(MlError::Rejected { message, .. }) => {
            assert!(message.contains("features"), "{message}")
        }
        other => panic!("one request for two feature sets must be refused: {other:?}"),
    }

    // One request per feature set: every node gets a score, Golem's spike is flagged.
    let requests = requests_by_feature_set(rows, history);
    assert_eq!(requests.len(), 2, "{requests:?}");
    let mut scored = BTreeMap::new();
    for req in &requests {
        let resp = ml
            .anomalies(req)
            .await
            .expect("each feature set is answered");
        for r in resp.results {
            scored.insert(r.id.clone(), r.anomaly);
        }
    }
    assert_eq!(scored.len(), 2, "{scored:?}");
    assert!(scored["golem:main"], "a tenfold CPU spike: {scored:?}");
    assert!(!scored["storj:main"], "an ordinary hour: {scored:?}");
}
