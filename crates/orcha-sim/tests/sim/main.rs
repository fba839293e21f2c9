//! End-to-end tests of the simulator's surfaces, knobs, faults, time and scores over loopback.
//!
//! One test binary with a module per concern, so the shared helpers below are built once and none
//! is dead code in a binary that does not use it.

// Helpers outside #[test] fns are not covered by allow-unwrap-in-tests; a failed unwrap here is
// a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use orcha_core::{Clock, ProtocolId};
use orcha_sim::oracle::{self, Grid};
use orcha_sim::{
    FaultKind, OfflineMode, Scenario, SimConfig, SimHandle, Simulator, StorjShape, TimeMode, World,
};
use serde_json::Value;

mod economics;
mod faults;
mod knobs;
mod surfaces;
mod time_and_scores;

fn fixture(path: &str) -> Value {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Same field names at every level and the same JSON types; `null` matches anything (nullable
/// fields), and every element of an array is checked against the fixture's first element.
fn shape_errors(path: &str, fixture: &Value, actual: &Value, errs: &mut Vec<String>) {
    use Value::*;
    match (fixture, actual) {
        (Null, _) | (_, Null) => {}
        (Object(f), Object(a)) => {
            let fk: std::collections::BTreeSet<_> = f.keys().collect();
            let ak: std::collections::BTreeSet<_> = a.keys().collect();
            if fk != ak {
                errs.push(format!(
                    "{path}: keys differ: missing {:?}, extra {:?}",
                    fk.difference(&ak).collect::<Vec<_>>(),
                    ak.difference(&fk).collect::<Vec<_>>()
                ));
            }
            for (k, fv) in f {
                if let Some(av) = a.get(k) {
                    shape_errors(&format!("{path}.{k}"), fv, av, errs);
                }
            }
        }
        (Array(f), Array(a)) => {
            if let Some(f0) = f.first() {
                for (i, x) in a.iter().enumerate() {
                    shape_errors(&format!("{path}[{i}]"), f0, x, errs);
                }
            }
        }
        (Number(_), Number(_)) | (String(_), String(_)) | (Bool(_), Bool(_)) => {}
        _ => errs.push(format!("{path}: fixture {fixture} vs actual {actual}")),
    }
}

#[track_caller]
fn assert_shape(fixture_path: &str, actual: &Value) {
    let mut errs = Vec::new();
    shape_errors("$", &fixture(fixture_path), actual, &mut errs);
    assert!(
        errs.is_empty(),
        "{fixture_path}:\n{}\nactual: {actual:#}",
        errs.join("\n")
    );
}

fn stepped(scenario: Scenario) -> (SimConfig, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (SimConfig::stepped(scenario, dir.path()), dir)
}

async fn start(scenario: Scenario) -> (SimHandle, tempfile::TempDir) {
    let (config, dir) = stepped(scenario);
    (Simulator::start(config).await.unwrap(), dir)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn get_json(url: &str) -> Value {
    let r = client()
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap_or_else(|e| panic!("{url}: {e}"))
}

async fn golem_json(h: &SimHandle, path: &str) -> Value {
    let url = format!("{}{path}", h.golem_url());
    let r = client()
        .get(&url)
        .bearer_auth(h.golem_app_key())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap()
}

async fn post_fault(h: &SimHandle, body: Value) -> u64 {
    let r = client()
        .post(format!("{}/control/fault", h.control_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{body}");
    r.json::<Value>().await.unwrap()["id"].as_u64().unwrap()
}
