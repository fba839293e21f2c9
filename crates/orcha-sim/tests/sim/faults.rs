//! Each fault kind shows up on the wire or in the ledger.

use super::*;

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
    // The ledger rounds each minute to a nano-dollar: half of it is exact to ~1e-6.
    assert!((d / p - 0.5).abs() < 1e-5, "{d} vs {p}");
    assert!(o.abs() < 1e-12);
}
