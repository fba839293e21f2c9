//! The live `/metrics` of a running `orcha serve --demo`: `promtool check metrics` accepts it, a
//! real Prometheus (its own temp config and data dir, 1-s scrapes) scrapes it and answers a query
//! for an Orcha series, and every panel of the Grafana dashboard queries a metric Orcha exports.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orcha_testkit::net;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills and reaps a child process when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `orcha serve --demo` on a free port; returns the guard and `host:port`.
fn start_orcha(dir: &Path) -> (Guard, String) {
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, "[orchestrator]\nshutdown_deadline = 1\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_orcha"))
        .arg("--config")
        .arg(&cfg)
        .args(["serve", "--demo", "--port", "0"])
        .env_remove("DATABASE_URL")
        .env_remove("ML_API_URL")
        .env_remove("CONFIG_PATH")
        .env("XDG_DATA_HOME", dir.join("data"))
        .env(net::API_TOKEN_ENV.0, net::API_TOKEN_ENV.1)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    (guard, addr)
}

fn metric_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

/// A metric name a PromQL expression uses, without histogram suffixes (`_bucket` etc.).
fn queried_metrics(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in expr.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            if word.starts_with("orcha_") || word.starts_with("process_") {
                out.push(std::mem::take(&mut word));
            }
            word.clear();
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_accepts_prometheus_scrapes_and_the_dashboard_matches() {
    let dir = tempfile::tempdir().unwrap();
    let (_orcha, addr) = start_orcha(dir.path());
    let http = net::client_builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // Run a cycle so the cycle, decision and allocation series exist too.
    let deadline = Instant::now() + Duration::from_secs(25);
    let wanted = [
        "orcha_adapter_polls_total",
        "orcha_node_health_state",
        "orcha_cycle_step_duration_seconds_bucket",
        "orcha_decisions_total",
        "orcha_node_allocation",
    ];
    let mut text;
    let mut asked_cycle = false;
    loop {
        text = match http.get(format!("http://{addr}/metrics")).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let names = metric_names(&text);
        if !asked_cycle && names.contains("orcha_adapter_polls_total") {
            http.post(format!("http://{addr}/api/v1/cycle"))
                .send()
                .await
                .unwrap();
            asked_cycle = true;
        }
        if wanted.iter().all(|w| names.contains(*w)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "missing {:?} in:\n{text}",
            wanted
                .iter()
                .filter(|w| !names.contains(**w))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // promtool lints the exposition: names, units, _total suffixes, HELP texts.
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed (Debian package `prometheus`, see scripts/lib.sh)");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Every dashboard panel queries metrics the running app exports.
    let names = metric_names(&text);
    let base: BTreeSet<String> = names
        .iter()
        .map(|n| {
            ["_bucket", "_sum", "_count"]
                .iter()
                .fold(n.clone(), |n, s| {
                    n.strip_suffix(s).map_or(n.clone(), str::to_owned)
                })
        })
        .chain(names.iter().cloned())
        .collect();
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../monitoring/grafana/dashboards/orcha.json"),
        )
        .unwrap(),
    )
    .expect("the dashboard is JSON");
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 8);
    for p in panels {
        let title = p["title"].as_str().unwrap();
        let targets = p["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{title} has no query");
        for t in targets {
            let expr = t["expr"].as_str().unwrap();
            let used = queried_metrics(expr);
            assert!(!used.is_empty(), "{title}: `{expr}` names no metric");
            for m in used {
                assert!(
                    base.contains(&m),
                    "{title}: `{m}` is not exported; have {base:?}"
                );
            }
        }
    }
    for topic in ["Earnings", "Allocation", "Health", "Cycle"] {
        assert!(
            panels
                .iter()
                .any(|p| p["title"].as_str().unwrap().contains(topic)),
            "no {topic} panel"
        );
    }

    // A real Prometheus scrapes Orcha every second; its HTTP API returns an Orcha series.
    let prom_port = net::free_port();
    let prom_dir = dir.path().join("prom");
    std::fs::create_dir_all(&prom_dir).unwrap();
    let prom_cfg = prom_dir.join("prometheus.yml");
    std::fs::write(
        &prom_cfg,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: orcha\n    authorization:\n      type: Bearer\n      credentials: {token}\n    static_configs:\n      - targets: [\"{addr}\"]\n",
            token = net::API_TOKEN
        ),
    )
    .unwrap();
    let check = Command::new("promtool")
        .args(["check", "config"])
        .arg(&prom_cfg)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    let repo_cfg = Command::new("promtool")
        .args(["check", "config"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../monitoring/prometheus.yml"))
        .output()
        .unwrap();
    assert!(
        repo_cfg.status.success(),
        "monitoring/prometheus.yml: {repo_cfg:?}"
    );
    let _prom = Guard(
        Command::new("prometheus")
            .arg(format!("--config.file={}", prom_cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                prom_dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus is installed"),
    );
    let deadline = Instant::now() + Duration::from_secs(25);
    loop {
        let answer = http
            .get(format!("http://127.0.0.1:{prom_port}/api/v1/query"))
            .query(&[("query", "orcha_adapter_polls_total{job=\"orcha\"}")])
            .send()
            .await;
        if let Ok(r) = answer {
            if let Ok(v) = r.json::<serde_json::Value>().await {
                let result = &v["data"]["result"];
                if result.as_array().is_some_and(|a| !a.is_empty()) {
                    let nodes: BTreeSet<&str> = result
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(|s| s["metric"]["node"].as_str())
                        .collect();
                    assert!(nodes.contains("main"), "{v}");
                    break;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never returned orcha_adapter_polls_total"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
