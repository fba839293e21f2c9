//! The settings checks and file edits, without a running app.

use std::path::Path;

use orcha_core::config::Config;

use super::*;

fn entry(table: &[&str], k: &str, v: Setting) -> Entry {
    Entry {
        place: key(table, k),
        value: v,
    }
}

#[test]
fn edit_keeps_comments_and_creates_missing_tables() {
    let text = "# my orcha\n[protocols.storj]\n# the dashboard\napi_endpoint = \"http://127.0.0.1:14002\" # local\nenabled = true\n";
    let e1 = entry(
        &["protocols", "storj"],
        "api_endpoint",
        Setting::Str("http://10.0.0.2:14002".into()),
    );
    let e2 = entry(&["allocation"], "reserve_cpu_cores", Setting::Float(2.0));
    let out = edit(text, &[("a".into(), e1), ("b".into(), e2)]).unwrap();
    assert!(
        out.starts_with("# my orcha\n[protocols.storj]\n# the dashboard\n"),
        "{out}"
    );
    assert!(
        out.contains("api_endpoint = \"http://10.0.0.2:14002\" # local"),
        "{out}"
    );
    assert!(
        out.contains("[allocation]\nreserve_cpu_cores = 2.0"),
        "{out}"
    );
    let c = Config::from_toml(&out, Path::new("x.toml")).unwrap();
    assert!((c.allocation.reserve_cpu_cores - 2.0).abs() < f64::EPSILON);
}

#[test]
fn edit_finds_extra_nodes_in_both_spellings() {
    let e = || {
        vec![(
            "f".to_owned(),
            Entry {
                place: Place::ExtraNode {
                    protocol: "storj".into(),
                    name: "disk2".into(),
                },
                value: Setting::Str("http://127.0.0.1:15000".into()),
            },
        )]
    };
    let tables = "[protocols.storj]\n[[protocols.storj.nodes]]\nname = \"disk2\"\napi_endpoint = \"http://x:1\"\n";
    assert!(edit(tables, &e()).unwrap().contains("15000"));
    let inline =
        "[protocols.storj]\nnodes = [{ name = \"disk2\", api_endpoint = \"http://x:1\" }]\n";
    assert!(edit(inline, &e()).unwrap().contains("15000"));
    let gone = "[protocols.storj]\n";
    assert!(edit(gone, &e()).unwrap_err().contains("not in the file"));
}

#[test]
fn urls_are_checked_for_shape_port_and_credentials() {
    assert!(check_url("http://127.0.0.1:14002", true).is_ok());
    assert!(check_url("https://api.getgrass.io", true).is_ok());
    assert!(check_url("", false).is_ok());
    assert!(check_url("", true).unwrap_err().contains("Enter a URL"));
    assert!(check_url("localhost:7465", true)
        .unwrap_err()
        .contains("http://"));
    assert!(check_url("not a url", true).unwrap_err().contains("spaces"));
    assert!(check_url("ftp://x", true).unwrap_err().contains("http://"));
    assert!(check_url("http://x:70000", true)
        .unwrap_err()
        .contains("65535"));
    assert!(check_url("http://x:0", true).unwrap_err().contains("65535"));
    assert!(check_url("http://u:p@x", true)
        .unwrap_err()
        .contains("credential"));
    assert!(check_url("https://x/h?token=abc", true)
        .unwrap_err()
        .contains("credential"));
}

#[test]
fn only_changed_fields_are_checked_and_cross_field_rules_follow_them() {
    let mut c = Config::default();
    c.protocols.grass.enabled = true;
    c.protocols.grass.poll_interval = 5;
    let before = flatten(&values_of(&c));
    let mut v = values_of(&c);
    v.budget.reserve_cpu_cores = 2.0;
    let after = flatten(&v);
    let changed = differing(&before, &after);
    assert_eq!(
        changed.iter().collect::<Vec<_>>(),
        ["budget.reserve_cpu_cores"]
    );
    assert!(
        validate(&changed, &after).is_ok(),
        "an untouched demo value is not re-judged"
    );
    v.protocols[3].poll_interval_secs = 60;
    let after = flatten(&v);
    let e = validate(&differing(&before, &after), &after).unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("protocols.grass.poll_interval_secs")
    );
}
