//! The Streamr adapter over real HTTP: the info plugin, the subgraph (answered by operation name) and Polygon JSON-RPC (the fixture batch) replayed, errors, health, compliance.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{clock, dead_base, json_body, raw, t, Canned, Recorded, Replay, Seen};
use orcha_adapters::streamr::{
    parse_console_metrics, LocalProcess, StreamrAdapter, StreamrSettings,
};
use orcha_core::secret::Sensitive;
use orcha_core::{
    AdapterError, EarningsKind, HealthStatus, Knob, Money, ProtocolAdapter, ResourceVector, Token,
};
use serde_json::{json, Value};

mod common;

const STREAMR: Recorded = Recorded("streamr");
const INFO_KEY: &str = "made-up-local-api-key-for-depin-orcha";
const GRAPH_KEY: &str = "graph-key-9c9c9c9c";
const OPERATOR: &str = "0x1111000000000000000000000000000000001111";
/// The fixtures' "now": one day after the last on-chain heartbeat (1767139200).
const NOW: &str = "2026-01-01T00:00:00Z";

/// One server for all three surfaces: `GET /info`, `POST /subgraph` answered by GraphQL
/// operation name, `POST /rpc` answering each call of a batch from the fixture batch. Answers
/// and hits are keyed by `info`, the GraphQL operation name, or `rpc` (whose answer replaces
/// the whole batch answer).
fn fake() -> Replay {
    Replay::answering(answer)
}

fn answer(f: &Replay, req: &Seen) -> Option<Canned> {
    let refused = |s| Some(raw(s, "application/json", "{}"));
    match (&req.method, req.path.as_str()) {
        (&Method::GET, "/info") => {
            f.count("info");
            match req.authorization() {
                None => return refused(StatusCode::UNAUTHORIZED),
                Some(a) if a != format!("Bearer {INFO_KEY}") => {
                    return refused(StatusCode::FORBIDDEN)
                }
                _ => {}
            }
            Some(
                f.route("info")
                    .unwrap_or_else(|| STREAMR.fixture("info.v102plus.constructed.json")),
            )
        }
        (&Method::POST, "/subgraph") => {
            if req.authorization() != Some(&format!("Bearer {GRAPH_KEY}")) {
                return refused(StatusCode::UNAUTHORIZED);
            }
            let q: Value = serde_json::from_slice(&req.body).unwrap();
            let op = q["operationName"].as_str().unwrap().to_owned();
            // The query text must carry the same operation, with the operator lower-cased.
            assert!(q["query"]
                .as_str()
                .unwrap()
                .contains(&format!("query {op}")));
            if let Some(id) = q["variables"].get("operatorId") {
                assert_eq!(id, OPERATOR);
            }
            f.count(&op);
            Some(f.route(&op).unwrap_or_else(|| match op.as_str() {
                "OperatorOverview" => {
                    STREAMR.fixture("subgraph_operator.response.constructed.json")
                }
                "OperatorDailyBuckets" => {
                    STREAMR.fixture("subgraph_operator_daily_buckets.response.constructed.json")
                }
                "FlagsAgainst" => {
                    STREAMR.fixture("subgraph_flags_against.response.constructed.json")
                }
                "NetworkParams" => STREAMR.fixture("subgraph_network.response.constructed.json"),
                "Meta" => STREAMR.fixture("subgraph_meta.response.constructed.json"),
                _ => STREAMR.fixture("subgraph_error.response.constructed.json"),
            }))
        }
        (&Method::POST, "/rpc") => {
            f.count("rpc");
            let batch: Value = serde_json::from_slice(&req.body).unwrap();
            Some(
                f.route("rpc")
                    .unwrap_or_else(|| json_body(&answer_batch(&batch))),
            )
        }
        _ => refused(StatusCode::NOT_FOUND),
    }
}

