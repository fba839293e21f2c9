//! The fleet view against a real Prometheus scraping two stand-in exporters (fixed Orcha series),
//! and the client's limits: bearer token sent, size cap without Content-Length, unreachable URL named.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use orcha_core::config::FleetConfig;
use orcha_core::secret::Sensitive;
use orcha_fleet::dto::{FleetHealth, MachineState};
use orcha_fleet::{fleet_snapshot, FleetClient, FleetError, PrometheusClient};

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A one-thread HTTP server answering every request with `body`; records request heads.
/// Stops answering (closes its socket) when `stop` is set.
fn serve(body: String, stop: Arc<AtomicBool>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&heads);
    std::thread::spawn(move || loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match listener.accept() {
            Ok((mut s, _)) => {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut buf = [0u8; 8192];
                let n = s.read(&mut buf).unwrap_or(0);
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                // No Content-Length: the client must cap what it reads by itself.
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n{body}"
                );
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    });
    (addr, heads)
}

fn exposition(machine: &str) -> String {
    format!(
        "# TYPE orcha_machine_info gauge\norcha_machine_info{{machine=\"{machine}\",version=\"0.1.0\"}} 1\n\
# TYPE orcha_node_health_state gauge\norcha_node_health_state{{node=\"main\",protocol=\"golem\"}} 1\norcha_node_health_state{{node=\"main\",protocol=\"storj\"}} 3\n\
# TYPE orcha_node_earnings_fiat gauge\norcha_node_earnings_fiat{{fiat=\"usd\",node=\"main\",protocol=\"golem\",window=\"today\"}} 1.5\norcha_node_earnings_fiat{{fiat=\"usd\",node=\"main\",protocol=\"storj\",window=\"today\"}} 0.5\n\
# TYPE orcha_node_allocation gauge\norcha_node_allocation{{node=\"main\",protocol=\"golem\",resource=\"cpu_millicores\"}} 2000\n\
# TYPE orcha_alerts_open gauge\norcha_alerts_open 2\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_from_a_real_prometheus() {
    let stop_a = Arc::new(AtomicBool::new(false));
    let (a, _) = serve(exposition("alpha"), Arc::clone(&stop_a));
    let (b, _) = serve(exposition("beta"), Arc::new(AtomicBool::new(false)));
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = dir.path().join("prometheus.yml");
    // alpha gets its name from a target label, beta from its own orcha_machine_info.
    std::fs::write(
        &cfg,
        format!("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: orcha\n    static_configs:\n      - targets: [\"{a}\"]\n        labels:\n          machine: alpha\n      - targets: [\"{b}\"]\n"),
    )
    .unwrap();
    let _prom = Guard(
        Command::new("prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus is installed (Debian package `prometheus`)"),
    );
    let fleet_cfg = FleetConfig {
        prometheus_url: format!("http://127.0.0.1:{port}"),
        dashboard_urls: [("alpha".to_owned(), "http://grafana/d/x".to_owned())].into(),
        ..Default::default()
    };
    let client = FleetClient::new(
        PrometheusClient::new(&fleet_cfg.prometheus_url, None, Duration::from_secs(5)).unwrap(),
        &fleet_cfg,
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let f = loop {
        if let Ok(f) = fleet_snapshot(&client, chrono::Utc::now()).await {
            if f.totals.machines_up == 2 && f.machines.iter().all(|m| !m.nodes.is_empty()) {
                break f;
            }
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never showed both machines"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let names: Vec<&str> = f.machines.iter().map(|m| m.machine.as_str()).collect();
    assert_eq!(names, ["alpha", "beta"]);
    let alpha = &f.machines[0];
    assert_eq!(alpha.dashboard_url.as_deref(), Some("http://grafana/d/x"));
    assert_eq!(alpha.version.as_deref(), Some("0.1.0"));
    assert_eq!(alpha.alerts_open, Some(2));
    assert_eq!(alpha.nodes.len(), 2);
    assert_eq!(alpha.nodes[0].health, FleetHealth::Healthy);
    assert_eq!(alpha.nodes[1].health, FleetHealth::Unreachable);
    assert!((alpha.earnings[0].value - 2.0).abs() < 1e-9, "{alpha:?}");
    assert!((f.totals.earnings[0].value - 4.0).abs() < 1e-9);
    assert_eq!(f.totals.allocation[0].resource, "cpu_millicores");
    assert!((f.totals.allocation[0].amount - 4000.0).abs() < 1e-9);
    assert_eq!(
        (f.totals.nodes, f.totals.nodes_healthy, f.totals.alerts_open),
        (4, 2, 4)
    );

    // Asked a minute later with nothing scraped since, every machine is stale (an agent-mode box
    // that stopped pushing altogether looks like this).
    let later = fleet_snapshot(&client, chrono::Utc::now() + chrono::Duration::seconds(150))
        .await
        .unwrap();
    assert!(
        later
            .machines
            .iter()
            .all(|m| m.state == MachineState::Stale),
        "{later:#?}"
    );
    assert_eq!(later.totals.machines, 2);

    stop_a.store(true, Ordering::SeqCst);
    let stopped = Instant::now();
    loop {
        let f = fleet_snapshot(&client, chrono::Utc::now()).await.unwrap();
        if f.machines[0].state == MachineState::Down {
            println!("alpha down after {:.2} s", stopped.elapsed().as_secs_f64());
            assert_eq!(f.machines[1].state, MachineState::Up);
            break;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(10),
            "alpha never down"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn client_limits() {
    // A big answer without Content-Length is cut at the cap; the token goes in the header.
    let big = format!("{{\"status\":\"success\",\"data\":{{\"resultType\":\"vector\",\"result\":[]}},\"pad\":\"{}\"}}", "x".repeat(10_000));
    let (addr, heads) = serve(big, Arc::new(AtomicBool::new(false)));
    let c = PrometheusClient::new(
        &format!("http://{addr}"),
        Some(Sensitive::new("fleet-token".into())),
        Duration::from_secs(5),
    )
    .unwrap();
    let e = c
        .clone()
        .with_max_bytes(1000)
        .query("up", chrono::Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(e, FleetError::TooLarge { .. }), "{e}");
    assert!(c.query("up", chrono::Utc::now()).await.unwrap().is_empty());
    let head = heads.lock().unwrap().join("\n").to_ascii_lowercase();
    assert!(head.contains("authorization: bearer fleet-token"), "{head}");

    // Nothing listens on a just-closed port: the error names the URL, not the token.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = PrometheusClient::new(
        &format!("http://127.0.0.1:{port}"),
        Some(Sensitive::new("fleet-token".into())),
        Duration::from_secs(2),
    )
    .unwrap();
    let e = c
        .query("up", chrono::Utc::now())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("http://127.0.0.1:{port}")) && e.contains("unreachable"),
        "{e}"
    );
    assert!(!e.contains("fleet-token"), "{e}");
}
