//! Encryption at rest on a real SQLite (SQLCipher) file: a converted file holds no readable row,
//! opens only with its key (a missing or wrong key is refused naming the file, which is left
//! as it was), decrypts back to the same rows, and backs up and restores encrypted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use age::secrecy::SecretString;
use chrono::{TimeZone, Utc};
use orcha_store::backup::{restore, restore_with_key};
use orcha_store::cipher::{convert, is_encrypted};
use orcha_store::{DbKey, Store, StoreError};

const MARKER: &str = "marker-7d1f0c-in-the-audit-log";

fn t() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 2, 0, 0).unwrap()
}

/// A plain database with 30 audit rows, one of them naming `MARKER`.
fn seeded(db: &Path) {
    let mut store = Store::open(db).unwrap();
    for i in 0..29 {
        store
            .audit_config(t(), "cli", &format!("key{i}"), None, Some("on"))
            .unwrap();
    }
    store
        .audit_config(t(), "cli", "note", None, Some(MARKER))
        .unwrap();
}

fn contains(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The database file and its WAL, as one byte string (a row may sit in either).
fn on_disk(db: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", db.display())) {
        bytes.extend(wal);
    }
    bytes
}

#[test]
fn the_key_is_random_hex_and_never_printed() {
    let a = DbKey::generate().unwrap();
    let b = DbKey::generate().unwrap();
    assert_ne!(a, b);
    let hex = a.to_hex();
    assert_eq!(hex.len(), 64);
    assert_eq!(DbKey::from_hex(&hex).unwrap(), a);
    assert_eq!(format!("{a:?}"), "DbKey(<redacted>)");
    assert!(DbKey::from_hex("zz").is_err());
    assert!(DbKey::from_hex(&"g".repeat(64)).is_err());
}

#[test]
fn encrypt_hides_the_rows_needs_the_key_and_decrypts_to_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orcha.db");
    seeded(&db);
    assert!(
        contains(&on_disk(&db), MARKER),
        "a plain file shows the row"
    );
    let before = Store::open(&db).unwrap().row_counts().unwrap();
    assert_eq!(before["config_audit"], 30);

    let key = DbKey::generate().unwrap();
    let done = convert(&db, None, Some(&key), "plain-20261206T020000Z").unwrap();
    assert_eq!(done.rows, before);
    assert_eq!(
        done.set_aside,
        dir.path().join("orcha.db.plain-20261206T020000Z")
    );
    assert!(contains(&std::fs::read(&done.set_aside).unwrap(), MARKER));
    let bytes = on_disk(&db);
    assert!(!contains(&bytes, MARKER), "the encrypted file shows a row");
    assert!(!bytes.starts_with(b"SQLite format 3\0"));
    assert!(is_encrypted(&db).unwrap());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Nothing of the conversion is left behind.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["orcha.db", "orcha.db.plain-20261206T020000Z"]);

    // No key, or the wrong one: refused naming the file, which is not touched.
    let untouched = std::fs::read(&db).unwrap();
    for wrong in [None, Some(DbKey::generate().unwrap())] {
        let err = Store::open_with_key(&db, wrong.as_ref()).unwrap_err();
        assert!(
            matches!(err, StoreError::KeyMissingOrWrong { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains(&db.display().to_string()), "{msg}");
        assert!(msg.contains("is encrypted"), "{msg}");
        assert!(msg.contains("missing or wrong"), "{msg}");
        assert_eq!(std::fs::read(&db).unwrap(), untouched);
        assert!(!dir.path().join("orcha.db-wal").exists());
    }
    // A key for a plain file is a mistake, said as such.
    assert!(matches!(
        Store::open_with_key(&done.set_aside, Some(&key)),
        Err(StoreError::NotEncrypted { .. })
    ));

    let store = Store::open_with_key(&db, Some(&key)).unwrap();
    assert!(store.is_encrypted());
    assert_eq!(store.row_counts().unwrap(), before);
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        orcha_store::AuditChain::Intact(30)
    );
    // The schema version came along: opening did not re-run a migration.
    assert_eq!(
        store.schema_version().unwrap(),
        orcha_store::MIGRATIONS.len() as i64
    );
    drop(store);

    let back = convert(&db, Some(&key), None, "encrypted-20261206T030000Z").unwrap();
    assert_eq!(back.rows, before);
    assert!(!is_encrypted(&db).unwrap());
    assert!(std::fs::read(&db)
        .unwrap()
        .starts_with(b"SQLite format 3\0"));
    let plain = Store::open(&db).unwrap();
    assert_eq!(plain.row_counts().unwrap(), before);
    assert_eq!(
        plain.verify_audit_chain().unwrap(),
        orcha_store::AuditChain::Intact(30)
    );
}

