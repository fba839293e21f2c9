//! The start path both front doors share (`startup::assemble`, which the desktop app calls as
//! `orcha serve` does) on an encrypted database: it opens with the key from the secret store or
//! the `<data dir>/db-key` fallback, and without the key it refuses naming the file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use orcha_app::{db_key, startup};
use orcha_core::config::Config;
use orcha_core::secret::{MemorySecretStore, SecretStore};
use orcha_core::SystemClock;
use orcha_store::{DbKey, Store};
use orcha_testkit::NoSecretService;

const MARKER: &str = "marker-91c0aa";

fn env(_: &str) -> Option<String> {
    None
}

fn config(data: &Path) -> Config {
    let mut c = Config::default();
    c.orchestrator.data_dir = data.display().to_string();
    c
}

fn start(data: &Path, secrets: Arc<dyn SecretStore>) -> anyhow::Result<startup::Assembly> {
    startup::assemble(config(data), secrets, &env, Arc::new(SystemClock), false)
}

#[tokio::test]
async fn both_front_doors_open_an_encrypted_database_with_its_key_or_refuse_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("orcha.db");
    {
        let mut s = Store::open(&db).unwrap();
        let t = Utc.with_ymd_and_hms(2026, 12, 6, 2, 0, 0).unwrap();
        s.audit_config(t, "cli", "note", None, Some(MARKER))
            .unwrap();
    }
    let key = DbKey::generate().unwrap();
    orcha_store::cipher::convert(&db, None, Some(&key), "plain-1").unwrap();

    // The key in the keyring (the desktop's `OsKeyring`, here in memory).
    let keyring = Arc::new(MemorySecretStore::default());
    assert_eq!(
        db_key::store(keyring.as_ref(), &data, &key).unwrap(),
        db_key::KeySource::Keyring
    );
    let started = start(&data, keyring.clone()).unwrap();
    assert_eq!(started.database, db);
    let rows = started.state.db(|s| s.audit_log(10, None)).await.unwrap();
    assert!(rows.iter().any(|r| r.new_value.as_deref() == Some(MARKER)));
    drop(started);

    // Without the key: refused, naming the file, which is not changed.
    let bytes = std::fs::read(&db).unwrap();
    let err = format!(
        "{:#}",
        start(&data, Arc::new(MemorySecretStore::default()))
            .err()
            .expect("no key, no start")
    );
    assert!(
        err.contains(&format!("database {} is encrypted", db.display())),
        "{err}"
    );
    assert!(err.contains("missing or wrong"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), bytes);

    // No keyring at all: the 0600 file beside the API token.
    assert_eq!(
        db_key::store(&NoSecretService, &data, &key).unwrap(),
        db_key::KeySource::File(data.join("db-key"))
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("db-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let started = start(&data, Arc::new(NoSecretService)).unwrap();
    let rows = started.state.db(|s| s.audit_log(10, None)).await.unwrap();
    assert!(rows.iter().any(|r| r.new_value.as_deref() == Some(MARKER)));
    drop(started);
    db_key::remove(&NoSecretService, &data).unwrap();
    assert!(!data.join("db-key").exists());
}
