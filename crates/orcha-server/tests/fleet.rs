//! The fleet view end to end: three `orcha serve --demo` machines scraped by a real Prometheus
//! (1-s scrapes, a bearer token per target, `machine` labels), a fourth pushed by a Prometheus in
//! agent mode through remote_write; `fleet_snapshot` lists all four with earnings, a stopped one
//! turns down within two scrape intervals, and the fleet dashboard queries exported metrics only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use orcha_testkit::net;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use orcha_fleet::dto::MachineState;
use orcha_fleet::{fleet_snapshot, FleetClient, FleetDto, FleetError, PrometheusClient};

/// Kills and reaps a child process when dropped, however the test ends.
struct Guard(Option<Child>);

impl Guard {
    fn stop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `orcha serve --demo` as machine `name` with API token `token`; returns the guard and `host:port`.
fn start_orcha(dir: &Path, name: &str, token: &str) -> (Guard, String) {
    let home = dir.join(name);
    std::fs::create_dir_all(&home).unwrap();
    let cfg = home.join("config.toml");
    std::fs::write(
        &cfg,
        format!("[orchestrator]\nshutdown_deadline = 1\nmachine = \"{name}\"\n"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_orcha"))
        .arg("--config")
        .arg(&cfg)
        .args(["serve", "--demo", "--port", "0"])
        .env_remove("DATABASE_URL")
        .env_remove("CONFIG_PATH")
        // No ML engine: the fleet view does not need it, and four would crowd the test box.
        .env("ML_API_URL", "http://127.0.0.1:9")
        .env("ORCHA_API_TOKEN", token)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = Guard(Some(child));
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    (guard, addr)
}

fn promtool_check(cfg: &Path) {
    let out = Command::new("promtool")
        .args(["check", "config"])
        .arg(cfg)
        .output()
        .expect("promtool is installed (Debian package `prometheus`)");
    assert!(out.status.success(), "{}: {out:?}", cfg.display());
}

fn start_prometheus(dir: &Path, config: &str, port: u16, extra: &[&str]) -> Guard {
    std::fs::create_dir_all(dir).unwrap();
    let cfg = dir.join("prometheus.yml");
    std::fs::write(&cfg, config).unwrap();
    promtool_check(&cfg);
    let agent = extra.contains(&"--enable-feature=agent");
    let storage = if agent {
        "--storage.agent.path"
    } else {
        "--storage.tsdb.path"
    };
    Guard(Some(
        Command::new("prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("{storage}={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus is installed"),
    ))
}

/// One scrape config per machine: each target has its own token, and relabeling puts them all
/// under job `orcha`. `box3` gets no `machine` label: its name comes from `orcha_machine_info`.
fn hub_config(targets: &[(&str, &str, &str)]) -> String {
    let mut c = String::from(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n",
    );
    for (name, addr, token) in targets {
        c.push_str(&format!(
            "  - job_name: orcha-{name}\n    authorization:\n      credentials: {token}\n    static_configs:\n      - targets: [\"{addr}\"]\n"
        ));
        if *name != "box3" {
            c.push_str(&format!("        labels:\n          machine: {name}\n"));
        }
        c.push_str("    relabel_configs:\n      - target_label: job\n        replacement: orcha\n");
    }
    c
}

fn client(port: u16) -> FleetClient {
    let cfg = orcha_core::config::FleetConfig {
        prometheus_url: format!("http://127.0.0.1:{port}"),
        stale_after_secs: 30,
        ..Default::default()
    };
    let p = PrometheusClient::new(&cfg.prometheus_url, None, Duration::from_secs(5)).unwrap();
    FleetClient::new(p, &cfg)
}

async fn snapshot(c: &FleetClient) -> Option<FleetDto> {
    fleet_snapshot(c, chrono::Utc::now()).await.ok()
}

fn has_all_windows(f: &FleetDto, name: &str) -> bool {
    f.machines.iter().any(|m| {
        m.machine == name
            && m.state == MachineState::Up
            && ["today", "7d", "30d"]
                .iter()
                .all(|w| m.earnings.iter().any(|e| e.window == *w && e.fiat == "usd"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_of_three_scraped_and_one_pushed() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["box1", "box2", "box3", "box4"];
    let mut orchas = Vec::new();
    for (i, n) in names.iter().enumerate() {
        orchas.push(start_orcha(dir.path(), n, &format!("token-{i}")));
    }
    let tokens: Vec<String> = (0..3).map(|i| format!("token-{i}")).collect();
    let targets: Vec<(&str, &str, &str)> = (0..3)
        .map(|i| (names[i], orchas[i].1.as_str(), tokens[i].as_str()))
        .collect();
    let hub_port = net::free_port();
    let _hub = start_prometheus(
        &dir.path().join("hub"),
        &hub_config(&targets),
        hub_port,
        &["--web.enable-remote-write-receiver"],
    );
    // box4 is pushed: an agent on "its" machine scrapes it and remote-writes to the hub; the
    // machine name travels as an external label.
    let agent_port = net::free_port();
    let agent_cfg = format!(
        "global:\n  scrape_interval: 1s\n  external_labels:\n    machine: box4\nscrape_configs:\n  - job_name: orcha\n    authorization:\n      credentials: token-3\n    static_configs:\n      - targets: [\"{}\"]\nremote_write:\n  - url: http://127.0.0.1:{hub_port}/api/v1/write\n    queue_config:\n      batch_send_deadline: 1s\n",
        orchas[3].1
    );
    let _agent = start_prometheus(
        &dir.path().join("agent"),
        &agent_cfg,
        agent_port,
        &["--enable-feature=agent"],
    );
    promtool_check(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../monitoring/prometheus-fleet.yml"),
    );

    // A cycle on every machine, so the allocation series exist as well.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for (i, (_, addr)) in orchas.iter().enumerate() {
        let asked = Instant::now();
        loop {
            let r = http
                .post(format!("http://{addr}/api/v1/cycle"))
                .bearer_auth(format!("token-{i}"))
                .send()
                .await;
            if r.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            assert!(
                asked.elapsed() < Duration::from_secs(20),
                "no cycle on {addr}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    let c = client(hub_port);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(90);
    let fleet = loop {
        if let Some(f) = snapshot(&c).await {
            if names.iter().all(|n| has_all_windows(&f, n))
                && f.machines.iter().all(|m| !m.allocation.is_empty())
            {
                break f;
            }
            if Instant::now() > deadline {
                panic!("the fleet never showed four machines with earnings: {f:#?}");
            }
        }
        assert!(Instant::now() < deadline, "no snapshot from the hub");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    println!(
        "all four machines up with earnings and allocation after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(fleet.totals.machines, 4, "{fleet:#?}");
    assert_eq!(fleet.totals.machines_up, 4);
    for m in &fleet.machines {
        assert_eq!(
            m.version.as_deref(),
            Some(env!("CARGO_PKG_VERSION")),
            "{m:#?}"
        );
        assert!(m.nodes.len() >= 4, "{m:#?}");
        assert!(m.last_scrape.is_some());
        assert!(m.alerts_open.is_some());
        assert!(m.allocation.iter().any(|a| a.amount > 0.0), "{m:#?}");
    }
    let today: f64 = fleet
        .totals
        .earnings
        .iter()
        .filter(|e| e.window == "today")
        .map(|e| e.value)
        .sum();
    let per_machine: f64 = fleet
        .machines
        .iter()
        .flat_map(|m| &m.earnings)
        .filter(|e| e.window == "today")
        .map(|e| e.value)
        .sum();
    assert!(
        (today - per_machine).abs() < 1e-6,
        "{today} vs {per_machine}"
    );
    println!(
        "fleet earnings today: {today:.4} usd; totals {:?}",
        fleet.totals
    );

    // Stop box2: the next failed scrape (1 s) marks it down.
    orchas[1].0.stop();
    let stopped = Instant::now();
    let down_after = loop {
        if let Some(f) = snapshot(&c).await {
            let m = f.machines.iter().find(|m| m.machine == "box2").unwrap();
            if m.state == MachineState::Down {
                assert_eq!(f.totals.machines, 4);
                assert_eq!(f.totals.machines_up, 3);
                break stopped.elapsed();
            }
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(10),
            "box2 never shown down"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!(
        "stopped machine shown down after {:.2} s (scrape interval 1 s)",
        down_after.as_secs_f64()
    );
    // Two scrape intervals, plus the 100-ms polling of this loop and the query itself.
    assert!(down_after <= Duration::from_millis(2300), "{down_after:?}");

    // The client's limits: a size cap refuses a big answer, an unreachable URL is named.
    let small = PrometheusClient::new(
        &format!("http://127.0.0.1:{hub_port}"),
        None,
        Duration::from_secs(5),
    )
    .unwrap()
    .with_max_bytes(200);
    let e = small.query("up", chrono::Utc::now()).await.unwrap_err();
    assert!(matches!(e, FleetError::TooLarge { .. }), "{e}");

    // The fleet dashboard queries only what Orcha exports (plus Prometheus's own `up`).
    let text = http
        .get(format!("http://{}/metrics", orchas[0].1))
        .bearer_auth("token-0")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let exported: BTreeSet<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../monitoring/grafana/dashboards/fleet.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut queried = 0;
    let panels = dashboard["panels"].as_array().unwrap();
    for p in panels {
        for t in p["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"].as_str().unwrap();
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if word.starts_with("orcha_") {
                    assert!(
                        exported.contains(word),
                        "{}: `{word}` is not exported",
                        p["title"]
                    );
                    queried += 1;
                }
            }
            // Every query answers on the real hub (a syntax error would fail here).
            let q = expr.replace("$machine", ".*").replace("$__range", "1h");
            c.prometheus
                .query(&q, chrono::Utc::now())
                .await
                .unwrap_or_else(|e| panic!("{expr}: {e}"));
        }
    }
    assert!(queried >= 6, "the fleet dashboard queries too little");
}