#[test]
fn a_wrong_key_stops_a_conversion_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orcha.db");
    seeded(&db);
    let key = DbKey::generate().unwrap();
    convert(&db, None, Some(&key), "plain-1").unwrap();
    let bytes = std::fs::read(&db).unwrap();
    let wrong = DbKey::generate().unwrap();
    assert!(matches!(
        convert(&db, Some(&wrong), None, "encrypted-2"),
        Err(StoreError::KeyMissingOrWrong { .. })
    ));
    assert_eq!(std::fs::read(&db).unwrap(), bytes);
    assert!(!dir.path().join("orcha.db.encrypted-2").exists());
    assert!(!dir.path().join("orcha.db.new-encrypted-2").exists());
}

#[test]
fn an_encrypted_backup_holds_no_plaintext_and_restores_encrypted_or_plain() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data").join("orcha.db");
    seeded(&db);
    let key = DbKey::generate().unwrap();
    convert(&db, None, Some(&key), "plain-1").unwrap();
    std::fs::remove_file(dir.path().join("data").join("orcha.db.plain-1")).unwrap();
    let pass = || SecretString::from("correct horse".to_owned());

    // Taken while the application's own connection is open, as the scheduled backup does.
    let app = Store::open_with_key(&db, Some(&key)).unwrap();
    let rows = app.row_counts().unwrap();
    let out = dir.path().join("backups").join("orcha.backup");
    let manifest = app
        .reopen()
        .unwrap()
        .write_backup(None, &out, pass(), t())
        .unwrap();
    assert!(manifest.encrypted);
    // Nothing but the archive is left in the backup directory.
    let left: Vec<_> = std::fs::read_dir(out.parent().unwrap()).unwrap().collect();
    assert_eq!(left.len(), 1);
    drop(app);

    // Onto the same (encrypted) install with its own key: kept encrypted, same key.
    let mut asked = None;
    let restored = restore_with_key(&out, pass(), &db, None, true, t(), &mut |archive| {
        asked = Some(archive.cloned());
        Ok(Some(key.clone()))
    })
    .unwrap();
    assert_eq!(
        asked,
        Some(Some(key.clone())),
        "the archive carries the key"
    );
    assert!(restored.encrypted);
    assert!(is_encrypted(&db).unwrap());
    assert!(!contains(&on_disk(&db), MARKER));
    assert_eq!(
        Store::open_with_key(&db, Some(&key))
            .unwrap()
            .row_counts()
            .unwrap(),
        rows
    );

    // Onto an install with another key: re-keyed to it.
    let other = DbKey::generate().unwrap();
    let rekeyed = restore_with_key(&out, pass(), &db, None, true, t(), &mut |_| {
        Ok(Some(other.clone()))
    })
    .unwrap();
    assert!(rekeyed.encrypted);
    assert!(Store::open_with_key(&db, Some(&key)).is_err());
    assert_eq!(
        Store::open_with_key(&db, Some(&other))
            .unwrap()
            .row_counts()
            .unwrap(),
        rows
    );

    // A key that cannot be had stops the restore before anything changes.
    let bytes = std::fs::read(&db).unwrap();
    let err = restore_with_key(&out, pass(), &db, None, true, t(), &mut |_| {
        Err("the keyring is locked".to_owned())
    })
    .unwrap_err();
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), bytes);

    // The plain restore (an install without encryption) gets a plain database.
    let plain = restore(&out, pass(), &db, None, true, t()).unwrap();
    assert!(!plain.encrypted);
    assert!(!is_encrypted(&db).unwrap());
    assert_eq!(Store::open(&db).unwrap().row_counts().unwrap(), rows);
}
