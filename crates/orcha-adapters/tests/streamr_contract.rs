//! The Streamr adapter over real HTTP, failures and contract: errors that name the endpoint and never a key, knobs, compliance, the factory and subgraph caching.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use axum::http::StatusCode;
use common::{clock, dead_base, json_body, raw};
use orcha_core::secret::Sensitive;
use orcha_core::{AdapterError, Knob, ProtocolAdapter, ResourceVector};
use serde_json::{json, Value};
use streamr_fake::*;

mod common;
mod streamr_fake;

#[tokio::test]
async fn errors_name_the_endpoint_and_never_carry_a_key() {
    let f = fake();
    let base = f.serve().await;
    let a = adapter(&base);

    // GraphQL errors come with HTTP 200.
    f.set(
        "OperatorOverview",
        STREAMR.fixture("subgraph_error.response.constructed.json"),
    );
    let e = a.overview().await.unwrap_err();
    assert!(matches!(e, AdapterError::Malformed { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("GraphQL errors")
            && msg.contains("poolValue")
            && msg.contains("(OperatorOverview)"),
        "{msg}"
    );
    assert!(
        a.get_current_earnings().await.is_err(),
        "no zeros on a GraphQL error"
    );

    // An operator the subgraph does not know, a bad amount, a missing field.
    for (body, needle) in [
        (json!({"data": {"operator": null}}), "no operator 0x1111"),
        (json!({"data": {}}), "operator"),
        (json!({"data": null}), "no `data`"),
    ] {
        f.set("OperatorOverview", json_body(&body));
        let e = a.overview().await.unwrap_err();
        assert!(e.to_string().contains(needle), "{needle}: {e}");
    }
    let mut op: Value = serde_json::from_slice(
        &STREAMR
            .fixture("subgraph_operator.response.constructed.json")
            .body,
    )
    .unwrap();
    op["data"]["operator"]["stakes"][1]["earningsWei"] = json!("-5");
    f.set("OperatorOverview", json_body(&op));
    let e = a.overview().await.unwrap_err();
    assert!(
        e.to_string()
            .contains("data.operator.stakes[1].earningsWei"),
        "{e}"
    );
    op["data"]["operator"]["stakes"][1]["earningsWei"] = json!(5);
    f.set("OperatorOverview", json_body(&op));
    let e = a.overview().await.unwrap_err();
    assert!(e.to_string().contains("stakes[1].earningsWei"), "{e}");
    f.set(
        "OperatorOverview",
        STREAMR.fixture("subgraph_operator.response.constructed.json"),
    );

    // RPC: an error object for the one call that matters, or for the whole batch.
    f.set("rpc", json_body(&json!([{"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "execution reverted"}}])));
    let e = a.on_chain(&[]).await.unwrap_err();
    assert!(
        matches!(e, AdapterError::Malformed { .. })
            && e.to_string()
                .contains("getSponsorshipsAndEarnings(): RPC error -32000: execution reverted"),
        "{e}"
    );
    f.set("rpc", json_body(&json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "batch not supported"}})));
    let e = a.get_current_earnings().await.unwrap_err();
    assert!(
        e.to_string().contains("RPC error for the batch: -32600"),
        "{e}"
    );
    f.set(
        "rpc",
        json_body(&json!([{"jsonrpc": "2.0", "id": 1, "result": "0x"}])),
    );
    let e = a.on_chain(&[]).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("is operator_address an Operator contract"),
        "{e}"
    );
    // A failing side call (the wallet balance) is kept as a reason, not a failure.
    f.unset("rpc");
    let c = a
        .on_chain(&["0x9999000000000000000000000000000000000000".to_owned()])
        .await
        .unwrap();
    assert!(c.node_balances[0].balance.is_none());
    assert!(c.errors[0].contains("RPC error -32601"), "{:?}", c.errors);

    // Auth on the info plugin and the subgraph; rate limits; timeouts.
    let mut s = settings(&base, NOW);
    s.info_key = Some(Sensitive::new("wrong-info-key-5a5a".to_owned()));
    s.subgraph_key = None;
    let b = adapter_with(s);
    let e = b.connect().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::Unauthorized { .. })
            && e.to_string().contains("info_key")
            && e.to_string().contains("HTTP 403"),
        "{e}"
    );
    assert!(!e.to_string().contains("wrong-info-key-5a5a"));
    let e = b.overview().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::Unauthorized { .. }) && e.to_string().contains("Subgraph Studio"),
        "{e}"
    );

    f.set(
        "OperatorOverview",
        raw(
            StatusCode::TOO_MANY_REQUESTS,
            "text/html",
            "<!doctype html><h1>429</h1>",
        ),
    );
    let e = a.overview().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::RateLimited { .. })
            && e.to_string().contains("(OperatorOverview)"),
        "{e}"
    );
    let mut slow = STREAMR.fixture("info.v102plus.constructed.json");
    slow.delay = Duration::from_secs(3);
    f.set("info", slow);
    let e = a.connect().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::Timeout { .. }) && e.to_string().contains("/info"),
        "{e}"
    );
    f.set(
        "info",
        raw(StatusCode::OK, "application/json", "{\"controlLayer\": 5}"),
    );
    let e = a.info().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::Malformed { .. }) && e.to_string().contains("controlLayer"),
        "{e}"
    );

    // A key embedded in the subgraph or RPC URL never shows up in a message.
    let dead = dead_base();
    let mut s = settings(&base, NOW);
    s.subgraph_url = format!("{dead}/api/SECRET-IN-URL-1234/subgraphs/id/EGW");
    s.rpc_url = Some(format!("{dead}/v2/SECRET-IN-URL-1234"));
    let c = adapter_with(s);
    for e in [
        c.overview().await.unwrap_err(),
        c.on_chain(&[]).await.unwrap_err(),
    ] {
        assert!(matches!(e, AdapterError::Unreachable { .. }), "{e}");
        assert!(!e.to_string().contains("SECRET-IN-URL"), "{e}");
    }
    let h = c.health_check().await;
    assert!(!format!("{h:?}").contains("SECRET-IN-URL"), "{h:?}");
}

