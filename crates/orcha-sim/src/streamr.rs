//! The Streamr node's `info` plugin, the network subgraph (GraphQL) and Polygon JSON-RPC for the
//! operator contract, with earnings from the world.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::serve::{json_error, Shared};
use crate::world::World;

/// The operator contract the surfaces answer for (made up, as in the fixtures).
pub const OPERATOR: &str = "0x1111000000000000000000000000000000001111";
const DATA_TOKEN: &str = "0x3a9a81d576d83ff21f26f325066054540720fc34";
const SPONSORSHIPS: [&str; 2] = [
    "aaaa00000000000000000000000000000000aaaa",
    "bbbb00000000000000000000000000000000bbbb",
];

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/info", get(info))
        .route("/subgraph", post(subgraph))
        .route("/rpc", post(rpc))
        .fallback(|| async { json_error(StatusCode::NOT_FOUND, "message", "not found") })
        .with_state(shared)
}

fn bytes_object(b: &[u8]) -> Value {
    Value::Object(
        b.iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), json!(v)))
            .collect(),
    )
}

async fn info(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let w = sh.world();
    let s = &w.streamr;
    let now_ms = w.now().timestamp_millis();
    let start_ms = w.scenario().start.timestamp_millis();
    Json(json!({
        "controlLayer": {
            "localPeerDescriptor": {
                "nodeId": bytes_object(&[0xaa; 20]),
                "type": 0,
                "websocket": { "port": 32200, "host": "orcha-sim.streamr-nodes.xyz", "tls": true },
                "region": 15,
                "ipAddress": 3221225985u64,
                "publicKey": bytes_object(&[2, 17, 34, 51]),
                "signature": bytes_object(&[1, 2, 3, 4]),
            },
            "transport": {
                "connections": [{
                    "remotePeerDescriptor": {
                        "nodeId": bytes_object(&[0xbb; 20]),
                        "type": 0,
                        "websocket": { "port": 32200, "host": "peer.streamr-nodes.xyz", "tls": true },
                        "region": 15,
                    },
                    "lastUsedTimestamp": now_ms,
                    "replacedAsDuplicate": false,
                    "stopped": false,
                    "openedAt": start_ms,
                    "bytesSent": s.bytes_sent.round() as u64,
                    "bytesReceived": s.bytes_received.round() as u64,
                    "messagesSent": s.messages_sent.round() as u64,
                    "messagesReceived": s.messages_received.round() as u64,
                }],
                "connectionCount": 1,
            },
            "router": { "messagesRouted": (s.messages_sent / 100.0).round() as u64, "messagesSent": s.messages_sent.round() as u64 },
            "neighborCount": 4,
            "nearbyContactCount": 8,
            "randomContactCount": 16,
        },
        "contentLayer": {
            "streamParts": [
                { "id": format!("{OPERATOR}/operator/coordination#0"), "info": {
                    "neighborCount": 2, "nearbyNodeViewCount": 3, "randomNodeViewCount": 5,
                    "leftNodeViewCount": 1, "rightNodeViewCount": 1,
                    "messagesPropagated": (s.messages_propagated / 100.0).round() as u64 } },
                { "id": "0x9999000000000000000000000000000000009999/example/sponsored-stream#0", "info": {
                    "neighborCount": 4, "nearbyNodeViewCount": 6, "randomNodeViewCount": 8,
                    "leftNodeViewCount": 2, "rightNodeViewCount": 2,
                    "messagesPropagated": s.messages_propagated.round() as u64 } },
            ],
        },
    }))
}

