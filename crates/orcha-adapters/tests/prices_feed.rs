//! The price feed over real HTTP against a fake CoinGecko: caching, staleness, 429 back-off, unknown tokens, fixed prices and exact conversion.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use common::{raw, t, Replay};
use orcha_adapters::prices::{
    convert, CoinGecko, Conversion, FixedMode, FixedPrice, PriceAsset, PriceFeed, PriceSettings,
    PriceSource, PriceState, RefreshOutcome,
};
use orcha_core::secret::Sensitive;
use orcha_core::{AdapterError, ManualClock, Money, Token};

mod common;

const KEY: &str = "cg-demo-key-7e7e7e";

/// CoinGecko's real `/simple/price` shape: one object per known id, the fiat as key, and
/// `last_updated_at` in Unix seconds. Ids CoinGecko does not know are simply missing (GRASS here).
const PRICES: &str = r#"{
  "golem": {"usd": 0.2512, "last_updated_at": 1767225590},
  "streamr": {"usd": 0.0123, "last_updated_at": 1767225580},
  "storj": {"usd": 0.31, "last_updated_at": 1767225570},
  "polygon-ecosystem-token": {"usd": 0.19, "last_updated_at": 1767225560}
}"#;

const PRICE: &str = "/api/v3/simple/price";

/// CoinGecko answering `/simple/price` with the answer set last; a missing key or any other
/// path gets 401.
struct Fake(Replay);

impl Fake {
    fn new() -> Self {
        let r = Replay::answering(|_, req| {
            let key_ok = req.header("x-cg-demo-api-key") == Some(KEY);
            (req.path != PRICE || !key_ok)
                .then(|| raw(StatusCode::UNAUTHORIZED, "application/json", "{}"))
        });
        r.set(PRICE, raw(StatusCode::OK, "application/json", PRICES));
        Fake(r)
    }
    fn set(&self, status: StatusCode, ct: &'static str, body: &str, retry: Option<&'static str>) {
        let mut c = raw(status, ct, body);
        c.retry_after = retry;
        self.0.set(PRICE, c);
    }
    fn hits(&self) -> usize {
        self.0.requests().len()
    }
    async fn serve(&self) -> String {
        format!("{}/api/v3", self.0.serve().await)
    }
}

fn feed(base: &str, clock: &ManualClock, settings: PriceSettings) -> PriceFeed {
    let clock: Arc<ManualClock> = Arc::new(clock.clone());
    let cg = CoinGecko::new(
        base,
        Some(Sensitive::new(KEY.to_owned())),
        Duration::from_millis(800),
        clock.clone(),
    )
    .unwrap();
    PriceFeed::new(Some(Arc::new(cg)), settings, clock)
}

fn known(s: PriceState) -> (String, String, bool) {
    match s {
        PriceState::Known { price, stale } => (price.value, price.source, stale),
        PriceState::NoPrice => panic!("expected a price"),
    }
}

#[tokio::test]
async fn prices_are_fetched_cached_and_marked_stale() {
    let fake = Fake::new();
    let base = fake.serve().await;
    let clock = ManualClock::new(t("2026-01-01T00:00:00Z"));
    let f = feed(&base, &clock, PriceSettings::default());

    let PriceState::Known { price, stale } = f.price(PriceAsset::Data).await else {
        panic!("DATA must be priced")
    };
    assert_eq!(
        (price.value.as_str(), price.fiat.as_str(), stale),
        ("0.0123", "usd", false)
    );
    assert_eq!(price.source, "coingecko");
    assert_eq!(price.observed_at, t("2025-12-31T23:59:40Z"));
    let q = fake.0.requests()[0].clone();
    assert!(
        q.contains("ids=golem,streamr,storj,polygon-ecosystem-token,grass")
            && q.contains("vs_currencies=usd"),
        "{q}"
    );
    assert_eq!(known(f.state(PriceAsset::Glm)).0, "0.2512");
    assert_eq!(known(f.state(PriceAsset::Pol)).0, "0.19");
    // CoinGecko leaves out ids it does not know: GRASS has no price, not a zero one.
    assert_eq!(f.state(PriceAsset::Grass), PriceState::NoPrice);
    // No operator value per point: points stay points.
    assert_eq!(f.state(PriceAsset::GrassPoint), PriceState::NoPrice);

    // Within 15 minutes the cache answers.
    clock.advance(chrono::Duration::minutes(14));
    assert_eq!(f.refresh().await.unwrap(), RefreshOutcome::NotDue);
    assert_eq!(fake.hits(), 1);
    clock.advance(chrono::Duration::minutes(2));
    assert!(matches!(
        f.refresh().await.unwrap(),
        RefreshOutcome::Refreshed(_)
    ));
    assert_eq!(fake.hits(), 2);

    // The source goes away: after 30 minutes without an answer the price is stale, but kept.
    fake.set(
        StatusCode::SERVICE_UNAVAILABLE,
        "application/json",
        "{}",
        None,
    );
    clock.advance(chrono::Duration::minutes(29));
    assert!(f.refresh().await.is_err());
    assert!(!known(f.state(PriceAsset::Data)).2);
    clock.advance(chrono::Duration::minutes(2));
    assert_eq!(
        known(f.state(PriceAsset::Data)),
        ("0.0123".into(), "coingecko".into(), true)
    );
}