/// Answers every call of `batch` whose method and params appear in the fixture request with the
/// fixture's answer to it (under the caller's id); anything else gets a JSON-RPC error.
fn answer_batch(batch: &Value) -> Value {
    let req: Value =
        serde_json::from_slice(&STREAMR.fixture("polygon_rpc_batch.request.json").body).unwrap();
    let resp: Value =
        serde_json::from_slice(&STREAMR.fixture("polygon_rpc_batch.response.json").body).unwrap();
    let answers: Vec<Value> = batch
        .as_array()
        .unwrap()
        .iter()
        .map(|call| {
            let id = call["id"].clone();
            let known = req.as_array().unwrap().iter().find(|r| {
                r["method"] == call["method"] && r["params"] == call["params"]
            });
            match known {
                Some(r) => {
                    let mut a = resp
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|a| a["id"] == r["id"])
                        .unwrap()
                        .clone();
                    a["id"] = id;
                    a
                }
                None => json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "not in the fixture"}}),
            }
        })
        .collect();
    Value::Array(answers)
}

fn settings(base: &str, now: &str) -> StreamrSettings {
    let mut s = StreamrSettings::new(Some(base), clock(now));
    s.timeout = Duration::from_millis(800);
    s.info_key = Some(Sensitive::new(INFO_KEY.to_owned()));
    s.operator_address = Some(
        "0x1111000000000000000000000000000000001111"
            .to_uppercase()
            .replace("0X", "0x"),
    );
    s.subgraph_url = format!("{base}/subgraph");
    s.subgraph_key = Some(Sensitive::new(GRAPH_KEY.to_owned()));
    s.rpc_url = Some(format!("{base}/rpc"));
    // Most tests change the fake's answers between calls; caching is tested on its own.
    s.subgraph_refresh = Duration::ZERO;
    s
}

fn adapter_with(s: StreamrSettings) -> StreamrAdapter {
    StreamrAdapter::new("streamr:main".parse().unwrap(), s).unwrap()
}

fn adapter(base: &str) -> StreamrAdapter {
    adapter_with(settings(base, NOW))
}

#[tokio::test]
async fn every_fixture_matches_its_hand_written_expectation() {
    let f = fake();
    let base = f.serve().await;
    let a = adapter(&base);
    STREAMR.check_expected(
        "subgraph_operator.json",
        serde_json::to_value(a.overview().await.unwrap()).unwrap(),
    );
    STREAMR.check_expected(
        "subgraph_operator_daily_buckets.json",
        serde_json::to_value(
            a.daily_buckets(t("2025-12-30T00:00:00Z"), t("2026-01-02T00:00:00Z"))
                .await
                .unwrap(),
        )
        .unwrap(),
    );
    STREAMR.check_expected(
        "subgraph_flags_against.json",
        serde_json::to_value(a.flags().await.unwrap()).unwrap(),
    );
    STREAMR.check_expected(
        "subgraph_network.json",
        serde_json::to_value(a.network().await.unwrap()).unwrap(),
    );
    STREAMR.check_expected(
        "subgraph_meta.json",
        serde_json::to_value(a.index_status().await.unwrap()).unwrap(),
    );
    let wallets = vec!["0x2222000000000000000000000000000000002222".to_owned()];
    STREAMR.check_expected(
        "polygon_rpc_batch.json",
        serde_json::to_value(a.on_chain(&wallets).await.unwrap()).unwrap(),
    );
    // The batch the adapter sent is exactly the fixture request.
    let sent: Value = serde_json::from_slice(&f.last_body("/rpc").unwrap()).unwrap();
    let fixture_req: Value =
        serde_json::from_slice(&STREAMR.fixture("polygon_rpc_batch.request.json").body).unwrap();
    assert_eq!(sent, fixture_req);
    STREAMR.check_expected(
        "info.v102plus.json",
        serde_json::to_value(a.info().await.unwrap()).unwrap(),
    );
    f.set("info", STREAMR.fixture("info.v101.constructed.json"));
    STREAMR.check_expected(
        "info.v101.json",
        serde_json::to_value(a.info().await.unwrap()).unwrap(),
    );
    let log =
        String::from_utf8(STREAMR.fixture("consoleMetrics_log.constructed.txt").body).unwrap();
    STREAMR.check_expected(
        "consoleMetrics_log.json",
        serde_json::to_value(parse_console_metrics(&log).unwrap()).unwrap(),
    );
    STREAMR.check_expected(
        "earnings.json",
        serde_json::to_value(a.earnings().await.unwrap()).unwrap(),
    );
}

