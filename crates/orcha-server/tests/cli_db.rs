//! Encryption at rest through the real `orcha` binary, a real SQLite file and a real keyring (a
//! private D-Bus bus with gnome-keyring, so the developer's own keyring is never touched):
//! `orcha db encrypt` hides the rows and `orcha serve` still serves them; a missing or wrong key
//! is refused naming the file, which is left as it was; `orcha db decrypt` gives back the same
//! plain database; backup → restore round-trips an encrypted install and keeps it encrypted.
//!
//! Outside a machine with `dbus-daemon` and `gnome-keyring-daemon` these tests fail rather than
//! pass vacuously; `ORCHA_NO_KEYRING=1` skips them explicitly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use chrono::{TimeZone, Utc};
use orcha_testkit::keyring::PrivateKeyring;
use orcha_testkit::net;

const MARKER: &str = "marker-5be1c2-stored-before-encryption";

fn keyring() -> Option<PrivateKeyring> {
    if std::env::var_os("ORCHA_NO_KEYRING").is_some() {
        eprintln!("ORCHA_NO_KEYRING is set: encryption at rest through the keyring was NOT tested");
        return None;
    }
    Some(
        PrivateKeyring::start()
            .expect("a private gnome-keyring (dbus-daemon, gnome-keyring-daemon)"),
    )
}

/// `orcha` on `dir`'s config and data, with `keyring` as its only keyring (none: no keyring).
fn orcha(dir: &Path, keyring: Option<&PrivateKeyring>) -> Command {
    let mut c =
        orcha_testkit::cli::orcha(env!("CARGO_BIN_EXE_orcha"), &dir.join("config.toml"), dir);
    c.env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env(net::API_TOKEN_ENV.0, net::API_TOKEN_ENV.1)
        .env("BACKUP_PASS", "correct horse battery staple")
        .env("ML_API_URL", "http://127.0.0.1:9");
    if let Some(k) = keyring {
        k.apply(&mut c);
    }
    c
}

fn run(dir: &Path, keyring: Option<&PrivateKeyring>, args: &[&str]) -> Output {
    orcha(dir, keyring).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A temporary install with a plain database holding `MARKER` in its audit log.
fn install() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    let db = dir.path().join("depin-orcha").join("orcha.db");
    let mut store = orcha_store::Store::open(&db).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 12, 6, 2, 0, 0).unwrap();
    store
        .audit_config(t, "cli", "note", None, Some(MARKER))
        .unwrap();
    (dir, db)
}

