//! Grass's past epochs as earned periods over real HTTP: closed epochs only, in points, keyed by
//! their start; the running epoch, 0-point and undated epochs left out.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{clock, raw, Recorded, Replay};
use orcha_adapters::grass::{GrassAdapter, GrassSettings};
use orcha_adapters::streamr::LocalProcess;
use orcha_core::secret::Sensitive;
use orcha_core::{AdapterError, ManualClock, Money, ProtocolAdapter, Token};

mod common;

const GRASS: Recorded = Recorded("grass");
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.made-up-session-token.sig";

/// The dashboard API answering the history input only, with the raw token.
fn api() -> Replay {
    let api = Replay::answering(|_, req| {
        if req.path == "/epochEarnings" {
            assert_eq!(
                req.query.as_deref(),
                Some("input=%7B%22isLatestOnly%22%3Afalse%7D")
            );
        }
        (req.authorization() != Some(TOKEN)).then(|| {
            raw(
                StatusCode::UNAUTHORIZED,
                "application/json",
                r#"{"error":{"message":"UNAUTHORIZED","code":-32001}}"#,
            )
        })
    });
    api.set(
        "/epochEarnings",
        GRASS.fixture("epochEarnings.history.constructed.json"),
    );
    api
}

fn adapter(base: &str, token: Option<&str>, clock: Arc<ManualClock>) -> GrassAdapter {
    let mut s = GrassSettings::new(base, token.map(|t| Sensitive::new(t.to_owned())), clock);
    s.timeout = Duration::from_millis(800);
    s.process = LocalProcess::Unchecked;
    GrassAdapter::new("grass:main".parse().unwrap(), s).unwrap()
}

fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
    common::t(s)
}

#[tokio::test]
async fn closed_epochs_are_earned_periods_in_points() {
    let api = api();
    let base = api.serve().await;
    // 2 March, 12:00: Epoch 100 ended 36 h ago, too recently to be settled (48 h): only 99.
    let a = adapter(&base, Some(TOKEN), clock("2026-03-02T12:00:00Z"));
    let early = a.earnings_history().await.unwrap();
    assert_eq!(
        early.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(),
        vec!["grass:epoch:2026-01-01T00:00:00Z"]
    );
    // 3 March, 12:00: Epoch 101 runs until 31 March; 100 (ended 60 h ago) and 99 are closed.
    let a = adapter(&base, Some(TOKEN), clock("2026-03-03T12:00:00Z"));
    let periods = a.earnings_history().await.unwrap();
    let got: Vec<_> = periods
        .iter()
        .map(|p| (p.key.as_str(), p.start, p.end, p.amount, p.source.as_str()))
        .collect();
    // 12 345.67 and 8 000.125 points at 6 decimals: 12 345 670 000 and 8 000 125 000 units.
    assert_eq!(
        got,
        vec![
            (
                "grass:epoch:2026-01-01T00:00:00Z",
                t("2026-01-01T00:00:00Z"),
                t("2026-01-31T23:59:59Z"),
                Money::new(Token::Points, 12_345_670_000, 6),
                "epochEarnings Epoch 99 (made up)"
            ),
            (
                "grass:epoch:2026-02-01T00:00:00Z",
                t("2026-02-01T00:00:00Z"),
                t("2026-02-28T23:59:59Z"),
                Money::new(Token::Points, 8_000_125_000, 6),
                "epochEarnings Epoch 100 (made up)"
            ),
        ]
    );
    assert!(periods.iter().all(|p| p.amount.token == Token::Points));
}

#[tokio::test]
async fn without_a_token_the_history_is_refused_with_the_hint() {
    let api = api();
    let base = api.serve().await;
    let a = adapter(&base, None, clock("2026-03-02T12:00:00Z"));
    match a.earnings_history().await {
        Err(AdapterError::Unauthorized { hint, .. }) => assert!(hint.contains("accessToken")),
        other => panic!("{other:?}"),
    }
    let a = adapter(&base, Some("not-the-token"), clock("2026-03-02T12:00:00Z"));
    assert!(matches!(
        a.earnings_history().await,
        Err(AdapterError::Unauthorized { .. })
    ));
}