#[tokio::test]
async fn a_429_backs_off_exponentially_without_asking_again() {
    let fake = Fake::new();
    let base = fake.serve().await;
    let clock = ManualClock::new(t("2026-01-01T00:00:00Z"));
    let f = feed(&base, &clock, PriceSettings::default());
    fake.set(
        StatusCode::TOO_MANY_REQUESTS,
        "text/html",
        "<!doctype html><title>429</title>",
        Some("30"),
    );
    let e = f.refresh().await.unwrap_err();
    assert!(matches!(e, AdapterError::RateLimited { .. }), "{e}");
    assert!(e.to_string().contains("/simple/price"), "{e}");
    assert!(!e.to_string().contains(KEY));
    // Base 60 s beats the 30 s Retry-After.
    assert_eq!(f.backoff_until(), Some(t("2026-01-01T00:01:00Z")));
    let e = f.refresh().await.unwrap_err();
    assert!(
        matches!(e, AdapterError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(60)),
        "{e}"
    );
    assert_eq!(fake.hits(), 1, "no request during the back-off");
    clock.advance(chrono::Duration::seconds(61));
    assert!(f.refresh().await.is_err());
    assert_eq!(fake.hits(), 2);
    assert_eq!(
        f.backoff_until(),
        Some(t("2026-01-01T00:03:01Z")),
        "doubled to 120 s"
    );
    // A Retry-After longer than the exponential wait wins.
    fake.set(
        StatusCode::TOO_MANY_REQUESTS,
        "application/json",
        "{}",
        Some("900"),
    );
    clock.advance(chrono::Duration::seconds(121));
    assert!(f.refresh().await.is_err());
    assert_eq!(f.backoff_until(), Some(t("2026-01-01T00:18:02Z")));
    // Back to normal: the first success clears the back-off.
    fake.set(StatusCode::OK, "application/json", PRICES, None);
    clock.advance(chrono::Duration::minutes(16));
    assert!(matches!(
        f.refresh().await.unwrap(),
        RefreshOutcome::Refreshed(_)
    ));
    assert_eq!(f.backoff_until(), None);
    assert_eq!(f.state(PriceAsset::Data), f.state(PriceAsset::Data));
}

#[tokio::test]
async fn fixed_prices_override_or_stand_in_and_points_use_the_operators_value() {
    let fake = Fake::new();
    let base = fake.serve().await;
    let clock = ManualClock::new(t("2026-01-01T00:00:00Z"));
    let mut settings = PriceSettings::default();
    let entered = t("2025-12-01T00:00:00Z");
    settings.fixed.insert(
        PriceAsset::Glm,
        FixedPrice {
            value: "0.30".into(),
            mode: FixedMode::Override,
            entered_at: entered,
        },
    );
    settings.fixed.insert(
        PriceAsset::Data,
        FixedPrice {
            value: "0.02".into(),
            mode: FixedMode::Fallback,
            entered_at: entered,
        },
    );
    settings.fixed.insert(
        PriceAsset::Grass,
        FixedPrice {
            value: "1.5".into(),
            mode: FixedMode::Fallback,
            entered_at: entered,
        },
    );
    settings.points_value = Some("0.0001".into());
    let f = feed(&base, &clock, settings);
    // Before any fetch: overrides and fallbacks answer, the rest has no price.
    assert_eq!(
        known(f.state(PriceAsset::Glm)),
        ("0.30".into(), "operator".into(), false)
    );
    assert_eq!(known(f.state(PriceAsset::Data)).1, "operator");
    assert_eq!(f.state(PriceAsset::Storj), PriceState::NoPrice);
    f.refresh().await.unwrap();
    let q = fake.0.requests()[0].clone();
    assert!(
        !q.contains("golem"),
        "an overridden token is not fetched: {q}"
    );
    assert_eq!(known(f.state(PriceAsset::Glm)).0, "0.30", "override wins");
    assert_eq!(
        known(f.state(PriceAsset::Data)).1,
        "coingecko",
        "market wins over a fallback"
    );
    assert_eq!(
        known(f.state(PriceAsset::Grass)).1,
        "operator",
        "unknown to the source: fallback"
    );
    clock.advance(chrono::Duration::minutes(31));
    assert_eq!(
        known(f.state(PriceAsset::Data)),
        ("0.02".into(), "operator".into(), false),
        "a stale market price gives way to the operator's fallback"
    );

    // Points: the operator's assumption, stored with its source.
    let pts = Money::new(Token::Points, 12_345_670_000, 6);
    let Conversion::Value(v) = f.convert(&pts).unwrap() else {
        panic!("points have a value")
    };
    assert_eq!(v.value, "1.234567");
    assert_eq!(v.price.source, "operator-assumption");
    assert_eq!(v.price.asset, PriceAsset::GrassPoint);
    // Fiat amounts are not converted here: "no price", never a zero.
    assert_eq!(
        f.convert(&Money::new(Token::Usd, 1234, 2)).unwrap(),
        Conversion::NoPrice { token: Token::Usd }
    );
}

