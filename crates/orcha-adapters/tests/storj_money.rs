//! The Storj adapter's money: what the running month accrued and held (not the projection), and
//! the paystubs as payout events.

#![allow(clippy::unwrap_used)]

use common::clock;
use common::storj::{adapter, current_node, STORJ};
use orcha_core::{EarningsKind, Money, ProtocolAdapter};

mod common;

#[tokio::test]
async fn a_young_node_reports_what_it_accrued_and_what_is_held_not_the_projection() {
    let r = current_node();
    r.set(
        "/api/sno/estimated-payout",
        STORJ.fixture("api_sno_estimated_payout.young.constructed.json"),
    );
    let base = r.serve().await;
    let a = adapter(&base, "main", clock("2026-08-21T11:30:00Z"));
    let e = a.get_current_earnings().await.unwrap();
    let figure = |k| e.get(k).map(Money::to_decimal_string);
    // 25 ¢ egress + 40 ¢ repair/audit + 75 ¢ storage = 140 ¢ = 1.40 USD accrued this month.
    assert_eq!(
        figure(EarningsKind::CurrentPeriodAccrued).as_deref(),
        Some("1.4000")
    );
    // 75 % of 140 ¢ held back in the node's first months = 105 ¢.
    assert_eq!(
        figure(EarningsKind::CurrentPeriodHeld).as_deref(),
        Some("1.0500")
    );
    // The end-of-month projection stays an estimate, in whole cents.
    assert_eq!(
        figure(EarningsKind::CurrentPeriodEstimate).as_deref(),
        Some("2.12")
    );
}

#[tokio::test]
async fn paystubs_become_payout_held_and_release_events_with_the_receipt() {
    let r = current_node();
    let base = r.serve().await;
    let a = adapter(&base, "main", clock("2026-08-21T11:30:00Z"));
    let events = ProtocolAdapter::payouts(&a).await.unwrap();
    // One paystub (2021-07): distributed 12 528 337 and held 2 006 182 micro-USD; disposed 0
    // gives no event.
    let sat = "12EayRS2V1kEsWESU9QMRseFhdxYxKicsiFmxrsLZHeLUtdps3S";
    let got: Vec<(String, String, String, Option<String>)> = events
        .iter()
        .map(|e| {
            (
                e.key.clone(),
                e.amount.to_decimal_string(),
                e.at.to_rfc3339(),
                e.reference.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                format!("storj:{sat}:2021-07:distributed"),
                "12.528337".to_owned(),
                "2021-08-01T00:00:00+00:00".to_owned(),
                // The latest period's payout history carries the transaction receipt.
                Some(
                    "zksync:0x0000000000000000000000000000000000000000000000000000000000000abc"
                        .to_owned()
                ),
            ),
            (
                format!("storj:{sat}:2021-07:held"),
                "2.006182".to_owned(),
                "2021-08-01T00:00:00+00:00".to_owned(),
                Some(format!("paystub 2021-07 {sat}")),
            ),
        ]
    );
}

#[tokio::test]
async fn each_paystub_is_an_earned_period_for_the_backfill() {
    let r = current_node();
    let base = r.serve().await;
    let a = adapter(&base, "main", clock("2026-08-21T11:30:00Z"));
    let periods = a.earnings_history().await.unwrap();
    // held 2 006 182 + owed 6 018 547 micro-USD = 8.024729 USD earned in July 2021.
    let got: Vec<(String, String, String, String)> = periods
        .iter()
        .map(|p| {
            (
                p.key.clone(),
                p.start.to_rfc3339(),
                p.end.to_rfc3339(),
                p.amount.to_decimal_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![(
            "storj:12EayRS2V1kEsWESU9QMRseFhdxYxKicsiFmxrsLZHeLUtdps3S:2021-07".to_owned(),
            "2021-07-01T00:00:00+00:00".to_owned(),
            "2021-08-01T00:00:00+00:00".to_owned(),
            "8.024729".to_owned()
        )]
    );
}
