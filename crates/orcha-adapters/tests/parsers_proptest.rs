//! Property tests of every adapter's parsers, through the adapters' public API: a loopback stub
//! answers every request of Storj, Golem, Streamr (info plugin, subgraph, JSON-RPC) and Grass
//! with the same arbitrary body — random bytes, random JSON, or a real-shaped document with
//! random values — and every call returns without a panic; every error names the endpoint it
//! came from. The files adapters read (Storj's `config.yaml`, Streamr's console log, Golem's
//! `hardware.json`) get arbitrary text the same way. `PROPTEST_CASES` makes a run longer
//! (`scripts/fuzz.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::IntoResponse;
use orcha_adapters::{build_adapter, AdapterContext};
use orcha_core::adapter::ProtocolAdapter;
use orcha_core::config::Config;
use orcha_core::secret::MemorySecretStore;
use orcha_core::{AdapterError, SystemClock};
use proptest::prelude::*;

/// The body and status every stub route answers with.
type Answer = Arc<Mutex<(u16, Vec<u8>)>>;

struct Stub {
    base: String,
    answer: Answer,
    dir: tempfile::TempDir,
    adapters: Vec<Arc<dyn ProtocolAdapter>>,
}

fn env(name: &str) -> Option<String> {
    match name {
        "ORCHA_GOLEM_APP_KEY" => Some("app-key".to_owned()),
        "ORCHA_GRASS_TOKEN" => Some("grass-token".to_owned()),
        _ => None,
    }
}

async fn stub() -> Stub {
    let answer: Answer = Arc::new(Mutex::new((200, b"{}".to_vec())));
    let a = Arc::clone(&answer);
    let app = axum::Router::new().fallback(move || {
        let (status, body) = a.lock().unwrap().clone();
        async move {
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                [("content-type", "application/json")],
                body,
            )
                .into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::default();
    let p = &mut c.protocols;
    p.storj.enabled = true;
    p.storj.api_endpoint = base.clone();
    p.storj.config_yaml = dir.path().join("config.yaml").display().to_string();
    p.golem.enabled = true;
    p.golem.api_endpoint = base.clone();
    p.golem.ya_provider = dir.path().join("no-ya-provider").display().to_string();
    p.streamr.enabled = true;
    p.streamr.api_endpoint = base.clone();
    p.streamr.operator_address = "0x1111111111111111111111111111111111111111".to_owned();
    p.streamr.subgraph_url = format!("{base}/subgraph");
    p.streamr.rpc_url = format!("{base}/rpc");
    p.streamr.console_log = dir.path().join("streamr.log").display().to_string();
    p.grass.enabled = true;
    p.grass.api_endpoint = base.clone();
    let secrets = MemorySecretStore::default();
    let ctx = AdapterContext {
        config: &c,
        secrets: &secrets,
        env: &env,
        timeout: Duration::from_secs(5),
        clock: Arc::new(SystemClock),
    };
    let adapters = c
        .nodes()
        .iter()
        .map(|n| build_adapter(n, &ctx).unwrap())
        .collect();
    Stub {
        base,
        answer,
        dir,
        adapters,
    }
}

/// An error from the network names the endpoint (host and port of the stub).
fn names_endpoint(stub: &Stub, e: &AdapterError) {
    if matches!(e, AdapterError::Unsupported { .. }) {
        return;
    }
    let host = stub.base.trim_start_matches("http://");
    let text = e.to_string();
    assert!(
        text.contains(host) || text.contains(&stub.dir.path().display().to_string()),
        "error does not name its endpoint: {text}"
    );
}

async fn every_call(stub: &Stub) {
    for a in &stub.adapters {
        if let Err(e) = a.connect().await {
            names_endpoint(stub, &e);
        }
        if let Err(e) = a.get_current_earnings().await {
            names_endpoint(stub, &e);
        }
        if let Err(e) = a.get_resource_usage().await {
            names_endpoint(stub, &e);
        }
        if let Err(e) = a.current_allocation().await {
            names_endpoint(stub, &e);
        }
        let _ = a.health_check().await;
        let _ = a.capabilities();
    }
}

/// Arbitrary JSON, nested a few levels.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        "[ -~]{0,12}".prop_map(serde_json::Value::from),
        // Numbers as strings, the way node APIs send big amounts.
        "-?[0-9]{0,30}(\\.[0-9]{0,20})?".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Object keys: mostly the names real node APIs use, so parsers get past the first field.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "data", "result", "jsonrpc", "id", "nodeID", "diskSpace", "used", "available",
            "allocated", "bandwidth", "currentMonthExpectations", "currentMonth", "payout",
            "held", "egressSummary", "ingressSummary", "satellites", "audits", "version",
            "upToDate", "startedAt", "lastPinged", "wallet", "quicStatus", "totalEarned",
            "amount", "status", "state", "identity", "name", "cpu", "mem", "storage",
            "threads", "gib", "operator", "valueWithoutEarnings", "cumulativeEarningsWei",
            "cumulativeOperatorsCutWei", "delegators", "sponsorships", "stakes", "devices",
            "ipScore", "multiplier", "totalPoints", "epochs", "errors", "message", "activity",
            "agreements", "invoices", "totalAmountPaid", "peerId", "nodeId", "region",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z_]{1,12}",
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        // JSON-RPC shaped, with an arbitrary result (Streamr's contract calls).
        json().prop_map(|v| serde_json::to_vec(
            &serde_json::json!({ "jsonrpc": "2.0", "id": 1, "result": v })
        )
        .unwrap()),
        "0x[0-9a-f]{0,130}".prop_map(|hex| serde_json::to_vec(
            &serde_json::json!({ "jsonrpc": "2.0", "id": 1, "result": hex })
        )
        .unwrap()),
        // GraphQL shaped (Streamr's subgraph).
        json().prop_map(|v| serde_json::to_vec(&serde_json::json!({ "data": v })).unwrap()),
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        6 => Just(200u16),
        1 => prop::sample::select(vec![201u16, 204, 301, 400, 401, 403, 404, 429, 500, 503]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(48)))]

    #[test]
    fn no_answer_of_a_node_makes_an_adapter_panic(
        status in status(),
        body in body(),
        file in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let rt = runtime();
        rt.block_on(async {
            let stub = shared().await;
            *stub.answer.lock().unwrap() = (status, body);
            for name in ["config.yaml", "streamr.log"] {
                std::fs::write(stub.dir.path().join(name), &file).unwrap();
            }
            every_call(stub).await;
        });
    }

    #[test]
    fn console_logs_and_hardware_profiles_parse_or_refuse(
        text in "(.{0,40}\\n){0,6}.{0,40}(\\): Report.{0,200})?",
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        doc in json(),
    ) {
        let _ = orcha_adapters::streamr::parse_console_metrics(&text);
        let _ = serde_json::from_slice::<orcha_adapters::golem::HardwareProfile>(&bytes);
        let _ = serde_json::from_value::<orcha_adapters::golem::HardwareProfile>(doc);
    }
}

/// One runtime and one stub for all cases: a server per case would make the run slow, and the
/// stub's tasks must live on the runtime every case runs on.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

async fn shared() -> &'static Stub {
    static STUB: tokio::sync::OnceCell<Stub> = tokio::sync::OnceCell::const_new();
    STUB.get_or_init(stub).await
}

/// `PROPTEST_CASES` when set (the longer run of `scripts/fuzz.sh`), else `quick`.
fn cases(quick: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(quick)
}
