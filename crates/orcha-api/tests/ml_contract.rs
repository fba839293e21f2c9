//! The Rust ML client's types must match the engine's committed OpenAPI (`ml-engine/openapi.json`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use orcha_api::ml::*;
use serde_json::Value;

fn openapi() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ml-engine/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("ml-engine/openapi.json")).unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// Checks that a fully populated Rust value has exactly the schema's properties and at least its
/// required ones.
fn check(schema: &str, rust: Value) {
    let spec = openapi();
    let s = &spec["components"]["schemas"][schema];
    assert!(
        s.is_object(),
        "schema {schema} is missing from openapi.json"
    );
    let props = keys(&s["properties"]);
    let ours = keys(&rust);
    assert_eq!(
        ours, props,
        "fields of {schema} differ between the Rust client and the engine"
    );
}

fn m(k: &str) -> BTreeMap<String, f64> {
    BTreeMap::from([(k.to_owned(), 1.0)])
}

#[test]
fn request_and_response_types_match_the_engine() {
    // The client forecasts through /v2/forecast; training still posts v1 series (no kind).
    check(
        "SeriesInputV2",
        serde_json::to_value(SeriesInput {
            features: Some(BTreeMap::new()),
            series_kind: Some("rate".into()),
            ..Default::default()
        })
        .unwrap(),
    );
    check(
        "SeriesInput",
        serde_json::to_value(SeriesInput {
            features: Some(BTreeMap::new()),
            ..Default::default()
        })
        .unwrap(),
    );
    check(
        "ForecastRequestV2",
        serde_json::to_value(ForecastRequest::default()).unwrap(),
    );
    check(
        "SeriesForecastV2",
        serde_json::to_value(SeriesForecast::default()).unwrap(),
    );
    check(
        "BacktestV2",
        serde_json::to_value(Backtest::default()).unwrap(),
    );
    check(
        "ForecastResponseV2",
        serde_json::to_value(ForecastResponse::default()).unwrap(),
    );
    check(
        "ResponseCurve",
        serde_json::to_value(ResponseCurve::default()).unwrap(),
    );
    check(
        "NodeSpec",
        serde_json::to_value(NodeSpec {
            current: m("cpu"),
            ..Default::default()
        })
        .unwrap(),
    );
    check(
        "AllocateRequest",
        serde_json::to_value(AllocateRequest::default()).unwrap(),
    );
    check(
        "NodePlan",
        serde_json::to_value(NodePlan::default()).unwrap(),
    );
    check(
        "AllocateResponse",
        serde_json::to_value(AllocateResponse::default()).unwrap(),
    );
    check(
        "AnomalyRow",
        serde_json::to_value(AnomalyRow {
            timestamp: Some("t".into()),
            ..Default::default()
        })
        .unwrap(),
    );
    check(
        "AnomalyRequest",
        serde_json::to_value(AnomalyRequest {
            rows: vec![],
            history: Some(vec![]),
            contamination: Some(0.1),
            z_threshold: Some(3.0),
            model: Some("m".into()),
            save_as: Some("s".into()),
        })
        .unwrap(),
    );
    check(
        "FeatureContribution",
        serde_json::to_value(FeatureContribution::default()).unwrap(),
    );
    check(
        "AnomalyResult",
        serde_json::to_value(AnomalyResult::default()).unwrap(),
    );
    check(
        "AnomalyResponse",
        serde_json::to_value(AnomalyResponse::default()).unwrap(),
    );
    check(
        "TrainRequest",
        serde_json::to_value(TrainRequest {
            series: vec![],
            epochs: Some(5),
        })
        .unwrap(),
    );
    check(
        "TrainAccepted",
        serde_json::to_value(TrainAccepted::default()).unwrap(),
    );
    check("JobInfo", serde_json::to_value(JobInfo::default()).unwrap());
    check(
        "SeriesModels",
        serde_json::to_value(SeriesModels::default()).unwrap(),
    );
    check(
        "ModelsResponse",
        serde_json::to_value(ModelsResponse::default()).unwrap(),
    );
}

#[test]
fn paths_the_client_calls_exist() {
    let spec = openapi();
    for p in [
        "/health",
        "/v2/forecast",
        "/v1/allocate",
        "/v1/anomalies",
        "/v1/models",
        "/v1/train",
    ] {
        assert!(spec["paths"][p].is_object(), "{p} is not in openapi.json");
    }
}
