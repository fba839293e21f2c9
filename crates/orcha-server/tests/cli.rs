//! The real `orcha` binary: config errors, a corrupt database, graceful SIGTERM, and durability
//! of committed rows across SIGKILL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use orcha_testkit::net;

fn orcha(config: &Path, data: &Path) -> Command {
    let mut c = orcha_testkit::cli::orcha(env!("CARGO_BIN_EXE_orcha"), config, data);
    c.env(net::API_TOKEN_ENV.0, net::API_TOKEN_ENV.1);
    c
}

fn write_config(dir: &Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("config.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn unknown_key_fails_with_one_line_naming_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "[orchestrator]\napi_port = 7373\nsurprise = true\n",
    );
    let out = orcha(&cfg, dir.path())
        .arg("check-config")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("line 3")
            && err.contains("orchestrator.surprise")
            && err.contains(&cfg.display().to_string()),
        "{err}"
    );
}

#[test]
fn wrong_type_fails_with_one_line_naming_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "[protocols.storj]\nenabled = \"yes\"\n");
    let out = orcha(&cfg, dir.path()).arg("serve").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("line 2")
            && err.contains("protocols.storj.enabled")
            && err.contains("invalid type"),
        "{err}"
    );
}

#[test]
fn corrupt_database_is_refused_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orcha.db");
    let garbage = b"not a database at all\n".repeat(512);
    std::fs::write(&db, &garbage).unwrap();
    let cfg = write_config(
        dir.path(),
        &format!("[storage]\ndatabase = {:?}\n", db.display().to_string()),
    );
    let out = orcha(&cfg, dir.path())
        .args(["serve", "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("not a SQLite database") && err.contains("left untouched"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
    assert!(
        !dir.path().join("orcha.db-wal").exists(),
        "no WAL may be created next to it"
    );
}

struct Server {
    child: Child,
    base: String,
}

fn start_server(cfg: &Path, data: &Path) -> Server {
    let mut child = orcha(cfg, data)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = orcha_testkit::net::listening_on(&mut child);
    Server { child, base }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "");
    let mut s = start_server(&cfg, dir.path());
    let health: serde_json::Value = net::get(format!("{}/health", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let ready = net::get(format!("{}/health/ready", s.base)).await.unwrap();
    assert_eq!(ready.status(), 200);
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let started = Instant::now();
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            assert!(status.success(), "exit status after SIGTERM: {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "orcha did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orcha.db");
    let cfg = write_config(
        dir.path(),
        &format!("[storage]\ndatabase = {:?}\n", db.display().to_string()),
    );
    let mut s = start_server(&cfg, dir.path());
    let client = net::client();
    // Each acknowledged PUT has committed one audit row; keep writing from several tasks and
    // kill the process while requests are in flight.
    let acknowledged = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, base, acked) = (client.clone(), s.base.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..10_000u64 {
                let paused = (i + w) % 2 == 0;
                match client
                    .put(format!("{base}/api/v1/automation"))
                    .json(&serde_json::json!({ "paused": paused }))
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    // The per-client rate limit: not written, so not counted; wait and go on.
                    Ok(r) if r.status() == 429 => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    _ => break,
                }
            }
        }));
    }
    while acknowledged.load(std::sync::atomic::Ordering::SeqCst) < 200 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    s.child.kill().unwrap(); // SIGKILL: no shutdown code runs.
    s.child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acknowledged.load(std::sync::atomic::Ordering::SeqCst);
    let store =
        orcha_store::Store::open(&db).expect("the database must open cleanly after SIGKILL");
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let rows = store.count_config_audit().unwrap() as u64;
    assert!(
        rows >= acked,
        "{acked} writes were acknowledged but only {rows} rows survived"
    );
}
