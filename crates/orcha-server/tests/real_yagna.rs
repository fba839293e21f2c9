//! The Golem adapter, `orcha probe golem` and `orcha serve` against a real yagna daemon.
//!
//! yagna comes from the `golem-node` wheel on PyPI (`scripts/yagna.sh` installs a pinned one and
//! exports `ORCHA_YAGNA_BIN`). It runs on loopback ports with a temporary data dir and its relay
//! pointed at a closed loopback port, so nothing leaves the machine. Without `ORCHA_YAGNA_BIN`
//! the test says why and passes only outside CI; under `CI=true` a missing daemon is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use orcha_testkit::net;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use orcha_adapters::golem::{GolemAdapter, GolemSettings};
use orcha_core::secret::Sensitive;
use orcha_core::{AdapterError, EarningsKind, HealthStatus, ProtocolAdapter, SystemClock};

const APP_KEY: &str = "orcha-real-yagna-test-key-5c2d";
const WRONG_KEY: &str = "wrong-key-must-never-be-echoed-77";

/// A running yagna, stopped (SIGTERM, then SIGKILL) when dropped.
struct Yagna {
    child: Child,
    api: String,
    _dir: tempfile::TempDir,
}

impl Drop for Yagna {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn yagna_bin() -> Option<PathBuf> {
    match std::env::var_os("ORCHA_YAGNA_BIN") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("ORCHA_YAGNA_BIN is not set under CI: scripts/yagna.sh must install yagna")
        }
        None => {
            println!("skipped: ORCHA_YAGNA_BIN is not set (run `source scripts/yagna.sh` first)");
            None
        }
    }
}

async fn start_yagna(bin: &Path) -> Yagna {
    let dir = tempfile::tempdir().unwrap();
    let (api_port, gsb_port) = (net::free_port(), net::free_port());
    let api = format!("http://127.0.0.1:{api_port}");
    let child = Command::new(bin)
        .args(["service", "run"])
        .current_dir(dir.path())
        .env("YAGNA_DATADIR", dir.path().join("yagna"))
        .env("YAGNA_API_URL", &api)
        .env("GSB_URL", format!("tcp://127.0.0.1:{gsb_port}"))
        .env("YAGNA_AUTOCONF_APPKEY", APP_KEY)
        // The relay (the only way out to the Golem network) is a closed loopback port.
        .env("YA_NET_RELAY_HOST", "127.0.0.1:9")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("yagna.log")).unwrap())
        .spawn()
        .unwrap();
    let mut y = Yagna {
        child,
        api,
        _dir: dir,
    };
    let http = reqwest::Client::new();
    // yagna answers after ~20 s; on a loaded 2-core machine it can take two minutes.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(Some(status)) = y.child.try_wait() {
            let log = std::fs::read_to_string(y._dir.path().join("yagna.log")).unwrap_or_default();
            panic!("yagna exited early ({status}): {}", tail(&log));
        }
        let me = http
            .get(format!("{}/me", y.api))
            .bearer_auth(APP_KEY)
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if matches!(&me, Ok(r) if r.status().is_success()) {
            return y;
        }
        assert!(
            Instant::now() < deadline,
            "yagna did not answer /me in 180 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn tail(s: &str) -> &str {
    &s[s.len().saturating_sub(2000)..]
}

fn adapter(api: &str, key: &str) -> GolemAdapter {
    let mut s = GolemSettings::new(
        api,
        Some(Sensitive::new(key.to_owned())),
        Arc::new(SystemClock),
    );
    s.timeout = Duration::from_secs(10);
    // ya-provider is not in the golem-node wheel: the adapter must say so, not fail.
    s.ya_provider = "/nonexistent/ya-provider".into();
    GolemAdapter::new("golem:main".parse().unwrap(), s).unwrap()
}

