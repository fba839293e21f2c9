//! Unit tests of the Streamr adapter's decoding and formatting.

use super::*;

use serde_json::{json, Value};

use super::chain::decode_quantity;
use super::client::redact_url;
use super::health::percent;
use super::normalize::node_id_hex;
use orcha_core::money::trim_decimal;

#[test]
fn helpers_decode_exactly() {
    assert_eq!(percent("0.1"), "10 %");
    assert_eq!(percent("0.25"), "25 %");
    assert_eq!(percent("0.005"), "0.5 %");
    assert_eq!(percent("1"), "100 %");
    assert_eq!(trim_decimal("2.500000000000000000"), "2.5");
    assert_eq!(trim_decimal("5.000"), "5");
    assert_eq!(
        redact_url("https://gateway.thegraph.com/api/SECRETKEY/subgraphs/id/EGW"),
        "https://gateway.thegraph.com/subgraphs/id/EGW"
    );
    assert_eq!(
        redact_url("https://polygon-mainnet.g.alchemy.com/v2/SECRETKEY"),
        "https://polygon-mainnet.g.alchemy.com/…"
    );
    assert_eq!(redact_url("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
    assert_eq!(
        node_id_hex(&json!({"1": 171, "0": 170})).as_deref(),
        Some("aaab")
    );
    assert_eq!(node_id_hex(&json!({"0": 170, "2": 1})), None);
    assert!(decode_quantity("x", "0x22b1c8c1227a0000").is_ok());
    assert!(decode_quantity("x", "22").is_err());
}

#[test]
fn the_info_plugin_is_added_without_touching_the_rest() {
    let cfg = r#"{"client":{"auth":{"privateKey":"K"}},"plugins":{"operator":{"operatorContractAddress":"0x1"}}}"#;
    let out: Value = serde_json::from_str(&enable_info_plugin(cfg).unwrap()).unwrap();
    assert_eq!(out["plugins"]["info"], json!({}));
    assert_eq!(out["plugins"]["operator"]["operatorContractAddress"], "0x1");
    assert_eq!(out["client"]["auth"]["privateKey"], "K");
    let cfg = r#"{"plugins":{"info":{"apiAuthentication":null}}}"#;
    let out: Value = serde_json::from_str(&enable_info_plugin(cfg).unwrap()).unwrap();
    assert_eq!(out["plugins"]["info"], json!({"apiAuthentication": null}));
    assert!(enable_info_plugin("[1]").is_err());
    assert!(enable_info_plugin("{").is_err());
}
