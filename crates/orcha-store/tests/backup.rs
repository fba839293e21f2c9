//! Encrypted backup and restore: the same tables and rows come back, a wrong passphrase or a
//! damaged file changes nothing, and the replaced database is kept aside.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use age::secrecy::SecretString;
use chrono::{TimeZone, Utc};
use orcha_store::backup::{restore, BackupError};
use orcha_store::Store;

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// Every table's rows, in a stable order, as text.
fn dump(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{t}: {}", cells.join(" | ")))
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        out.extend(rows);
    }
    out.sort();
    out
}

#[test]
fn round_trip_wrong_passphrase_and_replaced_database_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data").join("orcha.db");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[orchestrator]\npoll_interval = 60\n").unwrap();
    let t = Utc.with_ymd_and_hms(2026, 12, 5, 20, 0, 0).unwrap();
    let mut store = Store::open(&db).unwrap();
    for i in 0..20 {
        store
            .audit_config(t, "api", &format!("key{i}"), None, Some("on"))
            .unwrap();
    }
    let out = dir.path().join("backups").join("orcha.backup");
    // Taken while the store is open and in use (online backup).
    let manifest = store
        .write_backup(Some(&config), &out, pass("correct horse"), t)
        .unwrap();
    assert!(manifest.has_config);
    let before = dump(&db);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let raw = std::fs::read(&out).unwrap();
    assert!(raw.starts_with(b"age-encryption.org/v1"));
    assert!(
        !raw.windows(4).any(|w| w == b"key1"),
        "the archive is not encrypted"
    );

    // The database moves on after the backup.
    store
        .audit_config(t, "api", "after-backup", None, Some("x"))
        .unwrap();
    drop(store);
    let changed = dump(&db);
    std::fs::write(&config, "changed = true\n").unwrap();

    // A wrong passphrase: refused by name, and nothing is touched.
    match restore(&out, pass("wrong"), &db, Some(&config), true, t) {
        Err(BackupError::WrongPassphrase { .. }) => {}
        other => panic!("expected WrongPassphrase, got {other:?}"),
    }
    assert_eq!(dump(&db), changed);
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "changed = true\n"
    );

    // Without --force an existing database is not replaced.
    assert!(matches!(
        restore(&out, pass("correct horse"), &db, Some(&config), false, t),
        Err(BackupError::WouldReplace { .. })
    ));

    // A damaged file is not a backup, and changes nothing either.
    let damaged = dir.path().join("damaged.backup");
    let mut bytes = raw.clone();
    let n = bytes.len();
    bytes[n - 10] ^= 0xff;
    std::fs::write(&damaged, &bytes).unwrap();
    assert!(restore(&damaged, pass("correct horse"), &db, Some(&config), true, t).is_err());
    assert_eq!(dump(&db), changed);

    let restored = restore(&out, pass("correct horse"), &db, Some(&config), true, t).unwrap();
    assert_eq!(
        dump(&db),
        before,
        "the same tables and rows as at backup time"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "[orchestrator]\npoll_interval = 60\n"
    );
    let aside = restored
        .replaced_database
        .expect("the replaced database is kept");
    assert_eq!(dump(&aside), changed);
    assert!(restored.replaced_config.is_some());
    // The restored database opens and its audit chain is intact.
    let store = Store::open(&db).unwrap();
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        orcha_store::AuditChain::Intact(20)
    );
}
