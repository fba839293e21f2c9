//! `orcha secret … --service` on a headless box: the credential is written where the generated
//! unit loads it from (0600), and `orcha serve` started with `$CREDENTIALS_DIRECTORY` (as systemd
//! starts it) sends it to the node it belongs to, with no Secret Service running at all.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::Router;
use orcha_testkit::net;

const KEY: &str = "golem:main/app_key";
const VALUE: &str = "app-key-7f3a91";

fn orcha(data: &Path) -> Command {
    let mut c =
        orcha_testkit::cli::orcha(env!("CARGO_BIN_EXE_orcha"), &data.join("config.toml"), data);
    // No Secret Service: a server without a desktop session.
    c.env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("ML_API_URL", "http://127.0.0.1:9");
    c
}

fn run(data: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = orcha(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()? {
        let p = e.ok()?.path();
        if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
        if p.is_dir() {
            if let Some(found) = find(&p, name) {
                return Some(found);
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_credential_reaches_its_node_without_a_keyring() {
    // A yagna stand-in that records the Authorization header of every request.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = Arc::clone(&seen);
    let yagna = net::stub(Router::new().fallback(move |headers: HeaderMap| {
        let record = Arc::clone(&record);
        async move {
            if let Some(v) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
                record.lock().unwrap().push(v.to_owned());
            }
            (StatusCode::UNAUTHORIZED, "")
        }
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[orchestrator]\nshutdown_deadline = 1\npoll_interval = 1\n\n[protocols.golem]\nenabled = true\napi_endpoint = \"{yagna}\"\n"
        ),
    )
    .unwrap();

    let set = run(
        dir.path(),
        &["secret", "set", "--service", "--user", KEY],
        &format!("{VALUE}\n"),
    );
    assert!(set.status.success(), "{}", text(&set));
    assert!(text(&set).contains("a 0600 file"), "{}", text(&set));
    let file = find(dir.path(), "golem.main.app_key").expect("the credential file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), VALUE);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", file.display());
    let creds = file.parent().unwrap().to_owned();
    let dir_mode = std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700, "{}", creds.display());

    let status = run(
        dir.path(),
        &["secret", "status", "--service", "--user", KEY],
        "",
    );
    assert!(text(&status).contains("stored as"), "{}", text(&status));
    // What the running service would see, without a keyring to ask.
    let status = orcha(dir.path())
        .env("CREDENTIALS_DIRECTORY", &creds)
        .args(["secret", "status", KEY])
        .output()
        .unwrap();
    assert!(
        text(&status).contains("stored (systemd credential)"),
        "{}",
        text(&status)
    );

    // `orcha serve` as systemd starts it: the node gets the credential.
    let mut child = orcha(dir.path())
        .env("CREDENTIALS_DIRECTORY", &creds)
        .env(net::API_TOKEN_ENV.0, net::API_TOKEN_ENV.1)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _base = net::listening_on(&mut child);
    let deadline = Instant::now() + Duration::from_secs(30);
    let expected = format!("Bearer {VALUE}");
    while Instant::now() < deadline && !seen.lock().unwrap().contains(&expected) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(seen.contains(&expected), "the node saw {seen:?}");

    let del = run(
        dir.path(),
        &["secret", "delete", "--service", "--user", KEY],
        "",
    );
    assert!(del.status.success(), "{}", text(&del));
    assert!(!file.exists());
    let status = run(
        dir.path(),
        &["secret", "status", "--service", "--user", KEY],
        "",
    );
    assert!(text(&status).contains("not stored"), "{}", text(&status));
}

#[test]
fn a_malformed_key_or_an_empty_value_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    let bad = run(
        dir.path(),
        &["secret", "set", "--service", "--user", "golem-main"],
        "x\n",
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("golem:main/app_key"), "{}", text(&bad));
    let empty = run(
        dir.path(),
        &["secret", "set", "--service", "--user", KEY],
        "\n",
    );
    assert!(!empty.status.success());
    assert!(
        text(&empty).contains("no credential on standard input"),
        "{}",
        text(&empty)
    );
    assert!(find(dir.path(), "golem.main.app_key").is_none());
    // `--user` means nothing without `--service`.
    let lone = run(dir.path(), &["secret", "status", "--user", KEY], "");
    assert!(!lone.status.success(), "{}", text(&lone));
}
