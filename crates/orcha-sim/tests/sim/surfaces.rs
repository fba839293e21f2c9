//! Every node surface answers in the shapes of the recorded fixtures, and enforces auth like the real node.

use super::*;

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
    // The owner's position: the owner holds all 90 000 operator tokens, cut 10 %.
    let op = "0x1111000000000000000000000000000000001111";
    let owner_calls = serde_json::json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"to": op, "data": "0x8da5cb5b"}, "latest"]},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_call", "params": [{"to": op, "data": "0x558a1568"}, "latest"]},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_call", "params": [{"to": op, "data": "0x18160ddd"}, "latest"]},
        {"jsonrpc": "2.0", "id": 4, "method": "eth_call", "params": [{"to": op, "data": "0x70a082310000000000000000000000003333000000000000000000000000000000003333"}, "latest"]},
    ]);
    let resp: Value = client()
        .post(h.streamr_rpc_url())
        .json(&owner_calls)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = |i: usize| resp[i]["result"].as_str().unwrap().to_owned();
    assert!(r(0).ends_with("3333000000000000000000000000000000003333"));
    assert_eq!(word(&r(1), 0), 100_000_000_000_000_000);
    assert_eq!(word(&r(2), 0), 90_000 * 10u128.pow(18));
    assert_eq!(r(3), r(2), "the owner holds every operator token");
    h.shutdown().await;
}