fn contains(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// `orcha serve` on a free port, and its base URL.
fn serve(dir: &Path, keyring: Option<&PrivateKeyring>) -> (Child, String) {
    let mut child = orcha(dir, keyring)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = net::listening_on(&mut child);
    (child, base)
}

/// The audit log as `orcha serve` answers it.
async fn audit(base: &str) -> String {
    let r = net::get(format!("{base}/api/v1/audit?limit=500"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypt_serve_refuse_a_missing_or_wrong_key_and_decrypt() {
    let Some(keyring) = keyring() else { return };
    let (dir, db) = install();
    assert!(
        contains(&std::fs::read(&db).unwrap(), MARKER) || {
            let wal = std::fs::read(format!("{}-wal", db.display())).unwrap_or_default();
            contains(&wal, MARKER)
        }
    );

    let out = ok(run(dir.path(), Some(&keyring), &["db", "encrypt"]));
    assert!(out.contains("encrypted (SQLCipher)"), "{out}");
    assert!(out.contains("the OS keyring (db:key)"), "{out}");
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3\0"));
    assert!(
        !contains(&bytes, MARKER),
        "the encrypted file shows a stored row"
    );
    assert!(!Path::new(&format!("{}-wal", db.display())).exists());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The plain copy is kept aside, named in the output; the operator deletes it.
    let aside: Vec<PathBuf> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("orcha.db.plain-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(out.contains(&aside[0].display().to_string()), "{out}");
    std::fs::remove_file(&aside[0]).unwrap();
    assert!(ok(run(dir.path(), Some(&keyring), &["db", "encrypt"])).contains("already encrypted"));

    // `orcha serve` finds the key and serves the rows stored before encryption.
    let (child, base) = serve(dir.path(), Some(&keyring));
    assert!(audit(&base).await.contains(MARKER));
    // Not while it runs.
    let busy = run(dir.path(), Some(&keyring), &["db", "decrypt"]);
    assert!(!busy.status.success());
    assert!(
        text(&busy).contains("in use by another Orcha"),
        "{}",
        text(&busy)
    );
    orcha_testkit::cli::terminate(child);

    // A keyring without the key, and a wrong key in the fallback file: refused naming the file.
    let untouched = std::fs::read(&db).unwrap();
    let empty = PrivateKeyring::start().unwrap();
    let key_file = dir.path().join("depin-orcha").join("db-key");
    for (keyring, wrong_file) in [(Some(&empty), false), (None, true)] {
        if wrong_file {
            std::fs::write(&key_file, "ab".repeat(32)).unwrap();
        }
        let refused = run(dir.path(), keyring, &["serve", "--port", "0"]);
        assert!(!refused.status.success());
        let err = text(&refused);
        assert!(
            err.contains(&format!("database {} is encrypted", db.display())),
            "{err}"
        );
        assert!(err.contains("missing or wrong"), "{err}");
        assert_eq!(
            std::fs::read(&db).unwrap(),
            untouched,
            "the file is untouched"
        );
        let decrypt = run(dir.path(), keyring, &["db", "decrypt"]);
        assert!(!decrypt.status.success());
        assert!(
            text(&decrypt).contains("missing or wrong"),
            "{}",
            text(&decrypt)
        );
        assert_eq!(std::fs::read(&db).unwrap(), untouched);
    }
    std::fs::remove_file(&key_file).unwrap();

    let out = ok(run(dir.path(), Some(&keyring), &["db", "decrypt"]));
    assert!(out.contains("decrypted (plain SQLite)"), "{out}");
    assert!(std::fs::read(&db)
        .unwrap()
        .starts_with(b"SQLite format 3\0"));
    let store = orcha_store::Store::open(&db).unwrap();
    let rows = store.audit_log(500, None).unwrap();
    assert!(rows.iter().any(|r| r.new_value.as_deref() == Some(MARKER)));
    drop(store);
    assert!(ok(run(dir.path(), Some(&keyring), &["db", "decrypt"])).contains("not encrypted"));
    // The encrypted file is kept aside (its key is deleted); it shows no row either.
    let kept: PathBuf = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("orcha.db.encrypted-"))
        .expect("the encrypted file is kept aside");
    assert!(!contains(&std::fs::read(&kept).unwrap(), MARKER));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_install_backs_up_and_restores_encrypted() {
    let Some(keyring) = keyring() else { return };
    let (dir, db) = install();
    ok(run(dir.path(), Some(&keyring), &["db", "encrypt"]));
    let backup = dir.path().join("orcha.backup");

    // Backed up while `orcha serve` runs on the encrypted database.
    let (child, base) = serve(dir.path(), Some(&keyring));
    let backup_arg = backup.display().to_string();
    let out = ok(run(
        dir.path(),
        Some(&keyring),
        &[
            "backup",
            "--out",
            &backup_arg,
            "--passphrase-env",
            "BACKUP_PASS",
        ],
    ));
    assert!(out.contains("encrypted database"), "{out}");
    assert!(!contains(&std::fs::read(&backup).unwrap(), MARKER));
    // A change after the backup, which the restore must undo.
    let r = net::client()
        .put(format!("{base}/api/v1/automation"))
        .json(&serde_json::json!({ "paused": true }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert!(audit(&base).await.contains("automation.paused"));
    orcha_testkit::cli::terminate(child);

    let restore = |keyring: &PrivateKeyring| {
        ok(run(
            dir.path(),
            Some(keyring),
            &[
                "restore",
                &backup_arg,
                "--passphrase-env",
                "BACKUP_PASS",
                "--force",
            ],
        ))
    };
    let out = restore(&keyring);
    assert!(out.contains("; encrypted"), "{out}");
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3\0"), "still encrypted");
    assert!(!contains(&bytes, MARKER));
    let (child, base) = serve(dir.path(), Some(&keyring));
    let log = audit(&base).await;
    assert!(log.contains(MARKER), "{log}");
    assert!(!log.contains("automation.paused"), "the restore undid it");
    orcha_testkit::cli::terminate(child);

    // A new machine: no database and an empty keyring. The passphrase alone restores it, still
    // encrypted, with the backup's key now in this keyring.
    let fresh = PrivateKeyring::start().unwrap();
    for f in std::fs::read_dir(db.parent().unwrap()).unwrap() {
        let p = f.unwrap().path();
        if p.to_string_lossy().contains("orcha.db") {
            std::fs::remove_file(p).unwrap();
        }
    }
    restore(&fresh);
    assert!(!std::fs::read(&db)
        .unwrap()
        .starts_with(b"SQLite format 3\0"));
    let (child, base) = serve(dir.path(), Some(&fresh));
    assert!(audit(&base).await.contains(MARKER));
    orcha_testkit::cli::terminate(child);
}
