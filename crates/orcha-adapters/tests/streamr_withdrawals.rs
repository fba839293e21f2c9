//! The Streamr owner's withdrawals over real JSON-RPC: the Operator contract's `Undelegated`
//! events of the owner become payouts at their block's time, the transaction hash as reference.

#![allow(clippy::unwrap_used)]

use common::json_body;
use orcha_core::{AdapterError, Money, PayoutKind, ProtocolAdapter, Token};
use serde_json::json;
use streamr_fake::*;

mod common;
mod streamr_fake;

#[tokio::test]
async fn the_owners_undelegations_are_payouts_with_the_tx_hash() {
    let f = fake();
    let base = f.serve().await;
    let a = adapter(&base);
    let got = a.payouts().await.unwrap();
    // 0x43ca2c749129fa0000 wei = 1 250.5 DATA at block 80 000 000 (0x692cda80 = 2025-12-01
    // 00:00:00 UTC); 0x1043561a8829300000 wei = 300 DATA at block 80 543 210 (0x693fff48 =
    // 2025-12-15 12:30:00 UTC).
    let rows: Vec<_> = got
        .iter()
        .map(|e| {
            (
                e.key.as_str(),
                e.kind,
                e.amount,
                e.at,
                e.reference.as_deref(),
            )
        })
        .collect();
    let tx1 = "0xabcd00000000000000000000000000000000000000000000000000000000abcd";
    let tx2 = "0xef0100000000000000000000000000000000000000000000000000000000ef01";
    assert_eq!(
        rows,
        vec![
            (
                format!("streamr:{tx1}:2").as_str(),
                PayoutKind::Payout,
                Money::new(Token::Data, 1_250_500_000_000_000_000_000, 18),
                common::t("2025-12-01T00:00:00Z"),
                Some(tx1)
            ),
            (
                format!("streamr:{tx2}:7").as_str(),
                PayoutKind::Payout,
                Money::new(Token::Data, 300_000_000_000_000_000_000, 18),
                common::t("2025-12-15T12:30:00Z"),
                Some(tx2)
            ),
        ]
    );
    assert!(
        got[0].detail.contains("block 80000000"),
        "{}",
        got[0].detail
    );
    // The same record read again gives the same keys (stored once).
    let again = a.payouts().await.unwrap();
    assert_eq!(
        again.iter().map(|e| &e.key).collect::<Vec<_>>(),
        got.iter().map(|e| &e.key).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn an_rpc_error_or_no_rpc_is_a_reason_not_a_zero() {
    let f = fake();
    let base = f.serve().await;
    let a = adapter(&base);
    // An error object (here for every call) is reported with the call it concerns.
    f.set(
        "rpc",
        json_body(&json!([{"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": "query returned more than 10000 results"}}])),
    );
    let e = a.payouts().await.unwrap_err();
    assert!(e.to_string().contains("owner(): RPC error -32005"), "{e}");
    let mut s = settings(&base, NOW);
    s.rpc_url = None;
    let b = adapter_with(s);
    assert!(matches!(
        b.payouts().await,
        Err(AdapterError::Unsupported { what }) if what.contains("rpc_url")
    ));
}
