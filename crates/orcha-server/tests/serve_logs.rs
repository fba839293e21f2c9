//! The real `orcha serve --demo` logs JSON lines with key/value fields to standard error, and a
//! full demo run (polls, a cycle, failing alert channels, SIGTERM) logs none of the configured
//! tokens: the API token, the alert channel tokens and the simulated nodes' credentials.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orcha_testkit::net;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const API_TOKEN: &str = "api-token-5d1e7c0b9a";
const NTFY_TOKEN: &str = "ntfy-token-e3b0c44298";
const TELEGRAM_TOKEN: &str = "777:telegram-token-fc1c9b";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_run_logs_json_fields_and_no_configured_token() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    // Every channel points at port 1, where nothing listens, so every send fails and is logged.
    std::fs::write(
        &cfg,
        r#"
[ml]
url = "http://127.0.0.1:1"

[alerts]
ntfy_url = "http://127.0.0.1:1/orcha"
telegram_chat_id = "42"
telegram_api_url = "http://127.0.0.1:1"
send_timeout_secs = 1
notify_min_severity = "info"
"#,
    )
    .unwrap();
    let stderr_path = dir.path().join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_orcha"))
        .arg("--config")
        .arg(&cfg)
        .args(["serve", "--demo", "--port", "0"])
        .env_remove("DATABASE_URL")
        .env_remove("ML_API_URL")
        .env_remove("CONFIG_PATH")
        .env("XDG_DATA_HOME", dir.path())
        .env("RUST_LOG", "debug")
        .env("ORCHA_API_TOKEN", API_TOKEN)
        .env("ORCHA_ALERTS_NTFY_TOKEN", NTFY_TOKEN)
        .env("ORCHA_ALERTS_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let base = net::listening_on(&mut child);

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let auth = format!("Bearer {API_TOKEN}");
    let r = http
        .post(format!("{base}/api/v1/cycle"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let test = http
        .post(format!("{base}/api/v1/alerts/test"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert!(test.status().is_success(), "{}", test.status());
    // Wait for a finished cycle, so every step has logged. The cycle is stored as finished
    // before its alerts are evaluated and its last line is logged, so wait for that line too:
    // on a loaded machine SIGTERM could otherwise arrive in between.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let latest: serde_json::Value = http
            .get(format!("{base}/api/v1/cycles/latest"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let logged = std::fs::read_to_string(&stderr_path)
            .unwrap_or_default()
            .contains("Optimization cycle finished.");
        if latest["finished_at"].is_string() && logged {
            break;
        }
        assert!(Instant::now() < deadline, "no cycle finished: {latest}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("orcha did not stop within 30 s of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status}");

    let log = std::fs::read_to_string(&stderr_path).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() > 10, "{log}");
    for l in &lines {
        assert!(
            l["timestamp"].is_string() && l["level"].is_string() && l["target"].is_string(),
            "{l}"
        );
    }
    // Fields are their own keys (flattened), not baked into the message.
    let find = |message: &str| {
        lines
            .iter()
            .find(|l| l["message"] == message)
            .unwrap_or_else(|| panic!("no {message:?} in the log:\n{log}"))
    };
    assert!(find("Optimization cycle finished.")["cycle"].is_i64());
    assert!(find("API listening.")["addr"].is_string());
    assert_eq!(find("An alert notification failed.")["level"], "WARN");
    assert_eq!(find("Stopped.")["level"], "INFO");

    let sim = orcha_sim::SimConfig::demo(dir.path().join("unused"));
    for secret in [
        API_TOKEN,
        NTFY_TOKEN,
        TELEGRAM_TOKEN,
        &sim.golem_app_key,
        &sim.grass_token,
    ] {
        assert!(
            !log.contains(secret),
            "a configured token ({}…) is in the log",
            &secret[..6]
        );
    }
}
