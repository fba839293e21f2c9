//! The real ML engine as a supervised sidecar: started, restarted after a crash, and gone after
//! the app stops. Needs `ml-engine/.venv` (scripts/test.sh installs it before the Rust tests).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use orcha_api::metrics::Metrics;
use orcha_api::ml::MlClient;
use orcha_api::sidecar::{supervise, SidecarConfig};
use orcha_api::state::AppParts;
use orcha_api::AppState;
use orcha_core::config::Config;
use orcha_core::secret::MemorySecretStore;
use orcha_store::Store;
use tokio_util::sync::CancellationToken;

fn engine() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ml-engine/.venv/bin/orcha-ml");
    assert!(
        p.is_file(),
        "{} is missing: run `bash ml-engine/scripts/install.sh` first",
        p.display()
    );
    p
}

fn alive(pid: u32) -> bool {
    // A reaped process has no /proc entry; a zombie would still count as not running.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

async fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashed_engine_is_restarted_and_stopped_on_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(AppParts {
        config: Config::default(),
        store: Store::open(&dir.path().join("orcha.db")).unwrap(),
        secrets: Arc::new(MemorySecretStore::default()),
        clock: Arc::new(orcha_core::SystemClock),
        metrics: Metrics::new(),
        nodes: vec![],
        ml: MlClient::new(None, Duration::from_secs(5)),
        demo: false,
    });
    let mut config = SidecarConfig::new(engine(), dir.path().join("models"));
    config.health_interval = Duration::from_millis(500);
    config.first_backoff = Duration::from_millis(200);
    let pid = Arc::clone(&config.pid);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(supervise(Arc::clone(&state), config, cancel.clone()));

    wait_for(
        "the engine to become healthy",
        Duration::from_secs(60),
        || state.ml_status().available,
    )
    .await;
    let first = pid.load(Ordering::SeqCst);
    assert!(first > 0 && alive(first));
    let first_base = state.ml.base().unwrap();
    assert!(reqwest::get(format!("{first_base}/health"))
        .await
        .unwrap()
        .status()
        .is_success());

    assert!(Command::new("kill")
        .args(["-KILL", &first.to_string()])
        .status()
        .unwrap()
        .success());
    wait_for("the crash to be noticed", Duration::from_secs(10), || {
        !state.ml_status().available
    })
    .await;
    wait_for("the restarted engine", Duration::from_secs(60), || {
        state.ml_status().available
            && pid.load(Ordering::SeqCst) != first
            && pid.load(Ordering::SeqCst) != 0
    })
    .await;
    let second = pid.load(Ordering::SeqCst);
    assert!(!alive(first));

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
    let ps = Command::new("ps")
        .args(["-o", "pid,ppid,stat,cmd", "-p", &second.to_string()])
        .output()
        .unwrap();
    assert!(
        !alive(second),
        "the engine must be gone after the supervisor stops: {}",
        String::from_utf8_lossy(&ps.stdout)
    );
    assert!(!state.ml_status().available);
    assert!(state.ml.base().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_orcha_leaves_no_engine_behind() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!("[ml]\ncommand = {:?}\n", engine().display().to_string()),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_orcha"))
        .args(["--config", cfg.to_str().unwrap(), "serve", "--port", "0"])
        .env("XDG_DATA_HOME", dir.path())
        .env_remove("ML_API_URL")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let start = Instant::now();
    loop {
        let s: serde_json::Value = reqwest::get(format!("{base}/api/v1/status"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if s["ml"]["available"] == true {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "engine never became available: {s}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out = Command::new("pgrep")
        .args(["-P", &child.id().to_string()])
        .output()
        .unwrap();
    let engines: Vec<u32> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    assert_eq!(engines.len(), 1, "exactly one engine child: {engines:?}");
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(
        !alive(engines[0]),
        "the engine {} outlived orcha",
        engines[0]
    );
}
