//! The money operations over a real store: a node's payout record is stored once however often
//! it is read, listed newest first, and exported with exact amounts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use orcha_api::dto::{ErrorCode, ExportQuery, PayoutsQuery};
use orcha_api::ops;
use orcha_core::*;
use orcha_testkit::{at, TestApp};

/// A Golem node whose record holds two payments, and nothing else.
struct PaidNode {
    id: NodeId,
}

#[async_trait]
impl ProtocolAdapter for PaidNode {
    fn protocol_name(&self) -> ProtocolId {
        ProtocolId::Golem
    }
    fn node_id(&self) -> &NodeId {
        &self.id
    }
    async fn connect(&self) -> Result<NodeInfo, AdapterError> {
        Ok(NodeInfo {
            version: None,
            remote_id: None,
        })
    }
    async fn disconnect(&self) -> Result<(), AdapterError> {
        Ok(())
    }
    async fn get_current_earnings(&self) -> Result<EarningsData, AdapterError> {
        Err(AdapterError::Unsupported {
            what: "not in this test".into(),
        })
    }
    async fn get_resource_usage(&self) -> Result<ResourceMetrics, AdapterError> {
        Ok(ResourceMetrics::default())
    }
    async fn apply_allocation(
        &self,
        _: &ResourceVector,
    ) -> Result<AppliedAllocation, AdapterError> {
        Ok(AppliedAllocation {
            node: self.id.clone(),
            read_back: BTreeMap::new(),
            restarted: false,
        })
    }
    async fn payouts(&self) -> Result<Vec<PayoutEvent>, AdapterError> {
        let glm = |milli: i128| Money::new(Token::Glm, milli * 10i128.pow(15), 18);
        Ok(vec![
            PayoutEvent {
                key: "golem:p1".into(),
                kind: PayoutKind::Payout,
                amount: glm(1_250),
                at: at("2026-03-01T10:00:00Z"),
                reference: Some("p1".into()),
                detail: "yagna payment".into(),
            },
            PayoutEvent {
                key: "golem:p2".into(),
                kind: PayoutKind::Payout,
                amount: glm(5),
                at: at("2026-03-02T10:00:00Z"),
                reference: Some("p2".into()),
                detail: "yagna payment".into(),
            },
        ])
    }
    async fn earnings_history(&self) -> Result<Vec<EarnedPeriod>, AdapterError> {
        // January 2026, from before Orcha watched the node.
        Ok(vec![EarnedPeriod {
            key: "golem:2026-01".into(),
            start: at("2026-01-01T00:00:00Z"),
            end: at("2026-02-01T00:00:00Z"),
            amount: Money::new(Token::Glm, 2_500_000_000_000_000_000, 18),
            source: "invoices of 2026-01".into(),
        }])
    }
    async fn health_check(&self) -> HealthStatus {
        HealthStatus::Healthy
    }
    fn capabilities(&self) -> Vec<Capability> {
        Vec::new()
    }
}

