//! The Streamr fake both Streamr test files share: one replay server for the info plugin, the subgraph and JSON-RPC, and adapter settings pointing at it.

// Each of the two test binaries uses a different part of this module; what one leaves unused is
// not dead code.
#![allow(dead_code)]

use std::time::Duration;

use alloy_sol_types::SolCall;
use axum::http::{Method, StatusCode};
use orcha_adapters::streamr::{
    operatorTokenBalanceOfCall, operatorsCutFractionCall, ownerCall, totalSupplyCall,
    StreamrAdapter, StreamrSettings,
};
use orcha_core::secret::Sensitive;
use serde_json::{json, Value};

use crate::common::{clock, json_body, raw, Canned, Recorded, Replay, Seen};

pub const STREAMR: Recorded = Recorded("streamr");
pub const INFO_KEY: &str = "made-up-local-api-key-for-depin-orcha";
pub const GRAPH_KEY: &str = "graph-key-9c9c9c9c";
pub const OPERATOR: &str = "0x1111000000000000000000000000000000001111";
/// The fixtures' "now": one day after the last on-chain heartbeat (1767139200).
pub const NOW: &str = "2026-01-01T00:00:00Z";

/// One server for all three surfaces: `GET /info`, `POST /subgraph` answered by GraphQL
/// operation name, `POST /rpc` answering each call of a batch from the fixture batch. Answers
/// and hits are keyed by `info`, the GraphQL operation name, or `rpc` (whose answer replaces
/// the whole batch answer).
pub fn fake() -> Replay {
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
                None if call["method"] == "eth_getLogs" || call["method"] == "eth_getBlockByNumber" => {
                    match undelegations(call) {
                        Some(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
                        None => json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": "not in the fixture"}}),
                    }
                }
                None => match owner_position(call) {
                    Some(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
                    None => json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "not in the fixture"}}),
                },
            }
        })
        .collect();
    Value::Array(answers)
}

/// The owner's position in the made-up operator (constructed, consistent with the subgraph
/// fixture: owner `0x3333…3333`, cut 10 %, 90 000 operator tokens of which the owner holds
/// 18 000 = 20 %).
pub const OWNER: &str = "0x3333000000000000000000000000000000003333";
pub const OWNER_TOKENS_WEI: u128 = 18_000 * 10u128.pow(18);
pub const TOTAL_TOKENS_WEI: u128 = 90_000 * 10u128.pow(18);
pub const CUT_WEI: u128 = 10u128.pow(17);

fn owner_position(call: &Value) -> Option<String> {
    let p = &call["params"][0];
    if p["to"].as_str()?.to_ascii_lowercase() != OPERATOR || call["method"] != "eth_call" {
        return None;
    }
    let data = p["data"].as_str()?.strip_prefix("0x")?;
    let selector = alloy_primitives::hex::decode(data.get(..8)?).ok()?;
    let word = |v: u128| format!("0x{v:064x}");
    if selector == ownerCall::SELECTOR {
        Some(format!("0x{:0>64}", OWNER.trim_start_matches("0x")))
    } else if selector == operatorsCutFractionCall::SELECTOR {
        Some(word(CUT_WEI))
    } else if selector == totalSupplyCall::SELECTOR {
        Some(word(TOTAL_TOKENS_WEI))
    } else if selector == operatorTokenBalanceOfCall::SELECTOR {
        // Only the owner's balance is known; anyone else holds nothing here.
        let who = data.get(8 + 24..8 + 64)?;
        Some(word(if who == OWNER.trim_start_matches("0x") {
            OWNER_TOKENS_WEI
        } else {
            0
        }))
    } else {
        None
    }
}

pub fn settings(base: &str, now: &str) -> StreamrSettings {
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

pub fn adapter_with(s: StreamrSettings) -> StreamrAdapter {
    StreamrAdapter::new("streamr:main".parse().unwrap(), s).unwrap()
}

pub fn adapter(base: &str) -> StreamrAdapter {
    adapter_with(settings(base, NOW))
}

/// The owner's `Undelegated` logs and their blocks (constructed fixture). The filter must be the
/// Operator contract and the owner as the indexed delegator, from the first block.
fn undelegations(call: &Value) -> Option<Value> {
    let fixture: Value = serde_json::from_slice(
        &STREAMR
            .fixture("polygon_rpc_undelegated_logs.constructed.json")
            .body,
    )
    .unwrap();
    let p = &call["params"];
    if call["method"] == "eth_getLogs" {
        let f = &p[0];
        assert_eq!(f["address"].as_str()?.to_ascii_lowercase(), OPERATOR);
        assert_eq!(f["fromBlock"], "0x0");
        assert_eq!(f["toBlock"], "latest");
        assert_eq!(
            f["topics"][1],
            format!("0x{:0>64}", OWNER.trim_start_matches("0x"))
        );
        assert_eq!(f["topics"][0], fixture["logs"][0]["topics"][0]);
        return Some(fixture["logs"].clone());
    }
    fixture["blocks"].get(p[0].as_str()?).cloned()
}
