//! Unit tests of the Golem adapter's conversions.

use orcha_core::{Money, Token};

use super::knobs::per_second_text;
use super::normalize::{mib_to_gib_text, per_hour, split_platform};

#[test]
fn prices_convert_exactly_on_their_digits() {
    assert_eq!(
        per_hour("x", "f", 6.944444444444445e-06)
            .unwrap()
            .to_decimal_string(),
        "0.025000000000000002"
    );
    assert_eq!(
        per_hour("x", "f", 0.0001).unwrap().to_decimal_string(),
        "0.360000000000000000"
    );
    assert_eq!(
        per_second_text(&Money::parse_decimal("0.025", Token::Glm, 18).unwrap()),
        "0.000006944444444444444444"
    );
    assert_eq!(
        per_second_text(&Money::parse_decimal("0.36", Token::Glm, 18).unwrap()),
        "0.0001"
    );
    assert_eq!(mib_to_gib_text(1024), "1");
    assert_eq!(mib_to_gib_text(1536), "1.5");
    assert_eq!(mib_to_gib_text(1), "0.0009765625");
    assert_eq!(
        split_platform("erc20-polygon-glm"),
        ("erc20".into(), "polygon".into(), "glm".into())
    );
}
