//! The real `orcha` binary's maintenance commands: a backup taken while `orcha serve` runs
//! restores, a wrong passphrase changes nothing, one data directory has one server, the API
//! token is shown and rotated, and `[server] metrics_listen` moves `/metrics` off the API port.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use orcha_testkit::net;

fn orcha(data: &Path) -> Command {
    let mut c =
        orcha_testkit::cli::orcha(env!("CARGO_BIN_EXE_orcha"), &data.join("config.toml"), data);
    c.env("BACKUP_PASS", "correct horse battery staple")
        .env("WRONG_PASS", "wrong");
    c
}

/// `orcha serve` on a free port; its first two stdout lines (address, login link).
fn serve(data: &Path) -> (Child, String, String) {
    let mut child = orcha(data)
        .env(net::API_TOKEN_ENV.0, net::API_TOKEN_ENV.1)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut first, mut second) = (String::new(), String::new());
    out.read_line(&mut first).unwrap();
    out.read_line(&mut second).unwrap();
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    (child, base, second.trim().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_and_a_wrong_passphrase_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    let (child, base, login) = serve(dir.path());
    assert!(
        login.starts_with(&format!("login: {base}/login?code=")),
        "{login}"
    );
    // A write the backup must carry: pause automation (one audit row).
    let r = net::client()
        .put(format!("{base}/api/v1/automation"))
        .json(&serde_json::json!({ "paused": true }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());

    // A second server on the same data directory is refused, naming why.
    let second = orcha(dir.path())
        .env(net::API_TOKEN_ENV.0, net::API_TOKEN_ENV.1)
        .args(["serve", "--port", "0"])
        .output()
        .unwrap();
    assert!(!second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("in use by another Orcha"), "{err}");

    let backup = dir.path().join("orcha.backup");
    let out = orcha(dir.path())
        .args(["backup", "--out"])
        .arg(&backup)
        .args(["--passphrase-env", "BACKUP_PASS"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Restore is refused while the server holds the data directory.
    let busy = orcha(dir.path())
        .arg("restore")
        .arg(&backup)
        .args(["--passphrase-env", "BACKUP_PASS", "--force"])
        .output()
        .unwrap();
    assert!(!busy.status.success());
    assert!(String::from_utf8_lossy(&busy.stderr).contains("in use by another Orcha"));
    orcha_testkit::cli::terminate(child);

    let db = dir.path().join("depin-orcha").join("orcha.db");
    let audit_rows = || {
        orcha_store::Store::open(&db)
            .unwrap()
            .count_config_audit()
            .unwrap()
    };
    let before = audit_rows();
    assert!(before >= 1);
    let db_bytes = std::fs::read(&db).unwrap();

    let wrong = orcha(dir.path())
        .arg("restore")
        .arg(&backup)
        .args(["--passphrase-env", "WRONG_PASS", "--force"])
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("nothing was changed"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        db_bytes,
        "the database is untouched"
    );

    // Without --force an existing database is not replaced.
    let refused = orcha(dir.path())
        .arg("restore")
        .arg(&backup)
        .args(["--passphrase-env", "BACKUP_PASS"])
        .output()
        .unwrap();
    assert!(!refused.status.success());

    let ok = orcha(dir.path())
        .arg("restore")
        .arg(&backup)
        .args(["--passphrase-env", "BACKUP_PASS", "--force"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(audit_rows(), before, "the restored database has the write");
}

#[test]
fn the_token_is_shown_the_same_until_rotated() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    // A token file, as on a box without a keyring: it wins over the keyring, so this test never
    // touches the keyring entry of a developer's real install.
    let data = dir.path().join("depin-orcha");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("api-token"), "x".repeat(43)).unwrap();
    let show = || {
        let out = orcha(dir.path())
            .env_remove("ORCHA_API_TOKEN")
            .args(["token", "show"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let first = show();
    assert_eq!(first, "x".repeat(43));
    assert_eq!(show(), first);
    let rotated = orcha(dir.path())
        .env_remove("ORCHA_API_TOKEN")
        .args(["token", "rotate"])
        .output()
        .unwrap();
    assert!(rotated.status.success());
    let second = String::from_utf8(rotated.stdout).unwrap().trim().to_owned();
    assert_ne!(second, first);
    assert!(second.len() >= 43, "{second}");
    assert_eq!(show(), second);
    assert_eq!(
        std::fs::read_to_string(data.join("api-token")).unwrap(),
        second
    );
    // The environment's token cannot be rotated away.
    let env = orcha(dir.path())
        .env(net::API_TOKEN_ENV.0, net::API_TOKEN_ENV.1)
        .args(["token", "rotate"])
        .output()
        .unwrap();
    assert!(!env.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listen_serves_metrics_alone_on_loopback_without_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        dir.path().join("config.toml"),
        format!("[server]\nmetrics_listen = \"127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let (child, base, _) = serve(dir.path());
    let anonymous = reqwest::Client::new();
    let metrics = anonymous
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics.text().await.unwrap().contains("orcha_"));
    // That listener has nothing else, and the API port no longer serves /metrics.
    let api = anonymous
        .get(format!("http://127.0.0.1:{port}/api/v1/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
    let on_api_port = net::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(on_api_port.status(), 404);
    orcha_testkit::cli::terminate(child);

    // Beyond loopback it is refused: /metrics without a token is for this machine only.
    std::fs::write(
        dir.path().join("config.toml"),
        "[server]\nmetrics_listen = \"0.0.0.0:0\"\n",
    )
    .unwrap();
    let out = orcha(dir.path())
        .env(net::API_TOKEN_ENV.0, net::API_TOKEN_ENV.1)
        .args(["serve", "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback only"));
}
