//! The operator's run-time switches (pause, per-node auto-apply) survive a restart of the app:
//! they are restored from the audit log in the real database file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use orcha_api::dto::{AutoApplyRequest, PauseRequest};
use orcha_api::ops;
use orcha_core::config::Config;
use orcha_core::secret::MemorySecretStore;
use orcha_core::SystemClock;
use orcha_server::startup;

fn env(_: &str) -> Option<String> {
    None
}

fn config(dir: &std::path::Path) -> Config {
    let mut c = Config::default();
    c.storage.database = dir.join("orcha.db").display().to_string();
    c.protocols.golem.enabled = true;
    // Nothing listens here; the node is never polled in this test.
    c.protocols.golem.api_endpoint = "http://127.0.0.1:9".into();
    c
}

fn assemble(dir: &std::path::Path) -> Arc<orcha_api::AppState> {
    startup::assemble(
        config(dir),
        Arc::new(MemorySecretStore::default()),
        &env,
        Arc::new(SystemClock),
        false,
    )
    .unwrap()
    .state
}

async fn auto_apply(state: &Arc<orcha_api::AppState>) -> bool {
    let a = ops::allocation(state).await.unwrap();
    a.nodes
        .iter()
        .find(|n| n.node == "golem:main")
        .expect("golem in the allocation view")
        .auto_apply
}

#[tokio::test]
async fn pause_and_auto_apply_are_restored_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = assemble(dir.path());
    assert!(!first.paused());
    assert!(!auto_apply(&first).await, "dry-run is the default");
    ops::set_paused(&first, PauseRequest { paused: true }, orcha_api::Actor::Api)
        .await
        .unwrap();
    for enabled in [true, false, true] {
        ops::set_auto_apply(
            &first,
            AutoApplyRequest {
                node: "golem:main".into(),
                enabled,
            },
            orcha_api::Actor::Api,
        )
        .await
        .unwrap();
    }
    drop(first);

    let second = assemble(dir.path());
    assert!(second.paused(), "pause survives the restart");
    assert!(auto_apply(&second).await, "the last auto-apply flip wins");

    ops::set_paused(
        &second,
        PauseRequest { paused: false },
        orcha_api::Actor::Api,
    )
    .await
    .unwrap();
    drop(second);
    assert!(!assemble(dir.path()).paused(), "resume survives too");
}
