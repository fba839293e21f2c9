//! The Streamr adapter over real HTTP, readings: the info plugin, the subgraph (answered by operation name) and Polygon JSON-RPC (the fixture batch) replayed, earnings and health.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use common::{json_body, t};
use orcha_adapters::streamr::{parse_console_metrics, LocalProcess};
use orcha_core::{AdapterError, EarningsKind, HealthStatus, Money, ProtocolAdapter, Token};
use serde_json::{json, Value};
use streamr_fake::*;

mod common;
mod streamr_fake;

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
    // The contract's totals, labelled: collected 9000 DATA + uncollected 1234.5 + 56.78 DATA
    // (getSponsorshipsAndEarnings) — delegators' money included.
    assert_eq!(
        e.get(EarningsKind::ContractLifetime),
        Some(&Money::new(Token::Data, 10_291_280_000_000_000_000_000, 18))
    );
    assert_eq!(
        e.get(EarningsKind::ContractUnpaid),
        Some(&Money::new(Token::Data, 1_291_280_000_000_000_000_000, 18))
    );
    // The owner's own: cut 10 %, fee 5 %, 18 000 of 90 000 operator tokens (20 %).
    // Collected: cumulativeOperatorsCut 1000 + 20 % × cumulativeProfits 8000 = 2600 DATA.
    // Uncollected 1291.28 − 5 % fee = 1226.716; cut 10 % = 122.6716; the rest 1104.0444 × 20 %
    // = 220.80888; owner's part 343.48048 DATA. Lifetime 2600 + 343.48048 = 2943.48048 DATA.
    assert_eq!(
        e.get(EarningsKind::Unpaid)
            .map(Money::to_decimal_string)
            .as_deref(),
        Some("343.480480000000000000")
    );
    assert_eq!(
        e.get(EarningsKind::Lifetime)
            .map(Money::to_decimal_string)
            .as_deref(),
        Some("2943.480480000000000000")
    );
    assert_eq!(e.figures.len(), 4);
    assert_eq!(e.observed_at, t(NOW));
    // One batch for the uncollected earnings, two for the owner's position.
    assert_eq!(f.hits("rpc"), 3);

    // Without an RPC endpoint the uncollected figure is the subgraph's (stale) per-stake sum.
    let mut s = settings(&base, NOW);
    s.rpc_url = None;
    let b = adapter_with(s);
    let est = b.earnings().await.unwrap();
    assert_eq!(est.uncollected_source, "subgraph");
    assert_eq!(est.uncollected.amount, 1_291_280_000_000_000_000_000);
    assert_eq!(f.hits("rpc"), 3, "no RPC call without an endpoint");
    // Without the contract the owner's share is unknown: no owner figure, a reason instead.
    assert_eq!(est.owner_collected, None);
    assert!(est.owner_error.unwrap().contains("rpc_url"));
    let e = b.get_current_earnings().await.unwrap();
    assert_eq!(e.get(EarningsKind::Lifetime), None);
    assert!(e.get(EarningsKind::ContractLifetime).is_some());

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
async fn the_owners_daily_earnings_come_from_the_subgraph_buckets_at_its_token_share() {
    let f = fake();
    let base = f.serve().await;
    let a = adapter(&base);
    let days = a.earnings_history().await.unwrap();
    // The owner holds 20 % of the operator tokens. 30 Dec: cut 4.444444444444444444 + 20 % of
    // profits 40 = 12.444444444444444444; 31 Dec: 4.666666666666666666 + 8.4; 1 Jan: nothing.
    let got: Vec<(String, String)> = days
        .iter()
        .map(|d| {
            (
                d.start.format("%Y-%m-%d").to_string(),
                d.amount.to_decimal_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("2025-12-30".to_owned(), "12.444444444444444444".to_owned()),
            ("2025-12-31".to_owned(), "13.066666666666666666".to_owned()),
            ("2026-01-01".to_owned(), "0.000000000000000000".to_owned()),
        ]
    );
    assert_eq!(
        days[0].key,
        "streamr:0x1111000000000000000000000000000000001111:2025-12-30"
    );
    // Without the RPC endpoint the owner's share is unknown: an error that says so, not a guess.
    let mut s = settings(&base, NOW);
    s.rpc_url = None;
    let err = adapter_with(s).earnings_history().await.unwrap_err();
    assert!(err.to_string().contains("rpc_url"), "{err}");
}