fn probe(api: &str, key: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "").unwrap();
    Command::new(env!("CARGO_BIN_EXE_orcha"))
        .arg("--config")
        .arg(&cfg)
        .args([
            "probe",
            "golem",
            "--endpoint",
            api,
            "--token-env",
            "YAGNA_KEY",
        ])
        .env("YAGNA_KEY", key)
        .env_remove("CONFIG_PATH")
        .env_remove("ORCHA_GOLEM_APP_KEY")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adapter_probe_and_serve_read_a_real_yagna() {
    let Some(bin) = yagna_bin() else { return };
    let y = start_yagna(&bin).await;

    // The adapter: version and identity as the daemon reports them.
    let a = adapter(&y.api, APP_KEY);
    let info = a.connect().await.unwrap();
    assert!(
        info.version
            .as_deref()
            .is_some_and(|v| v.starts_with("0.17.")),
        "{info:?}"
    );
    let id = info.remote_id.clone().unwrap();
    assert!(
        id.starts_with("0x") && id.len() == 42,
        "identity is an address: {id}"
    );
    // A fresh node has no invoices or payments: those are measured zeros, not absent figures.
    let e = a.get_current_earnings().await.unwrap();
    for kind in [EarningsKind::Lifetime, EarningsKind::Pending] {
        let m = e
            .figures
            .iter()
            .find(|(k, _)| *k == kind)
            .unwrap_or_else(|| panic!("{kind:?} missing from {:?}", e.figures))
            .1;
        assert_eq!(m.amount, 0, "{kind:?}");
    }
    // Health: reachable; without ya-provider it publishes no offers, which is degraded.
    let h = a.health_check().await;
    assert!(!matches!(h, HealthStatus::Unreachable(_)), "{h:?}");
    assert!(
        h.reasons().iter().any(|r| r.contains("offers")),
        "the missing provider is named: {h:?}"
    );

    // A wrong app key is refused with the advice to create one, and the key is not echoed.
    let bad = adapter(&y.api, WRONG_KEY);
    match bad.connect().await {
        Err(e @ AdapterError::Unauthorized { .. }) => {
            let text = e.to_string();
            assert!(text.contains("app-key"), "{text}");
            assert!(!text.contains(WRONG_KEY), "{text}");
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }

    // `orcha probe golem`: a full reading, exit 0.
    let api = y.api.clone();
    let out = tokio::task::spawn_blocking(move || probe(&api, APP_KEY))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reading: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(reading["node_info"]["remote_id"], serde_json::json!(id));
    assert_eq!(reading["earnings"]["figures"][0]["base_units"], "0");
    assert!(!stdout.contains(APP_KEY));

    // A wrong key: the reading names it, the exit code says "unauthorized", the key stays out.
    let api = y.api.clone();
    let out = tokio::task::spawn_blocking(move || probe(&api, WRONG_KEY))
        .await
        .unwrap();
    let both = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(4), "unauthorized exit code: {both}");
    assert!(both.contains("unauthorized"), "{both}");
    assert!(!both.contains(WRONG_KEY), "{both}");

    serve_against(&y).await;
}

/// `orcha serve` with the real yagna as its Golem node: the node is polled, reachable, and its
/// zero earnings are stored and served as measured values.
async fn serve_against(y: &Yagna) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[ml]\nurl = \"http://127.0.0.1:1\"\n\n[protocols.golem]\nenabled = true\napi_endpoint = \"{}\"\nya_provider = \"/nonexistent/ya-provider\"\n",
            y.api
        ),
    )
    .unwrap();
    let token = "real-yagna-api-token-0c1d";
    let mut child = Command::new(env!("CARGO_BIN_EXE_orcha"))
        .arg("--config")
        .arg(&cfg)
        .args(["serve", "--port", "0"])
        .env_remove("DATABASE_URL")
        .env_remove("ML_API_URL")
        .env_remove("CONFIG_PATH")
        .env("XDG_DATA_HOME", dir.path())
        .env("ORCHA_API_TOKEN", token)
        .env("ORCHA_GOLEM_APP_KEY", APP_KEY)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
        .spawn()
        .unwrap();
    let base = net::listening_on(&mut child);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    let node = loop {
        let nodes: serde_json::Value = http
            .get(format!("{base}/api/v1/nodes"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let golem = nodes
            .as_array()
            .and_then(|a| a.iter().find(|n| n["id"] == "golem:main"))
            .cloned();
        let polled = |n: &serde_json::Value| {
            n["health"]["checked_at"].is_string()
                && n["earnings"].as_array().is_some_and(|e| !e.is_empty())
        };
        if let Some(n) = golem.filter(polled) {
            break n;
        }
        assert!(
            Instant::now() < deadline,
            "golem:main never polled: {nodes}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let text = node.to_string();
    assert_ne!(node["health"]["state"], "unreachable", "{text}");
    assert_eq!(node["version"], "0.17.6", "{text}");
    // Measured zeros are stored as zeros, not left absent.
    let lifetime = node["earnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "lifetime")
        .unwrap_or_else(|| panic!("no lifetime figure: {text}"));
    assert_eq!(lifetime["amount"]["base_units"], "0", "{text}");
    assert!(!text.contains(APP_KEY), "{text}");
    let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(!log.contains(APP_KEY), "the app key reached the log");
}
