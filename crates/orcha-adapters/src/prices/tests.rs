//! Unit tests of exact conversion, fixed prices and the feed's cache.

use super::*;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use orcha_core::{Money, Token};

use super::convert::{place_point, round_decimal};

fn price(asset: PriceAsset, value: &str) -> Price {
    Price {
        asset,
        fiat: "usd".into(),
        value: value.into(),
        source: "test".into(),
        observed_at: Utc.timestamp_opt(1_767_225_600, 0).single().unwrap(),
    }
}

#[test]
fn conversion_is_exact_and_keeps_the_price() {
    // 1291.28 DATA at 0.0123 USD = 15.882744 USD.
    let data = Money::new(Token::Data, 1_291_280_000_000_000_000_000, 18);
    let v = convert(&data, &price(PriceAsset::Data, "0.0123"), false).unwrap();
    assert_eq!(v.value, "15.882744");
    assert_eq!(v.rounded(2), "15.88");
    assert_eq!(v.price.value, "0.0123");
    // One wei at a tiny price stays exact.
    let wei = Money::new(Token::Glm, 1, 18);
    let v = convert(&wei, &price(PriceAsset::Glm, "0.25"), false).unwrap();
    assert_eq!(v.value, "0.00000000000000000025");
    assert_eq!(v.rounded(2), "0.00");
    // Amounts far beyond i128 products stay exact.
    let big = Money::new(Token::Data, i128::MAX, 18);
    let v = convert(&big, &price(PriceAsset::Data, "123456789.123456789"), false).unwrap();
    assert_eq!(
        v.value,
        "21005084207694523969580463851.721844058022750592191930603"
    );
    let neg = Money::new(Token::Data, -1_500_000_000_000_000_000, 18);
    assert_eq!(
        convert(&neg, &price(PriceAsset::Data, "2"), false)
            .unwrap()
            .value,
        "-3"
    );
    assert!(matches!(
        convert(&data, &price(PriceAsset::Glm, "1"), false),
        Err(PriceError::WrongAsset { .. })
    ));
    for bad in ["0", "-1", "abc", "1e5", ""] {
        assert!(
            convert(&data, &price(PriceAsset::Data, bad), false).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn settings_follow_the_configuration() {
    let mut c = orcha_core::config::Config::default();
    c.allocation
        .fiat_per_token
        .insert("glm".into(), "0.25".into());
    c.allocation
        .fiat_per_token
        .insert("doge".into(), "1".into());
    c.protocols.grass.points_value = " 0.001 ".into();
    let at = Utc.timestamp_opt(0, 0).single().unwrap();
    let s = PriceSettings::from_config(&c, at);
    assert_eq!(s.fixed.len(), 1);
    assert_eq!(s.fixed[&PriceAsset::Glm].mode, FixedMode::Fallback);
    assert_eq!(s.points_value.as_deref(), Some("0.001"));
    assert_eq!(s.fiat, "usd");
    assert_eq!("STREAMR".parse::<PriceAsset>(), Ok(PriceAsset::Data));

    // `[prices]` wins over the older keys and sets the mode, fiat and timing.
    c.prices.fiat = "eur".into();
    c.prices.refresh_minutes = 5;
    c.prices.stale_minutes = 10;
    c.prices.fixed_mode = "override".into();
    c.prices.fixed.insert("glm".into(), "0.3".into());
    c.prices.fixed.insert("usd".into(), "0.9".into());
    c.prices.grass_fiat_per_point = "0.002".into();
    let s = PriceSettings::from_config(&c, at);
    assert_eq!(s.fiat, "eur");
    assert_eq!(s.refresh_every, Duration::from_secs(300));
    assert_eq!(s.stale_after, Duration::from_secs(600));
    assert_eq!(s.fixed.len(), 1, "usd is not an asset");
    assert_eq!(s.fixed[&PriceAsset::Glm].value, "0.3");
    assert_eq!(s.fixed[&PriceAsset::Glm].mode, FixedMode::Override);
    assert_eq!(s.points_value.as_deref(), Some("0.002"));
}

#[test]
fn decimals_add_exactly() {
    assert_eq!(add_decimals("1.25", "0.005").as_deref(), Some("1.255"));
    assert_eq!(add_decimals("999.9", "0.1").as_deref(), Some("1000"));
    assert_eq!(add_decimals("0", "0").as_deref(), Some("0"));
    assert_eq!(
        add_decimals("0.00000000000000000025", "12").as_deref(),
        Some("12.00000000000000000025")
    );
    assert_eq!(add_decimals("-1", "2"), None);
    assert_eq!(add_decimals("1e3", "2"), None);
    let usd = Money::new(Token::Usd, 1234, 2);
    assert_eq!(multiply(&usd, "0.9").unwrap(), "11.106");
    assert!(multiply(&usd, "0").is_err());
}

#[test]
fn rounding_carries() {
    assert_eq!(round_decimal("9.995", 2), "10.00");
    assert_eq!(round_decimal("0.004", 2), "0.00");
    assert_eq!(round_decimal("-1.005", 2), "-1.01");
    assert_eq!(round_decimal("12", 0), "12");
    assert_eq!(place_point(b"000150", 4), "0.015");
    assert_eq!(place_point(b"0", 3), "0");
}
