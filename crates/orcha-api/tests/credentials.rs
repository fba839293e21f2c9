//! Credentials stay with their host: a node moved to another host in the settings gets no
//! credential until it is entered again; URL-embedded keys never show in the settings or the
//! audit log.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use orcha_api::dto::{AuditQuery, SetSecretRequest};
use orcha_api::metrics::Metrics;
use orcha_api::ml::MlClient;
use orcha_api::state::AppParts;
use orcha_api::{ops, Actor, AppState};
use orcha_core::config::Config;
use orcha_core::secret::{MemorySecretStore, SecretKey};
use orcha_core::SystemClock;
use orcha_store::Store;

const CONFIG: &str = r#"
[protocols.golem]
enabled = true
api_endpoint = "https://node-a.example:7465"

[protocols.streamr]
enabled = true
rpc_url = "https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef"
"#;

fn state(dir: &Path) -> (Arc<AppState>, Arc<MemorySecretStore>) {
    let path = dir.join("orcha.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let config = Config::from_toml(CONFIG, &path).unwrap();
    let raw = Arc::new(MemorySecretStore::default());
    let state = AppState::new(AppParts {
        config,
        store: Store::open(&dir.join("orcha.db")).unwrap(),
        secrets: raw.clone(),
        clock: Arc::new(SystemClock),
        metrics: Metrics::new(),
        nodes: Vec::new(),
        ml: MlClient::new(None, Duration::from_secs(1)),
        demo: false,
    });
    state.settings.use_file(path);
    (state, raw)
}

#[tokio::test]
async fn a_moved_node_gets_no_credential_until_it_is_entered_again() {
    let dir = tempfile::tempdir().unwrap();
    let (state, _raw) = state(dir.path());
    let node = state.config.nodes()[0].id.to_string();
    let key = SecretKey(format!("{node}/app_key"));
    let req = |v: &str| SetSecretRequest {
        key: key.0.clone(),
        value: v.into(),
    };
    ops::set_secret(&state, req("old-key"), Actor::Desktop)
        .await
        .unwrap();
    assert_eq!(
        state.secrets.get(&key).unwrap().unwrap().expose(),
        "old-key"
    );

    // The operator points the node at another host.
    let mut values = ops::settings(&state).await.unwrap().values;
    let golem = values
        .protocols
        .iter_mut()
        .find(|p| p.protocol == "golem")
        .unwrap();
    golem.nodes[0].endpoint = "https://node-b.example:7465".into();
    ops::update_settings(&state, values, Actor::Desktop)
        .await
        .unwrap();
    assert!(
        state.secrets.get(&key).unwrap().is_none(),
        "the old credential must not go to the new host"
    );
    let why = state.credentials.withheld(&key).unwrap().unwrap();
    assert!(
        why.contains("node-a.example") && why.contains("node-b.example"),
        "{why}"
    );

    ops::set_secret(&state, req("new-key"), Actor::Desktop)
        .await
        .unwrap();
    assert_eq!(
        state.secrets.get(&key).unwrap().unwrap().expose(),
        "new-key"
    );
}

#[tokio::test]
async fn url_keys_are_hidden_in_settings_and_audit_and_survive_a_save() {
    let dir = tempfile::tempdir().unwrap();
    let (state, _raw) = state(dir.path());
    let shown = ops::settings(&state).await.unwrap();
    let text = serde_json::to_string(&shown).unwrap();
    assert!(!text.contains("0123456789abcdef0123456789abcdef"), "{text}");
    assert!(
        text.contains("https://mainnet.infura.io/v3/<redacted>"),
        "{text}"
    );

    // Saving the form as shown (one unrelated change) keeps the real URL in the file.
    let mut values = shown.values;
    values.fiat = if values.fiat == "eur" { "usd" } else { "eur" }.into();
    ops::update_settings(&state, values.clone(), Actor::Api)
        .await
        .unwrap();
    let file = std::fs::read_to_string(dir.path().join("orcha.toml")).unwrap();
    assert!(file.contains("0123456789abcdef0123456789abcdef"), "{file}");

    // A new key typed into the form is audited without the key.
    let streamr = values
        .protocols
        .iter_mut()
        .find(|p| p.protocol == "streamr")
        .unwrap();
    let rpc = streamr
        .urls
        .iter_mut()
        .find(|u| u.key == "rpc_url")
        .unwrap();
    rpc.value = "https://eth-mainnet.g.alchemy.com/v2/fedcba9876543210fedcba9876543210".into();
    ops::update_settings(&state, values, Actor::Api)
        .await
        .unwrap();
    let audit = ops::audit_log(&state, AuditQuery::default()).await.unwrap();
    let text = serde_json::to_string(&audit).unwrap();
    assert!(!text.contains("fedcba9876543210"), "{text}");
    assert!(!text.contains("0123456789abcdef0123"), "{text}");
    assert!(audit.rows.iter().any(|r| r.actor == "api"));
    let raw_rows = state.db(|s| s.audit_log(100, None)).await.unwrap();
    assert!(raw_rows.iter().all(|r| !r
        .new_value
        .as_deref()
        .unwrap_or("")
        .contains("fedcba9876543210")));
}