#[tokio::test]
async fn earnings_are_exact_data_wei_and_the_estimate_is_labelled() {
    let f = fake();
    let base = f.serve().await;
    let a = adapter(&base);
    let e = a.get_current_earnings().await.unwrap();
    // Collected 9000 DATA + uncollected 1234.5 + 56.78 DATA (getSponsorshipsAndEarnings).
    assert_eq!(
        e.get(EarningsKind::Lifetime),
        Some(&Money::new(Token::Data, 10_291_280_000_000_000_000_000, 18))
    );
    assert_eq!(
        e.get(EarningsKind::Unpaid),
        Some(&Money::new(Token::Data, 1_291_280_000_000_000_000_000, 18))
    );
    assert_eq!(e.figures.len(), 2);
    assert_eq!(e.observed_at, t(NOW));
    assert_eq!(f.hits("rpc"), 1);

    // Without an RPC endpoint the uncollected figure is the subgraph's (stale) per-stake sum.
    let mut s = settings(&base, NOW);
    s.rpc_url = None;
    let b = adapter_with(s);
    let est = b.earnings().await.unwrap();
    assert_eq!(est.uncollected_source, "subgraph");
    assert_eq!(est.uncollected.amount, 1_291_280_000_000_000_000_000);
    assert_eq!(f.hits("rpc"), 1, "no RPC call without an endpoint");

    // History and resource usage: bandwidth from the consoleMetrics log, nothing else measured.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("streamr.log");
    std::fs::copy(
        format!("{}/consoleMetrics_log.constructed.txt", STREAMR.dir()),
        &log,
    )
    .unwrap();
    let mut s = settings(&base, NOW);
    s.console_log = Some(log);
    let c = adapter_with(s);
    let m = c.get_resource_usage().await.unwrap();
    assert_eq!(m.bandwidth_up_bps, Some(30720.0 * 8.0));
    assert_eq!(m.bandwidth_down_bps, Some(40961.0 * 8.0));
    assert_eq!(
        (m.cpu_millicores, m.mem_bytes, m.disk_used_bytes),
        (None, None, None)
    );
    let m = a.get_resource_usage().await.unwrap();
    assert_eq!(m.bandwidth_up_bps, None, "no log: not measured, not zero");
}