#[tokio::test]
async fn payouts_are_stored_once_listed_newest_first_and_exported_exactly() {
    let app = TestApp::builder()
        .clock_at("2026-03-05T00:00:00Z")
        .adapter(Arc::new(PaidNode {
            id: "golem:main".parse().unwrap(),
        }))
        .build();
    let mut events = app.state.subscribe();
    let first = ops::scan_payouts(&app.state).await.unwrap();
    // Progress: one event for the one node (2 payouts + 1 period so far), then the final one.
    let mut progress = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let orcha_api::dto::Event::MoneyScan(p) = e {
            progress.push((p.node, p.done, p.total, p.added, p.finished));
        }
    }
    assert_eq!(
        progress,
        vec![
            (Some("golem:main".to_owned()), 1, 1, 3, false),
            (None, 1, 1, 3, true)
        ]
    );
    assert_eq!(first.added.len(), 2);
    assert_eq!(first.periods_added, 1, "{:?}", first.gaps);
    assert!(first.gaps.is_empty());
    // A second read of the same record adds nothing.
    let again = ops::scan_payouts(&app.state).await.unwrap();
    assert!(again.added.is_empty());
    assert_eq!(again.periods_added, 0);
    // The backfilled January is an earned row of the export, with its source as reference.
    let january = ops::export_earnings(
        &app.state,
        ExportQuery {
            from: "2026-01-01".into(),
            to: "2026-01-31".into(),
            format: "csv".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(january.rows, 1);
    assert!(
        january.content.contains(
            "2026-01-01T00:00:00Z,"
        ) && january.content.contains(
            ",golem:main,golem,earned,glm,2.500000000000000000,no price,no price,usd,no price,,invoices of 2026-01\r\n"
        ),
        "{}",
        january.content
    );

    let listed = ops::payouts(
        &app.state,
        PayoutsQuery {
            from: at("2026-03-01T00:00:00Z"),
            to: at("2026-04-01T00:00:00Z"),
        },
    )
    .await
    .unwrap();
    let got: Vec<(&str, &str)> = listed
        .iter()
        .map(|p| (p.reference.as_deref().unwrap(), p.amount.decimal.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("p2", "0.005000000000000000"),
            ("p1", "1.250000000000000000")
        ]
    );

    let file = ops::export_earnings(
        &app.state,
        ExportQuery {
            from: "2026-03-01".into(),
            to: "2026-03-31".into(),
            format: "csv".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(file.rows, 2);
    assert_eq!(file.media_type, "text/csv");
    // No GLM price was recorded: the rows say so instead of valuing the payouts at 0.
    assert!(file.content.contains(
        ",golem:main,golem,payout,glm,1.250000000000000000,no price,no price,usd,no price,,p1\r\n"
    ));

    let bad = ops::export_earnings(
        &app.state,
        ExportQuery {
            from: "2026-03-01".into(),
            to: "2026-03-31".into(),
            format: "xlsx".into(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(bad.code, ErrorCode::BadRequest);
}

/// A webhook receiver on loopback that keeps every body it is sent.
async fn webhook() -> (String, Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = Arc::clone(&seen);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let keep = Arc::clone(&keep);
            async move {
                keep.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                "ok"
            }
        }),
    );
    (orcha_testkit::net::stub(app).await, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_payout_is_announced_at_info_only_when_the_operator_opted_in() {
    for opted_in in [false, true] {
        let (base, seen) = webhook().await;
        let mut config = orcha_core::config::Config::default();
        config.alerts.webhook_url = format!("{base}/hook");
        config.alerts.notify_payouts = opted_in;
        let app = TestApp::builder()
            .config(config)
            .clock_at("2026-03-05T00:00:00Z")
            .adapter(Arc::new(PaidNode {
                id: "golem:main".parse().unwrap(),
            }))
            .build();
        let scan = orcha_api::payouts::scan(&app.state, std::time::Duration::from_secs(5)).await;
        let now = app.state.clock.now();
        for (node, e) in &scan.added {
            orcha_api::alerts::notify_payout(
                &app.state,
                orcha_api::payouts::payout_note(node, e, now),
                &e.key,
            );
        }
        orcha_api::alerts::flush(&app.state).await;
        let got = seen.lock().unwrap().clone();
        if !opted_in {
            assert!(got.is_empty(), "{got:?}");
            continue;
        }
        let messages: Vec<(&str, &str)> = got
            .iter()
            .map(|b| {
                (
                    b["severity"].as_str().unwrap(),
                    b["message"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            messages,
            [
                (
                    "info",
                    "golem:main: 1.250000000000000000 GLM paid out on 2026-03-01 (reference p1)"
                ),
                (
                    "info",
                    "golem:main: 0.005000000000000000 GLM paid out on 2026-03-02 (reference p2)"
                ),
            ]
        );
    }
}

/// A fake CoinGecko speaking `market_chart/range`: GLM at 0.25 USD on 1 March and 0.20 on
/// 2 March (midnight UTC), the shape the real API answers.
async fn fake_range() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = Arc::clone(&asked);
    let app = axum::Router::new().route(
        "/api/v3/coins/{id}/market_chart/range",
        axum::routing::get(move |req: axum::extract::Request| {
            let keep = Arc::clone(&keep);
            async move {
                keep.lock().unwrap().push(req.uri().to_string());
                r#"{"prices":[[1772323200000,0.25],[1772409600000,0.2]],"market_caps":[],"total_volumes":[]}"#
            }
        }),
    );
    (
        format!("{}/api/v3", orcha_testkit::net::stub(app).await),
        asked,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_prices_are_cached_once_and_value_each_payout_at_its_own_day() {
    let (base, asked) = fake_range().await;
    let app = TestApp::builder()
        .configure(|c| c.prices.base_url = base)
        .clock_at("2026-03-05T00:00:00Z")
        .adapter(Arc::new(PaidNode {
            id: "golem:main".parse().unwrap(),
        }))
        .build();
    ops::scan_payouts(&app.state).await.unwrap();
    let (from, to) = (at("2026-02-01T00:00:00Z"), at("2026-03-05T00:00:00Z"));
    let first = orcha_api::price_history::backfill(&app.state, from, to).await;
    assert_eq!(first.recorded, vec![("glm".to_owned(), 2)]);
    assert!(first.gaps.is_empty());
    // The range asked for, in Unix seconds, for GLM (`golem` on CoinGecko).
    assert_eq!(
        asked.lock().unwrap()[0],
        "/api/v3/coins/golem/market_chart/range?vs_currency=usd&from=1769904000&to=1772668800"
    );
    // Cached: a second backfill stores nothing new.
    let again = orcha_api::price_history::backfill(&app.state, from, to).await;
    assert_eq!(again.recorded, vec![("glm".to_owned(), 0)]);

    let file = ops::export_earnings(
        &app.state,
        ExportQuery {
            from: "2026-03-01".into(),
            to: "2026-03-31".into(),
            format: "csv".into(),
        },
    )
    .await
    .unwrap();
    // 1.25 GLM × 0.25 = 0.3125 → 0.31 (price of 1 March); 0.005 GLM × 0.20 = 0.001 → 0.00
    // (price of 2 March, 10 h away, nearer than 1 March's).
    assert!(file.content.contains("2026-03-01T10:00:00Z,"));
    assert!(file.content.contains(
        ",golem,payout,glm,1.250000000000000000,0.25,0.31,usd,coingecko market_chart/range,2026-03-01T00:00:00Z,p1\r\n"
    ), "{}", file.content);
    assert!(file.content.contains(
        ",golem,payout,glm,0.005000000000000000,0.2,0.00,usd,coingecko market_chart/range,2026-03-02T00:00:00Z,p2\r\n"
    ), "{}", file.content);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fiat_history_sums_each_day_at_its_own_price_per_bucket() {
    let (base, _) = fake_range().await;
    let app = TestApp::builder()
        .configure(|c| c.prices.base_url = base)
        .clock_at("2026-03-10T00:00:00Z")
        .adapter(Arc::new(PaidNode {
            id: "golem:main".parse().unwrap(),
        }))
        .build();
    let node: NodeId = "golem:main".parse().unwrap();
    // Lifetime GLM: +2 on 1 March, +1 on 2 March, +4 on 9 March (no price within 36 h).
    let glm = |whole: i128| Money::new(Token::Glm, whole * 10i128.pow(18), 18);
    for (when, whole) in [
        ("2026-02-28T12:00:00Z", 10),
        ("2026-03-01T12:00:00Z", 12),
        ("2026-03-02T12:00:00Z", 13),
        ("2026-03-09T12:00:00Z", 17),
    ] {
        let (n, e) = (
            node.clone(),
            EarningsData {
                observed_at: at(when),
                figures: vec![(EarningsKind::Lifetime, glm(whole))],
            },
        );
        app.state
            .db(move |s| s.insert_earnings(&n, &e))
            .await
            .unwrap();
    }
    orcha_api::price_history::backfill(
        &app.state,
        at("2026-02-01T00:00:00Z"),
        at("2026-03-05T00:00:00Z"),
    )
    .await;
    let history = |bucket: &str| {
        let state = Arc::clone(&app.state);
        let bucket = bucket.to_owned();
        async move {
            ops::fiat_history(
                &state,
                orcha_api::dto::FiatHistoryQuery {
                    from: at("2026-03-01T00:00:00Z"),
                    to: at("2026-04-01T00:00:00Z"),
                    bucket,
                },
            )
            .await
            .unwrap()
            .buckets
            .iter()
            .map(|b| {
                let p = &b.protocols[0];
                (
                    b.start.format("%Y-%m-%d").to_string(),
                    p.fiat.clone(),
                    p.unpriced_days,
                )
            })
            .collect::<Vec<_>>()
        }
    };
    let s = |d: &str, f: &str, u: u32| (d.to_owned(), f.to_owned(), u);
    // 2 × 0.25 = 0.50 on 1 March; 1 × 0.20 = 0.20 on 2 March; 9 March has no price.
    assert_eq!(
        history("day").await,
        vec![
            s("2026-03-01", "0.50", 0),
            s("2026-03-02", "0.20", 0),
            s("2026-03-09", "0.00", 1)
        ]
    );
    // 1 March is a Sunday: its week began on Monday 23 February.
    assert_eq!(
        history("week").await,
        vec![
            s("2026-02-23", "0.50", 0),
            s("2026-03-02", "0.20", 0),
            s("2026-03-09", "0.00", 1)
        ]
    );
    assert_eq!(history("month").await, vec![s("2026-03-01", "0.70", 1)]);
}

#[tokio::test]
async fn the_dashboard_totals_and_the_export_read_the_same_storj_month() {
    let app = TestApp::builder()
        .clock_at("2026-03-05T00:00:00Z")
        .node(orcha_testkit::FakeNode::new("storj:disk1"))
        .build();
    let node: NodeId = "storj:disk1".parse().unwrap();
    let usd = |e4: i128| Money::new(Token::Usd, e4, 4);
    // Accrued this month: 5.00 → 6.00 on 28 Feb, the new month 0.20 on 1 Mar, 1.00 on 4 Mar.
    for (when, v) in [
        ("2026-02-28T10:00:00Z", 50_000),
        ("2026-02-28T23:00:00Z", 60_000),
        ("2026-03-01T01:00:00Z", 2_000),
        ("2026-03-04T12:00:00Z", 10_000),
    ] {
        let (n, e) = (
            node.clone(),
            EarningsData {
                observed_at: at(when),
                figures: vec![(EarningsKind::CurrentPeriodAccrued, usd(v))],
            },
        );
        app.state
            .db(move |s| s.insert_earnings(&n, &e))
            .await
            .unwrap();
    }
    // 1.00 (28 Feb) + 0.20 (the new month) + 0.80 = 2.00 USD over the last 7 days.
    let totals = ops::earnings_totals(&app.state).await.unwrap();
    let week = totals.nodes[0]
        .windows
        .iter()
        .find(|w| w.window == "7d")
        .unwrap();
    assert_eq!(week.amount.as_ref().unwrap().decimal, "2.0000");
    let file = ops::export_earnings(
        &app.state,
        ExportQuery {
            from: "2026-02-26".into(),
            to: "2026-03-04".into(),
            format: "json".into(),
        },
    )
    .await
    .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&file.content).unwrap();
    let amounts: Vec<&str> = rows.iter().map(|r| r["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts, ["1.0000", "0.2000", "0.8000"]);
}