async fn subgraph(State(sh): State<Arc<Shared>>, body: Option<Json<Value>>) -> Response {
    let query = body
        .as_ref()
        .and_then(|Json(v)| v.get("query"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let w = sh.world();
    if query.contains("_meta") {
        return Json(json!({ "data": { "_meta": {
            "block": { "number": 81_000_000 + w.minute() * 30, "timestamp": w.now().timestamp(),
                       "hash": "0xabababababababababababababababababababababababababababababababab" },
            "hasIndexingErrors": false } } }))
        .into_response();
    }
    if query.contains("networks") {
        return Json(json!({ "data": { "networks": [{
            "id": "0x869e88db146ecaf20ddf199a12684cd80c263c8f",
            "slashingFraction": wei(w.scenario().economics.streamr.slashing_fraction).to_string(),
            "earlyLeaverPenaltyWei": "5000000000000000000000",
            "minimumStakeWei": "5000000000000000000000",
            "minimumSelfDelegationFraction": "50000000000000000",
            "maxAllowedEarningsFraction": "50000000000000000",
            "fishermanRewardFraction": "250000000000000000",
            "protocolFeeFraction": "50000000000000000",
            "flagStakeWei": "500000000000000000000",
            "flagReviewerRewardWei": "20000000000000000000",
            "flaggerRewardWei": "360000000000000000000",
            "flagReviewerCount": 7,
            "reviewPeriodSeconds": 3600,
            "votingPeriodSeconds": 900,
            "flagProtectionSeconds": 3600,
            "minimumDelegationSeconds": 172800 }] } }))
        .into_response();
    }
    if query.contains("flags") {
        return Json(json!({ "data": { "flags": [] } })).into_response();
    }
    if query.contains("operatorDailyBuckets") {
        return Json(json!({ "data": { "operatorDailyBuckets": [] } })).into_response();
    }
    if query.contains("operator(") {
        return Json(operator_overview(&w)).into_response();
    }
    Json(json!({ "errors": [{ "message": "orcha-sim: this query is not simulated", "locations": [{ "line": 1, "column": 1 }] }] }))
        .into_response()
}

/// The `OperatorOverview` answer: the fixture's shape for our operator, with the heartbeat at
/// the simulated now. Earnings stay uncollected in the simulation (they come from the JSON-RPC
/// `getSponsorshipsAndEarnings` call), so nothing has been collected yet.
fn operator_overview(w: &World) -> Value {
    const FIXTURE: &str =
        include_str!("../tests/fixtures/streamr/subgraph_operator.response.constructed.json");
    let mut v: Value =
        serde_json::from_str(FIXTURE).unwrap_or_else(|_| json!({ "data": { "operator": null } }));
    if let Some(op) = v
        .pointer_mut("/data/operator")
        .and_then(Value::as_object_mut)
    {
        op.insert("id".into(), json!(OPERATOR));
        op.insert(
            "latestHeartbeatTimestamp".into(),
            json!(w.now().timestamp().to_string()),
        );
        op.insert(
            "valueUpdateTimestamp".into(),
            json!(w.now().timestamp().to_string()),
        );
        op.insert("cumulativeEarningsWei".into(), json!("0"));
        op.insert("cumulativeProfitsWei".into(), json!("0"));
        op.insert("cumulativeOperatorsCutWei".into(), json!("0"));
        op.insert("slashingEvents".into(), json!([]));
        op.insert("slashingsCount".into(), json!(w.ledger.streamr_slashings));
        // Both simulated sponsorships pay (the RPC answer splits earnings between them).
        if let Some(stakes) = op.get_mut("stakes").and_then(Value::as_array_mut) {
            for stake in stakes {
                if let Some(sp) = stake.get_mut("sponsorship").and_then(Value::as_object_mut) {
                    sp.insert("isRunning".into(), json!(true));
                }
            }
        }
    }
    v
}

fn word(v: u128) -> String {
    format!("{v:064x}")
}

fn wei(data: f64) -> u128 {
    crate::world::to_units(data, 18)
}

/// The simulated owner, the operator's only delegator (it holds every operator token), so what
/// the owner earns is the world's Streamr earnings.
const OWNER: &str = "3333000000000000000000000000000000003333";
const OPERATOR_TOKENS_WEI: u128 = 90_000 * 10u128.pow(18);
/// The network's protocol fee (`protocolFeeFraction` in the `networks` answer).
const PROTOCOL_FEE: f64 = 0.05;

/// ABI encoding of `getSponsorshipsAndEarnings() returns (address[], uint[], uint)`.
fn sponsorships_and_earnings(w: &World) -> String {
    // The sponsorships hold the gross amount: the protocol fee comes off at withdrawal, and the
    // owner (sole delegator) keeps the rest, which is what the world says was earned.
    let total = w.streamr.earnings_data / (1.0 - PROTOCOL_FEE);
    let earnings = [wei(total * 0.8), wei(total * 0.2)];
    let max_allowed = wei(5000.0);
    let mut out = String::from("0x");
    out += &word(0x60);
    out += &word(0x60 + 32 * 3);
    out += &word(max_allowed);
    out += &word(2);
    for s in SPONSORSHIPS {
        out += &format!("{s:0>64}");
    }
    out += &word(2);
    for e in earnings {
        out += &word(e);
    }
    out
}

fn call(w: &World, req: &Value) -> Value {
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let method = req.get("method").and_then(Value::as_str).unwrap_or("");
    if method == "eth_getLogs" {
        // The simulated owner never undelegates (it holds every operator token throughout), so
        // the Operator contract has no `Undelegated` event of it: the real answer is `[]`.
        return json!({ "jsonrpc": "2.0", "id": id, "result": [] });
    }
    let result = match method {
        "eth_blockNumber" => Some(format!("0x{:x}", 81_000_000 + w.minute() * 30)),
        "eth_chainId" => Some("0x89".to_owned()),
        "eth_getBalance" => Some(format!("0x{:x}", wei(2.5))),
        "eth_call" => {
            let p = req.get("params").and_then(|p| p.get(0));
            let to = p
                .and_then(|p| p.get("to"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase();
            let data = p
                .and_then(|p| p.get("data").or_else(|| p.get("input")))
                .and_then(Value::as_str)
                .unwrap_or("");
            match (to.as_str(), data.get(..10).unwrap_or(data)) {
                (OPERATOR, "0x2ebd89d1") => Some(sponsorships_and_earnings(w)),
                // Slashing takes DATA out of the operator's value.
                (OPERATOR, "0xc229918e") => Some(format!(
                    "0x{}",
                    word(wei((100_000.0 - w.streamr.slashed_data).max(0.0)))
                )),
                (DATA_TOKEN, "0x70a08231") => Some(format!("0x{}", word(wei(5000.0)))),
                // owner(), operatorsCutFraction(), totalSupply(), balanceOf(owner) of the
                // operator token: the owner holds all of it.
                (OPERATOR, "0x8da5cb5b") => Some(format!("0x{OWNER:0>64}")),
                (OPERATOR, "0x558a1568") => Some(format!("0x{}", word(10u128.pow(17)))),
                (OPERATOR, "0x18160ddd") => Some(format!("0x{}", word(OPERATOR_TOKENS_WEI))),
                (OPERATOR, "0x70a08231") if data.ends_with(OWNER) => {
                    Some(format!("0x{}", word(OPERATOR_TOKENS_WEI)))
                }
                _ => None,
            }
        }
        _ => None,
    };
    match result {
        Some(r) => json!({ "jsonrpc": "2.0", "id": id, "result": r }),
        None => {
            json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32000, "message": "execution reverted (not simulated)" } })
        }
    }
}

async fn rpc(State(sh): State<Arc<Shared>>, body: Option<Json<Value>>) -> Response {
    let Some(Json(body)) = body else {
        return (StatusCode::OK, Json(json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32700, "message": "Parse error" } })))
            .into_response();
    };
    let w = sh.world();
    match body {
        Value::Array(reqs) => {
            Json(Value::Array(reqs.iter().map(|r| call(&w, r)).collect())).into_response()
        }
        single => Json(call(&w, &single)).into_response(),
    }
}
