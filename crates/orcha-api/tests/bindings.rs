//! Fails when the committed TypeScript bindings drift from the Rust DTOs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

#[test]
fn typescript_bindings_are_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings.ts");
    let generated = orcha_api::dto::typescript_bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(path.parent().expect("bindings dir")).expect("create ui/src");
        std::fs::write(&path, &generated).expect("write bindings");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/src/bindings.ts is out of date with the Rust DTOs; run `UPDATE_BINDINGS=1 cargo test -p orcha-api --test bindings` and commit the result"
    );
}

#[test]
fn bindings_cover_every_event_name() {
    let generated = orcha_api::dto::typescript_bindings();
    for name in [
        "sample",
        "earnings",
        "health",
        "poll-failed",
        "cycle-step",
        "ml-status",
        "automation",
        "decision",
        "alert",
    ] {
        assert!(
            generated.contains(&format!("\"event\": \"{name}\"")),
            "event `{name}` missing from the bindings"
        );
    }
}
