//! Property tests of the config parser: arbitrary text never panics, and a wrong value under
//! any key of `config/default.toml` is refused with a message naming that key (or, for a
//! cross-key rule, a key of the same table), the file and — for a parse error — the line.
//! `PROPTEST_CASES` makes a run longer (`scripts/fuzz.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use orcha_core::config::{Config, ConfigError, DEFAULT_TOML};
use proptest::prelude::*;

const FILE: &str = "/etc/orcha/config.toml";

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, Path::new(FILE))
}

/// Every `(table, key)` of the documented defaults, leaves only.
fn keys() -> Vec<(String, String)> {
    fn walk(prefix: &str, t: &toml::Table, out: &mut Vec<(String, String)>) {
        for (k, v) in t {
            match v {
                toml::Value::Table(inner) if !inner.is_empty() => {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, inner, out);
                }
                _ if !prefix.is_empty() => out.push((prefix.to_owned(), k.clone())),
                _ => {}
            }
        }
    }
    let doc: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
    let mut out = Vec::new();
    walk("", &doc, &mut out);
    out
}

/// A TOML value of any type, as text.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        prop::num::f64::NORMAL.prop_map(|f| format!("{f:e}")),
        Just("nan".to_owned()),
        Just("-inf".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        "[a-zA-Z0-9 ._:/-]{0,24}".prop_map(|s| format!("{s:?}")),
        "(ftp|http|https)://[a-z0-9.:]{0,20}(/[a-z]{0,5})?".prop_map(|s| format!("{s:?}")),
        "-?[0-9]{0,6}(\\.[0-9]{0,4})?".prop_map(|s| format!("{s:?}")),
        Just("[]".to_owned()),
        Just("[1, \"a\"]".to_owned()),
        Just("{ x = 1 }".to_owned()),
        Just("1979-05-27T07:32:00Z".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = parse(&text);
    }

    #[test]
    fn arbitrary_bytes_as_lossy_text_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn tomlish_text_never_panics(
        lines in prop::collection::vec(
            prop_oneof![
                "\\[[a-z_.\\[\\]]{0,20}\\]",
                "[a-z_\"]{1,12} ?= ?[ -~]{0,20}",
                "#.{0,10}",
                "[ -~]{0,30}",
            ],
            0..12,
        )
    ) {
        let _ = parse(&lines.join("\n"));
    }

    #[test]
    fn a_wrong_value_is_refused_naming_its_key(
        (table, key) in prop::sample::select(keys()),
        value in value(),
    ) {
        let text = format!("# operator's file\n[{table}]\n{key} = {value}\n");
        match parse(&text) {
            Ok(_) => {}
            Err(ConfigError::Parse { path, line, key: named, message }) => {
                prop_assert_eq!(path.to_str(), Some(FILE));
                prop_assert!((1..=3).contains(&line), "line {} of {:?}", line, text);
                prop_assert!(
                    named.contains(&key) || named.contains(&table),
                    "{:?}: named {:?} ({})", text, named, message
                );
            }
            Err(ConfigError::Invalid { message, .. }) => {
                // A cross-key rule names the dotted key it is about, in the same table.
                let section = table.split('.').next().unwrap_or(&table);
                prop_assert!(
                    message.contains(&key) || message.contains(section),
                    "{:?}: {}", text, message
                );
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}

/// `PROPTEST_CASES` when set (the longer run of `scripts/fuzz.sh`), else `quick`.
fn cases(quick: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(quick)
}