#[tokio::test]
async fn conversion_records_the_price_used_and_no_price_is_its_own_state() {
    let fake = Fake::new();
    let base = fake.serve().await;
    let clock = ManualClock::new(t("2026-01-01T00:00:00Z"));
    let f = feed(&base, &clock, PriceSettings::default());
    assert!(matches!(
        f.convert(&Money::new(Token::Data, 1, 18)).unwrap(),
        Conversion::NoPrice { token: Token::Data }
    ));
    f.refresh().await.unwrap();
    // 1291.28 DATA (the Streamr fixture's uncollected earnings) × 0.0123 = 15.882744 USD.
    let data = Money::new(Token::Data, 1_291_280_000_000_000_000_000, 18);
    let Conversion::Value(v) = f.convert(&data).unwrap() else {
        panic!("DATA is priced")
    };
    assert_eq!((v.value.as_str(), v.fiat.as_str()), ("15.882744", "usd"));
    assert_eq!(v.rounded(2), "15.88");
    assert_eq!(v.price.asset.token(), Some(Token::Data));
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["price"]["value"], "0.0123");
    assert_eq!(json["price"]["source"], "coingecko");
    assert_eq!(json["price"]["observed_at"], "2025-12-31T23:59:40Z");
    // The same amount converted later with another price keeps its own record.
    let old = v.price.clone();
    fake.set(
        StatusCode::OK,
        "application/json",
        r#"{"streamr":{"usd":0.02}}"#,
        None,
    );
    clock.advance(chrono::Duration::minutes(16));
    f.refresh().await.unwrap();
    let Conversion::Value(w) = f.convert(&data).unwrap() else {
        panic!()
    };
    assert_eq!(w.value, "25.8256");
    assert_eq!(
        w.price.observed_at,
        clock_now(&clock),
        "no last_updated_at: fetch time"
    );
    assert_eq!(convert(&data, &old, false).unwrap().value, "15.882744");
    let json = serde_json::to_value(f.convert(&Money::new(Token::Usd, 1, 2)).unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"state": "no_price", "token": "usd"})
    );
}

fn clock_now(c: &ManualClock) -> DateTime<Utc> {
    use orcha_core::Clock;
    c.now()
}

#[tokio::test]
async fn broken_answers_are_errors_naming_the_field_and_timeouts_are_timeouts() {
    let fake = Fake::new();
    let base = fake.serve().await;
    let clock = ManualClock::new(t("2026-01-01T00:00:00Z"));
    let cg = CoinGecko::new(
        &base,
        Some(Sensitive::new(KEY.to_owned())),
        Duration::from_millis(500),
        Arc::new(clock.clone()),
    )
    .unwrap();
    for (body, needle) in [
        (r#"{"golem":{"usd":"0.25"}}"#, "golem.usd"),
        (r#"{"golem":{"usd":-1}}"#, "golem.usd"),
        (r#"["golem"]"#, "invalid type"),
        ("<!doctype html>", "HTML"),
    ] {
        fake.set(StatusCode::OK, "application/json", body, None);
        let e = cg.fetch(&PriceAsset::MARKET, "usd").await.unwrap_err();
        assert!(
            matches!(e, AdapterError::Malformed { .. }) && e.to_string().contains(needle),
            "{needle}: {e}"
        );
    }
    // A zero price is "no price" (CoinGecko's answer for a coin without market), not free.
    fake.set(
        StatusCode::OK,
        "application/json",
        r#"{"golem":{"usd":0}}"#,
        None,
    );
    assert!(cg
        .fetch(&PriceAsset::MARKET, "usd")
        .await
        .unwrap()
        .is_empty());
    // Another fiat: the key follows the operator's currency.
    fake.set(
        StatusCode::OK,
        "application/json",
        r#"{"golem":{"eur":0.21,"usd":0.25}}"#,
        None,
    );
    let p = cg.fetch(&[PriceAsset::Glm], "EUR").await.unwrap();
    assert_eq!((p[0].fiat.as_str(), p[0].value.as_str()), ("eur", "0.21"));
    let mut slow = raw(StatusCode::OK, "application/json", PRICES);
    slow.delay = Duration::from_secs(3);
    fake.0.set(PRICE, slow);
    let e = cg.fetch(&PriceAsset::MARKET, "usd").await.unwrap_err();
    assert!(matches!(e, AdapterError::Timeout { .. }), "{e}");
    // A wrong key is Unauthorized and never echoed.
    let bad = CoinGecko::new(
        &base,
        Some(Sensitive::new("wrong-key-1a1a".to_owned())),
        Duration::from_millis(500),
        Arc::new(clock),
    )
    .unwrap();
    let e = bad.fetch(&PriceAsset::MARKET, "usd").await.unwrap_err();
    assert!(matches!(e, AdapterError::Unauthorized { .. }), "{e}");
    assert!(!e.to_string().contains("wrong-key-1a1a"));
}