#[tokio::test]
async fn health_names_each_reason_and_reads_the_live_network_parameters() {
    let f = fake();
    let base = f.serve().await;
    let a = adapter(&base);
    assert_eq!(
        a.health_check().await,
        HealthStatus::Degraded(vec![
            "sponsorship 0xbbbb00000000000000000000000000000000bbbb (0x9999000000000000000000000000000000009999/example/another-stream) is not running: the 35000 DATA staked there earn nothing but can still be slashed".to_owned()
        ])
    );

    // An open flag, a node wallet low on gas and a slashing since the last check.
    let mut flags: Value = serde_json::from_slice(
        &STREAMR
            .fixture("subgraph_flags_against.response.constructed.json")
            .body,
    )
    .unwrap();
    flags["data"]["flags"][0]["result"] = json!("voting");
    f.set("FlagsAgainst", json_body(&flags));
    let mut net: Value = serde_json::from_slice(
        &STREAMR
            .fixture("subgraph_network.response.constructed.json")
            .body,
    )
    .unwrap();
    // Governance changed the slashing fraction to 1 %: the reason follows the live value.
    net["data"]["networks"][0]["slashingFraction"] = json!("10000000000000000");
    f.set("NetworkParams", json_body(&net));
    let mut s = settings(&base, NOW);
    s.min_pol_balance = Money::new(Token::Pol, 3 * 10i128.pow(18), 18);
    let b = adapter_with(s);
    let r = b.health_check().await.reasons();
    assert_eq!(r.len(), 3, "{r:#?}");
    assert_eq!(
        r[1],
        "open flag against the operator in sponsorship 0xaaaa00000000000000000000000000000000aaaa (0x9999000000000000000000000000000000009999/example/sponsored-stream), voting; 6000 DATA at risk. If the reviewers vote to kick, 1 % of that stake is slashed. Make sure the node is online and carries that stream"
    );
    assert_eq!(
        r[2],
        "node wallet 0x2222000000000000000000000000000000002222 holds 2.5 POL, below the 3 POL threshold: heartbeats, votes and withdrawals need gas"
    );
    let mut op: Value = serde_json::from_slice(
        &STREAMR
            .fixture("subgraph_operator.response.constructed.json")
            .body,
    )
    .unwrap();
    op["data"]["operator"]["slashingsCount"] = json!(2);
    f.set("OperatorOverview", json_body(&op));
    let r = b.health_check().await.reasons();
    assert!(
        r.contains(&"the operator was slashed 1 time(s) since the last check".to_owned()),
        "{r:#?}"
    );

    // Two days later: no heartbeat for 48 h and the subgraph is behind.
    let c = adapter_with(settings(&base, "2026-01-02T00:00:00Z"));
    let r = c.health_check().await.reasons();
    assert!(
        r.iter()
            .any(|x| x.starts_with("no on-chain heartbeat since 2025-12-31T00:00:00+00:00")),
        "{r:#?}"
    );
    assert!(
        r.iter().any(|x| x.starts_with("the subgraph is behind")),
        "{r:#?}"
    );

    // A node with no peers and not carrying its sponsored stream.
    let mut info: Value =
        serde_json::from_slice(&STREAMR.fixture("info.v102plus.constructed.json").body).unwrap();
    info["controlLayer"]["transport"]["connectionCount"] = json!(0);
    info["contentLayer"]["streamParts"]
        .as_array_mut()
        .unwrap()
        .pop();
    f.set("info", json_body(&info));
    let r = a.health_check().await.reasons();
    assert!(
        r[0].starts_with("the node has no connections to the Streamr network"),
        "{r:#?}"
    );
    assert!(
        r.contains(&"the node has not joined sponsored stream 0x9999000000000000000000000000000000009999/example/sponsored-stream: it fails inspections there".to_owned()),
        "{r:#?}"
    );
}

#[tokio::test]
async fn a_node_without_the_info_plugin_is_watched_through_its_process_and_the_chain() {
    let f = fake();
    let base = f.serve().await;
    let mut s = settings(&base, NOW);
    s.info_endpoint = None;
    let a = adapter_with(s.clone());
    let info = a.connect().await.unwrap();
    assert_eq!(info.remote_id.as_deref(), Some(OPERATOR));
    assert_eq!(f.hits("info"), 0);
    let r = a.health_check().await.reasons();
    assert!(
        r[0].contains("\"info\": {}") && r[0].contains("restart"),
        "{r:#?}"
    );
    let e = a.info().await.unwrap_err();
    assert!(matches!(e, AdapterError::Unsupported { .. }), "{e}");

    s.process = LocalProcess::Named("no-such-process-name-7f".to_owned());
    let b = adapter_with(s.clone());
    assert!(
        matches!(b.health_check().await, HealthStatus::Unreachable(r) if r.contains("no-such-process-name-7f"))
    );
    // A container that Docker does not know is not running; no Docker at all is "cannot tell".
    let fake_docker = tempfile::tempdir().unwrap();
    let docker = fake_docker.path().join("docker");
    std::fs::write(
        &docker,
        "#!/bin/sh\necho 'Error: No such object: streamr' >&2\nexit 1\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let p = LocalProcess::Container {
        docker: docker.clone(),
        name: "streamr".into(),
    };
    assert_eq!(p.is_running(Duration::from_secs(5)).await, Some(false));
    std::fs::write(&docker, "#!/bin/sh\necho true\n").unwrap();
    assert_eq!(p.is_running(Duration::from_secs(5)).await, Some(true));
    let none = LocalProcess::Container {
        docker: "/nonexistent/docker".into(),
        name: "streamr".into(),
    };
    assert_eq!(none.is_running(Duration::from_secs(5)).await, None);
}

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
    let unpaid = figures.iter().find(|f| f["kind"] == "unpaid").unwrap();
    assert_eq!(unpaid["base_units"], "1291280000000000000000");
    assert_eq!(unpaid["decimal"], "1291.280000000000000000");
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
    // The exact figure is read from the chain on every call.
    assert_eq!(f.hits("rpc"), 2);
}
