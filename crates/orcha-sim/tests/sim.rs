//! End-to-end tests of the simulator's surfaces, knobs, faults, time and scores over loopback.

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

#[tokio::test]
async fn storj_current_shapes_match_the_fixtures() {
    let (h, _dir) = start(Scenario::minimal()).await;
    // A month and a bit, so there are paystubs and a previous month.
    h.step(chrono::Duration::days(31)).await.unwrap();
    let base = h.storj_url();
    assert_shape(
        "storj/api_sno.current.constructed.json",
        &get_json(&format!("{base}/api/sno/")).await,
    );
    assert_shape(
        "storj/api_sno_satellites.json",
        &get_json(&format!("{base}/api/sno/satellites")).await,
    );
    let sat = "12EayRS2V1kEsWESU9QMRseFhdxYxKicsiFmxrsLZHeLUtdps3S";
    assert_shape(
        "storj/api_sno_satellite.current.constructed.json",
        &get_json(&format!("{base}/api/sno/satellite/{sat}")).await,
    );
    assert_shape(
        "storj/api_sno_satellites_pricing.json",
        &get_json(&format!("{base}/api/sno/satellites/{sat}/pricing")).await,
    );
    let payout = get_json(&format!("{base}/api/sno/estimated-payout")).await;
    assert_shape("storj/api_sno_estimated_payout.json", &payout);
    assert!(
        payout["currentMonthExpectations"].is_i64() || payout["currentMonthExpectations"].is_u64()
    );
    assert!(payout["previousMonth"]["payout"].as_f64().unwrap() > 0.0);
    let periods = get_json(&format!("{base}/api/heldamount/periods")).await;
    assert_shape("storj/api_heldamount_periods.json", &periods);
    let period = periods[0].as_str().unwrap().to_owned();
    let stubs = get_json(&format!("{base}/api/heldamount/paystubs/{period}")).await;
    assert!(!stubs.as_array().unwrap().is_empty());
    assert_shape("storj/api_heldamount_paystubs.json", &stubs);
    assert_shape(
        "storj/api_heldamount_paystubs.json",
        &get_json(&format!("{base}/api/heldamount/paystubs/{period}/{period}")).await,
    );
    assert_shape(
        "storj/api_heldamount_payout_history.json",
        &get_json(&format!("{base}/api/heldamount/payout-history/{period}")).await,
    );
    assert_shape(
        "storj/api_heldamount_held_history.json",
        &get_json(&format!("{base}/api/heldamount/held-history")).await,
    );
    // Errors are JSON `{"error": ...}` with the node's status codes, never a panic.
    let r = client()
        .get(format!("{base}/api/sno/satellite/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    let r = client()
        .get(format!("{base}/api/heldamount/paystubs/2026-13"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    h.shutdown().await;
}

#[tokio::test]
async fn storj_older_shapes_are_selectable() {
    let mut s = Scenario::minimal();
    s.storj_shape = StorjShape::V1_71;
    let (h, _dir) = start(s).await;
    h.step(chrono::Duration::hours(30)).await.unwrap();
    let base = h.storj_url();
    let sno = get_json(&format!("{base}/api/sno/")).await;
    assert_shape("storj/api_sno.json", &sno);
    assert_eq!(sno["version"], "1.71.2");
    let sat = "12tRQrMTWUWwzwGh18i7Fqs67kmdhH9t6aToeiwbo5mfS2rUmo";
    assert_shape(
        "storj/api_sno_satellite.json",
        &get_json(&format!("{base}/api/sno/satellite/{sat}")).await,
    );
    assert_shape(
        "storj/api_sno_estimated_payout.v1.48.2.json",
        &get_json(&format!("{base}/api/sno/estimated-payout")).await,
    );
    h.shutdown().await;

    let mut s = Scenario::minimal();
    s.storj_shape = StorjShape::V1_37;
    let (h, _dir) = start(s).await;
    assert_shape(
        "storj/api_sno.v1.37.1.json",
        &get_json(&format!("{}/api/sno/", h.storj_url())).await,
    );
    h.shutdown().await;
}

#[tokio::test]
async fn golem_shapes_match_the_fixtures_and_auth_is_enforced() {
    let (h, _dir) = start(Scenario::minimal()).await;
    h.step(chrono::Duration::hours(30)).await.unwrap();
    assert_shape(
        "golem/version_get.json",
        &get_json(&format!("{}/version/get", h.golem_url())).await,
    );
    assert_shape("golem/me.json", &golem_json(&h, "/me").await);
    assert_shape(
        "golem/payment_api_provider_accounts.json",
        &golem_json(&h, "/payment-api/v1/providerAccounts").await,
    );
    let invoices = golem_json(&h, "/payment-api/v1/invoices").await;
    assert!(
        !invoices.as_array().unwrap().is_empty(),
        "a day of jobs makes invoices"
    );
    assert_shape("golem/payment_api_invoices.json", &invoices);
    let payments = golem_json(&h, "/payment-api/v1/payments?timeout=0").await;
    assert!(!payments.as_array().unwrap().is_empty());
    assert_shape("golem/payment_api_payments.json", &payments);
    assert_eq!(
        golem_json(&h, "/payment-api/v1/payments/status").await,
        serde_json::json!([])
    );
    assert_shape(
        "golem/market_api_offers.json",
        &golem_json(&h, "/market-api/v1/offers").await,
    );
    assert_shape(
        "golem/market_api_agreements.json",
        &golem_json(&h, "/market-api/v1/agreements").await,
    );
    let limited = golem_json(&h, "/payment-api/v1/invoices?maxItems=1").await;
    assert_eq!(limited.as_array().unwrap().len(), 1);

    // Activity state and usage for an activity the node ran.
    let terminated = h.with_world(|w| {
        let ev = orcha_sim::golem::monitor_event(w);
        ev["activities"].as_array().and_then(|a| a.first().cloned())
    });
    let any_id = match terminated {
        Some(a) => a["id"].as_str().unwrap().to_owned(),
        None => {
            // No activity right now; step until one runs.
            let mut id = None;
            for _ in 0..48 {
                h.step(chrono::Duration::hours(1)).await.unwrap();
                id = h.with_world(|w| {
                    orcha_sim::golem::monitor_event(w)["activities"][0]["id"]
                        .as_str()
                        .map(str::to_owned)
                });
                if id.is_some() {
                    break;
                }
            }
            id.expect("an activity within two days")
        }
    };
    let state = golem_json(&h, &format!("/activity-api/v1/activity/{any_id}/state")).await;
    if state["state"][0] == "Terminated" {
        assert_shape("golem/activity_api_activity_state.terminated.json", &state);
    } else {
        assert_shape("golem/activity_api_activity_state.json", &state);
    }
    assert_shape(
        "golem/activity_api_activity_usage.json",
        &golem_json(&h, &format!("/activity-api/v1/activity/{any_id}/usage")).await,
    );

    // SSE: the first event is a snapshot with the fixture's shape.
    let sse_fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/golem/activity_api_monitor.sse.txt"),
    )
    .unwrap();
    let first_fixture: Value = serde_json::from_str(
        sse_fixture
            .lines()
            .next()
            .unwrap()
            .trim_start_matches("data: "),
    )
    .unwrap();
    let mut resp = client()
        .get(format!("{}/activity-api/v1/_monitor", h.golem_url()))
        .bearer_auth(h.golem_app_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut buf = String::new();
    while !buf.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), resp.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
    let line = buf.lines().find(|l| l.starts_with("data:")).unwrap();
    let event: Value = serde_json::from_str(line.trim_start_matches("data:").trim()).unwrap();
    let mut errs = Vec::new();
    shape_errors("$", &first_fixture, &event, &mut errs);
    assert!(errs.is_empty(), "{errs:?}");

    // Auth: no key, a wrong key, and the query-string form.
    let me = format!("{}/me", h.golem_url());
    assert_eq!(client().get(&me).send().await.unwrap().status(), 401);
    assert_eq!(
        client()
            .get(&me)
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let ok = client()
        .get(format!("{me}?authToken={}", h.golem_app_key()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // The shutdown must not hang on the open SSE stream.
    let t = Instant::now();
    h.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(6));
    drop(resp);
}

#[tokio::test]
async fn grass_and_streamr_shapes_match_the_fixtures() {
    let (h, _dir) = start(Scenario::minimal()).await;
    h.step(chrono::Duration::days(8)).await.unwrap();
    let grass = |p: &str| {
        let url = format!("{}{p}", h.grass_url());
        let token = h.grass_token().to_owned();
        async move {
            client()
                .get(url)
                .header("Authorization", token)
                .send()
                .await
                .unwrap()
        }
    };
    let user: Value = grass("/retrieveUser").await.json().await.unwrap();
    assert_shape("grass/retrieveUser.constructed.json", &user);
    assert!(
        user["result"]["data"]["totalPoints"].as_f64().unwrap() > 0.0,
        "the first epoch has settled"
    );
    assert_shape(
        "grass/activeDevices.constructed.json",
        &grass("/activeDevices").await.json().await.unwrap(),
    );
    assert_shape(
        "grass/epochEarnings.constructed.json",
        &grass("/epochEarnings?input=%7B%22limit%22%3A1%7D")
            .await
            .json()
            .await
            .unwrap(),
    );
    let r = client()
        .get(format!("{}/retrieveUser", h.grass_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], -32600);

    assert_shape(
        "streamr/info.v102plus.constructed.json",
        &get_json(&format!("{}/info", h.streamr_url())).await,
    );
    let gql = |q: &str| {
        let url = h.streamr_subgraph_url();
        let body = serde_json::json!({ "query": q });
        async move {
            client()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_shape(
        "streamr/subgraph_meta.response.constructed.json",
        &gql("{ _meta { block { number } } }").await,
    );
    assert_shape(
        "streamr/subgraph_network.response.constructed.json",
        &gql("{ networks { id } }").await,
    );
    let batch = fixture("streamr/polygon_rpc_batch.request.json");
    let resp: Value = client()
        .post(h.streamr_rpc_url())
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let results = resp.as_array().unwrap();
    assert_eq!(results.len(), 5);
    // getSponsorshipsAndEarnings: two sponsorships with non-zero earnings after eight days.
    let word = |hex: &str, i: usize| {
        u128::from_str_radix(&hex[2 + 64 * i + 32..2 + 64 * (i + 1)], 16).unwrap()
    };
    let earnings = results[0]["result"].as_str().unwrap();
    assert_eq!(word(earnings, 6), 2);
    assert!(word(earnings, 7) > 0);
    for r in &results[1..4] {
        assert!(r["result"].as_str().unwrap().starts_with("0x"), "{r}");
    }
    h.shutdown().await;
}

#[tokio::test]
async fn the_fake_ya_provider_changes_the_golem_profile() {
    let (h, _dir) = start(Scenario::minimal()).await;
    let ya = h.ya_provider_path().to_owned();
    let run = |args: &[&str]| std::process::Command::new(&ya).args(args).output().unwrap();
    let list = run(&["profile", "list"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_shape("golem/ya-provider_profile_list.json", &list);
    assert_eq!(list["default"]["cpu_threads"], 4);
    let active: Value = serde_json::from_slice(&run(&["profile", "active"]).stdout).unwrap();
    assert_eq!(active, "default");
    let presets: Value =
        serde_json::from_slice(&run(&["--json", "preset", "list"]).stdout).unwrap();
    assert_shape("golem/ya-provider_preset_list.json", &presets);
    let globals: Value = serde_json::from_slice(&run(&["config", "get"]).stdout).unwrap();
    assert_shape("golem/globals.json", &globals);

    let upd = run(&[
        "profile",
        "update",
        "--name",
        "default",
        "--cpu-threads",
        "6",
        "--mem-gib",
        "12.5",
        "--storage-gib",
        "80",
    ]);
    assert!(
        upd.status.success(),
        "{}",
        String::from_utf8_lossy(&upd.stderr)
    );
    assert!(!run(&["profile", "update", "--cpu-threads", "many"])
        .status
        .success());
    assert!(!run(&["profile", "update"]).status.success());
    h.step(chrono::Duration::minutes(1)).await.unwrap();
    let a = h.allocation();
    assert_eq!(
        (a.golem_cpu_threads, a.golem_mem_gib, a.golem_storage_gib),
        (6.0, 12.5, 80.0)
    );
    assert_eq!(h.history().last().unwrap().cause, "hardware.json");
    let offers = golem_json(&h, "/market-api/v1/offers").await;
    assert_eq!(offers[0]["properties"]["golem.inf.cpu.threads"], 6);
    let list: Value = serde_json::from_slice(&run(&["profile", "list"]).stdout).unwrap();
    assert_eq!(list["default"]["mem_gib"], 12.5);
    h.shutdown().await;
}

#[tokio::test]
async fn storj_config_change_restarts_the_node_and_rejects_too_small_allocations() {
    let (h, _dir) = start(Scenario::minimal()).await;
    let cfg = h.storj_config_path().to_owned();
    let text = std::fs::read_to_string(&cfg).unwrap();
    let new = text.replace("2000.00 GB", "3TB");
    assert_ne!(text, new);
    std::fs::write(&cfg, new).unwrap();
    h.step(chrono::Duration::minutes(1)).await.unwrap();
    // Restarting: the console port is closed for the restart's duration.
    let down = client()
        .get(format!("{}/api/sno/", h.storj_url()))
        .send()
        .await;
    assert!(down.is_err(), "the node is restarting");
    h.step(chrono::Duration::minutes(20)).await.unwrap();
    let sno = get_json(&format!("{}/api/sno/", h.storj_url())).await;
    assert_eq!(sno["diskSpace"]["allocated"], 3_000_000_000_000u64);
    assert_eq!(h.history().last().unwrap().cause, "config.yaml");

    std::fs::write(&cfg, "storage.allocated-disk-space: 100 GB\n").unwrap();
    h.step(chrono::Duration::minutes(30)).await.unwrap();
    assert!(
        client()
            .get(format!("{}/api/sno/", h.storj_url()))
            .send()
            .await
            .is_err(),
        "below 500 GB the node does not start"
    );
    std::fs::write(&cfg, "storage.allocated-disk-space: 1TB\n").unwrap();
    h.step(chrono::Duration::minutes(30)).await.unwrap();
    let sno = get_json(&format!("{}/api/sno/", h.storj_url())).await;
    assert_eq!(sno["diskSpace"]["allocated"], 1_000_000_000_000u64);
    h.shutdown().await;
}

#[tokio::test]
async fn every_fault_kind_shows_up_on_the_wire_or_in_the_ledger() {
    let (h, _dir) = start(Scenario::minimal()).await;
    h.step(chrono::Duration::hours(2)).await.unwrap();
    let sno = format!("{}/api/sno/", h.storj_url());

    // Offline, refused: the port is closed.
    let id = post_fault(
        &h,
        serde_json::json!({"target": "storj", "kind": "offline", "mode": "refused"}),
    )
    .await;
    let err = client().get(&sno).send().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert_eq!(
        client()
            .delete(format!("{}/control/fault/{id}", h.control_url()))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    get_json(&sno).await;

    // Offline, closed: accepted then dropped.
    let id = h
        .inject_fault(
            ProtocolId::Storj,
            FaultKind::Offline {
                mode: OfflineMode::Closed,
            },
            None,
        )
        .await;
    assert!(client().get(&sno).send().await.is_err());
    h.clear_fault(id).await;
    get_json(&sno).await;

    // Slow.
    let id = h
        .inject_fault(ProtocolId::Storj, FaultKind::Slow { delay_ms: 300 }, None)
        .await;
    let t = Instant::now();
    get_json(&sno).await;
    assert!(t.elapsed() >= Duration::from_millis(300));
    h.clear_fault(id).await;

    // HTTP 500 with a JSON error body.
    let id = h
        .inject_fault(ProtocolId::Golem, FaultKind::Http500, None)
        .await;
    let r = client()
        .get(format!("{}/me", h.golem_url()))
        .bearer_auth(h.golem_app_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    h.clear_fault(id).await;

    // Malformed: status 200, body is not valid JSON.
    let id = h
        .inject_fault(ProtocolId::Storj, FaultKind::Malformed, Some(10))
        .await;
    let r = client().get(&sno).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(serde_json::from_slice::<Value>(&r.bytes().await.unwrap()).is_err());
    h.clear_fault(id).await;

    // Version drift mid-run: the dashboard switches shape.
    assert!(get_json(&sno).await["diskSpace"].get("allocated").is_some());
    let id = post_fault(&h, serde_json::json!({"target": "storj", "kind": "version_drift", "shape": "v1.37", "duration_minutes": 60})).await;
    let old = get_json(&sno).await;
    assert_shape("storj/api_sno.v1.37.1.json", &old);
    h.step(chrono::Duration::minutes(61)).await.unwrap();
    assert!(
        get_json(&sno).await["diskSpace"].get("allocated").is_some(),
        "the drift ends with its window"
    );
    let _ = id;

    // Token revoked.
    let id = h
        .inject_fault(ProtocolId::Golem, FaultKind::TokenRevoked, None)
        .await;
    let r = client()
        .get(format!("{}/me", h.golem_url()))
        .bearer_auth(h.golem_app_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    h.clear_fault(id).await;

    // Disk filling up: used passes the allocation and shows as overused.
    h.inject_fault(
        ProtocolId::Storj,
        FaultKind::DiskFilling { gb_per_hour: 200.0 },
        Some(10 * 60),
    )
    .await;
    h.step(chrono::Duration::hours(10)).await.unwrap();
    let disk = get_json(&sno).await["diskSpace"].clone();
    assert!(disk["overused"].as_u64().unwrap() > 0, "{disk}");
    assert_eq!(disk["available"], 0);

    // Bad fault requests are 400s, not panics.
    for body in [
        serde_json::json!({"target": "mars", "kind": "offline"}),
        serde_json::json!({"target": "storj", "kind": "meteor"}),
        serde_json::json!({"target": "storj", "kind": "earnings_drop", "percent": 250}),
        serde_json::json!("nope"),
    ] {
        let r = client()
            .post(format!("{}/control/fault", h.control_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
    h.shutdown().await;
}

#[test]
fn earnings_drop_and_offline_cut_the_ledger() {
    let base = || {
        let mut w = World::new(Scenario::minimal());
        w.advance_minutes(60);
        w
    };
    let mut plain = base();
    let mut dropped = base();
    let mut offline = base();
    dropped.inject_fault(
        ProtocolId::Grass,
        FaultKind::EarningsDrop { percent: 50.0 },
        0,
        Some(600),
    );
    offline.inject_fault(
        ProtocolId::Grass,
        FaultKind::Offline {
            mode: OfflineMode::Refused,
        },
        0,
        Some(600),
    );
    for w in [&mut plain, &mut dropped, &mut offline] {
        w.advance_minutes(600);
    }
    let g = |w: &World| w.ledger().usd_by_node["grass"];
    let before = {
        let mut w = World::new(Scenario::minimal());
        w.advance_minutes(60);
        g(&w)
    };
    let (p, d, o) = (
        g(&plain) - before,
        g(&dropped) - before,
        g(&offline) - before,
    );
    assert!((d / p - 0.5).abs() < 1e-9, "{d} vs {p}");
    assert!(o.abs() < 1e-12);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_answers_and_another_seed_does_not() {
    async fn run(seed: u64) -> (Value, Value, f64) {
        let mut s = Scenario::minimal();
        s.seed = seed;
        let (h, _dir) = start(s).await;
        for _ in 0..5 {
            h.step(chrono::Duration::minutes(577)).await.unwrap();
        }
        let sno = get_json(&format!("{}/api/sno/estimated-payout", h.storj_url())).await;
        let inv = golem_json(&h, "/payment-api/v1/invoices").await;
        let total = h.ledger().total_usd;
        h.shutdown().await;
        (sno, inv, total)
    }
    let a = run(11).await;
    let b = run(11).await;
    let c = run(12).await;
    assert_eq!(a, b);
    assert_ne!(a.2, c.2);
    assert_ne!(a.0, c.0);
}

#[tokio::test]
async fn accelerated_time_runs_a_simulated_day_in_a_fraction_of_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SimConfig::new(Scenario::minimal(), dir.path());
    // 86 400x: one simulated day per real second.
    config.time = Some(TimeMode::Accelerated { speed: 86_400.0 });
    config.tick_interval = Duration::from_millis(20);
    let h = Simulator::start(config).await.unwrap();
    let t0 = h.clock().now();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let elapsed = h.clock().now() - t0;
    assert!(elapsed >= chrono::Duration::hours(20), "{elapsed}");
    // The background ticker moved the world (and its ledger) without any request.
    let minute = h.with_world(|w| w.minute());
    assert!(minute >= 20 * 60, "{minute}");
    assert!(
        h.step(chrono::Duration::minutes(1)).await.is_err(),
        "accelerated clocks are not steppable"
    );
    let status = get_json(&format!("{}/control/status", h.control_url())).await;
    assert_eq!(status["mode"], "accelerated");
    h.shutdown().await;
}

#[tokio::test]
async fn knob_changes_change_future_earnings() {
    // Twin simulators, same seed; one gives Golem 7 threads through the real CLI.
    let (a, _da) = start(Scenario::minimal()).await;
    let (b, _db) = start(Scenario::minimal()).await;
    let out = std::process::Command::new(b.ya_provider_path())
        .args(["profile", "update", "--cpu-threads", "7"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // And Storj gets a smaller allocation through config.yaml.
    std::fs::write(
        b.storj_config_path(),
        "storage.allocated-disk-space: 600 GB\n",
    )
    .unwrap();
    for h in [&a, &b] {
        h.step(chrono::Duration::days(2)).await.unwrap();
    }
    let (la, lb) = (a.ledger(), b.ledger());
    assert!(
        lb.usd_by_node["golem"] > la.usd_by_node["golem"] * 1.1,
        "{la:?} {lb:?}"
    );
    assert!(
        lb.usd_by_node["storj"] < la.usd_by_node["storj"] * 0.9,
        "{la:?} {lb:?}"
    );
    // The curves are exposed for checking fitted ones.
    let curves = a.response_curves();
    assert!(curves
        .iter()
        .any(|c| c.protocol == ProtocolId::Golem && c.a_usd_per_hour > 0.0));
    let json = get_json(&format!("{}/control/curves", a.control_url())).await;
    assert!(json
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["protocol"] == "storj" && c["resource"] == "disk"));
    a.shutdown().await;
    b.shutdown().await;
}

#[test]
fn oracle_beats_every_static_policy_and_statics_replay_exactly() {
    for seed in [1u64, 2, 3, 42] {
        let mut s = Scenario::demo();
        s.seed = seed;
        s.duration_minutes = 7 * 1440;
        let world = World::new(s.clone());
        let cycles = oracle::scenario_cycles(&s);
        let score = oracle::score(&s, world.faults(), cycles, None);
        assert!(
            score.oracle_usd >= score.best_static_usd - 1e-9,
            "{score:?}"
        );
        assert!(
            score.best_static_usd >= score.equal_split_usd - 1e-12,
            "{score:?}"
        );
        assert!(score.equal_split_usd > 0.0);

        // Running the world on the equal split gives exactly the equal-split score.
        let grid = Grid::new(s.budget, &s.costs);
        let (d, c, b) = grid.equal_split();
        let mut eq = s.clone();
        eq.initial = grid.allocation(d, c, b);
        let mut w = World::new(eq);
        w.advance_minutes(cycles as u64 * s.cycle_minutes);
        let got = w.ledger().total_usd;
        assert!(
            (got - score.equal_split_usd).abs() < 1e-9 * got.max(1.0),
            "{got} vs {}",
            score.equal_split_usd
        );
    }
}

#[tokio::test]
async fn live_score_reports_achieved_from_what_the_knobs_saw() {
    let (h, _dir) = start(Scenario::minimal()).await;
    h.step(chrono::Duration::hours(12)).await.unwrap();
    std::process::Command::new(h.ya_provider_path())
        .args(["profile", "update", "--cpu-threads", "6"])
        .output()
        .unwrap();
    h.step(chrono::Duration::hours(12)).await.unwrap();
    let score = get_json(&format!("{}/control/score", h.control_url())).await;
    assert_eq!(score["cycles"], 24);
    let achieved = score["achieved_usd"].as_f64().unwrap();
    assert!(achieved > 0.0);
    assert!(
        score["oracle_usd"].as_f64().unwrap() >= score["best_static_usd"].as_f64().unwrap() - 1e-9
    );
    // Replaying the observed history reproduces the live ledger.
    let history = h.history();
    let scenario = h.with_world(|w| w.scenario().clone());
    let replayed = oracle::replay(&scenario, &history, 24);
    assert!(
        (replayed - achieved).abs() < 1e-9 * achieved,
        "{replayed} vs {achieved}"
    );
    h.shutdown().await;
}