#[tokio::test]
async fn knobs_say_there_are_none_and_bandwidth_shaping_is_refused_by_default() {
    let f = fake();
    let base = f.serve().await;
    let a = adapter(&base);
    let caps = a.capabilities();
    assert_eq!(caps.len(), 4);
    assert!(caps.iter().all(|c| c.knob == Knob::None));
    let bw = caps
        .iter()
        .find(|c| c.resource == orcha_core::ResourceKind::Bandwidth)
        .unwrap();
    assert!(
        bw.preconditions[0].starts_with("refused"),
        "{:?}",
        bw.preconditions
    );
    let e = a
        .apply_allocation(&ResourceVector {
            bandwidth_bps: 10_000_000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AdapterError::Unsupported { what } if what.contains("refused") && what.contains("slashed")),
        "{e}"
    );
    let e = a
        .apply_allocation(&ResourceVector {
            cpu_millicores: 2000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no CPU setting"), "{e}");
    let ok = a
        .apply_allocation(&ResourceVector::default())
        .await
        .unwrap();
    assert!(ok.read_back.is_empty() && !ok.restarted);

    let mut s = settings(&base, NOW);
    s.allow_bandwidth_shaping = true;
    let b = adapter_with(s);
    let bw = b
        .capabilities()
        .into_iter()
        .find(|c| c.resource == orcha_core::ResourceKind::Bandwidth)
        .unwrap();
    assert!(
        bw.preconditions[0].starts_with("WARNING"),
        "{:?}",
        bw.preconditions
    );
    let e = b
        .apply_allocation(&ResourceVector {
            bandwidth_bps: 10_000_000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        !e.to_string().contains("refused") && e.to_string().contains("own risk"),
        "{e}"
    );
}

#[tokio::test]
async fn the_adapter_complies_with_the_contract_and_never_leaks_a_key() {
    let f = fake();
    let base = f.serve().await;
    let live = adapter(&base);
    let dead = adapter(&dead_base());
    orcha_core::compliance::check_adapter_compliance(&live, &dead, Some(INFO_KEY))
        .await
        .unwrap();
    orcha_core::compliance::check_adapter_compliance(&live, &dead, Some(GRAPH_KEY))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_factory_reads_keys_from_the_environment_and_the_probe_prints_one_reading() {
    let f = fake();
    let base = f.serve().await;
    let mut config = orcha_core::config::Config::default();
    let st = &mut config.protocols.streamr;
    st.enabled = true;
    st.api_endpoint = base.clone();
    st.operator_address = OPERATOR.to_owned();
    st.subgraph_url = format!("{base}/subgraph");
    st.rpc_url = format!("{base}/rpc");
    st.min_pol_balance = "0.5".to_owned();
    let env = |k: &str| match k {
        "ORCHA_STREAMR_INFO_KEY" => Some(INFO_KEY.to_owned()),
        "ORCHA_STREAMR_MAIN_API_KEY" => Some(GRAPH_KEY.to_owned()),
        _ => None,
    };
    let p = common::probe_through_factory(&config, &env, orcha_core::ProtocolId::Streamr).await;
    assert_eq!(p["node"], "streamr:main");
    assert_eq!(p["node_info"]["remote_id"], OPERATOR);
    let figures = p["earnings"]["figures"].as_array().unwrap();
    // The contract's uncollected total, labelled, and the owner's part of it: 1291.28 − 5 % fee
    // = 1226.716; cut 10 % = 122.6716; 20 % of the rest 1104.0444 = 220.80888; 343.48048 DATA.
    let contract = figures
        .iter()
        .find(|f| f["kind"] == "contract_unpaid")
        .unwrap();
    assert_eq!(contract["base_units"], "1291280000000000000000");
    assert_eq!(contract["decimal"], "1291.280000000000000000");
    let unpaid = figures.iter().find(|f| f["kind"] == "unpaid").unwrap();
    assert_eq!(unpaid["base_units"], "343480480000000000000");
    assert_eq!(unpaid["token"], "data");
    assert_eq!(p["capabilities"].as_array().unwrap().len(), 4);
    assert_eq!(
        f.hits("OperatorOverview"),
        1,
        "earnings and health share one read"
    );
    let text = p.to_string();
    assert!(!text.contains(INFO_KEY) && !text.contains(GRAPH_KEY));
}

#[tokio::test]
async fn subgraph_answers_are_reused_for_a_while_but_errors_are_not() {
    let f = fake();
    let base = f.serve().await;
    let clock = clock(NOW);
    let mut s = settings(&base, NOW);
    s.clock = clock.clone();
    s.subgraph_refresh = Duration::from_secs(300);
    let a = adapter_with(s);
    f.set(
        "OperatorOverview",
        STREAMR.fixture("subgraph_error.response.constructed.json"),
    );
    assert!(a.overview().await.is_err());
    f.unset("OperatorOverview");
    a.overview().await.unwrap();
    a.get_current_earnings().await.unwrap();
    a.health_check().await;
    assert_eq!(
        f.hits("OperatorOverview"),
        2,
        "the error was not cached, the answer was"
    );
    assert_eq!(f.hits("NetworkParams"), 1);
    clock.advance(chrono::Duration::minutes(5));
    a.overview().await.unwrap();
    assert_eq!(f.hits("OperatorOverview"), 3);
    // The exact figure is read from the chain on every call: earnings read the uncollected
    // earnings (1 batch) and the owner's position (2 batches), health once more.
    assert_eq!(f.hits("rpc"), 4);
}
