//! Measured usage through the real poll path: a real child process burning a core and holding
//! known memory, measured by `orcha_usage` on every poll and stored as `measured.*` samples in
//! a real SQLite file beside the protocol's own samples, and shown in `NodeDto::measured`.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use orcha_api::orchestrator::poll_node;
use orcha_core::config::NodeUsageConfig;
use orcha_core::{NodeId, ResourceMetrics};
use orcha_store::Resolution;
use orcha_testkit::{FakeNode, TestApp};

const ALLOC_BYTES: f64 = 200.0 * 1024.0 * 1024.0;

/// Holds `ALLOC_BYTES` resident and spins one thread; `t` prints its own CPU time, the
/// reference the measurement is judged by.
const SCRIPT: &str = r#"
import sys, threading, time
hold = b"\x01" * (200 * 1024 * 1024)
def spin():
    while True:
        pass
threading.Thread(target=spin, daemon=True).start()
for line in sys.stdin:
    print(time.process_time_ns(), flush=True)
"#;

struct Burner {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Burner {
    fn start() -> Burner {
        let mut child = Command::new("nice")
            .args(["-n", "-20", "python3", "-u", "-c", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut b = Burner {
            child,
            stdin,
            stdout,
        };
        b.cpu_ns();
        b
    }

    fn cpu_ns(&mut self) -> u64 {
        writeln!(self.stdin, "t").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim().parse().unwrap()
    }
}

impl Drop for Burner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_process_is_measured_every_poll_and_stored_beside_the_protocols_samples() {
    let mut burner = Burner::start();
    let pid = burner.child.id();
    let app = TestApp::builder()
        .configure(|c| {
            c.usage.enabled = true;
            c.usage.nodes.insert(
                "storj:main".into(),
                NodeUsageConfig {
                    process: pid.to_string(),
                    ..Default::default()
                },
            );
        })
        .node(FakeNode::new("storj:main").usage(ResourceMetrics {
            disk_used_bytes: Some(5e9),
            ..Default::default()
        }))
        .build();
    let node = app.node(0);
    let from = Utc::now() - chrono::Duration::seconds(5);

    poll_node(&app.state, node).await;
    let (c0, t0) = (burner.cpu_ns(), Instant::now());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (c1, t1) = (burner.cpu_ns(), Instant::now());
    poll_node(&app.state, node).await;
    let reference = (c1 - c0) as f64 / 1e6 / (t1 - t0).as_secs_f64();

    let id: NodeId = "storj:main".parse().unwrap();
    let to = Utc::now() + chrono::Duration::seconds(5);
    let read = |metric: &'static str| {
        let id = id.clone();
        app.state
            .db(move |s| s.samples(&id, metric, from, to, Resolution::Raw))
    };
    let mem = read("measured.mem_bytes").await.unwrap();
    let cpu = read("measured.cpu_millicores").await.unwrap();
    let own = read("disk_used_bytes").await.unwrap();
    // Memory on both polls, CPU (a rate) only from the second.
    assert_eq!(mem.len(), 2, "{mem:?}");
    assert_eq!(cpu.len(), 1, "{cpu:?}");
    // The child holds 200 MiB plus the interpreter (~10 MiB).
    for p in &mem {
        assert!(
            p.value >= ALLOC_BYTES && p.value < ALLOC_BYTES + 64.0 * 1024.0 * 1024.0,
            "{}",
            p.value
        );
    }
    // The meter's window and the reference's differ by the polls' few milliseconds.
    let measured = cpu[0].value;
    assert!(
        (measured - reference).abs() <= reference * 0.15 + 30.0,
        "measured {measured} millicores, the process says {reference}"
    );
    assert!(reference > 200.0, "the spinning thread got {reference}");
    // The protocol's own sample is untouched beside them.
    assert_eq!(own.len(), 2);
    assert_eq!(own[0].value, 5e9);

    let dto = orcha_api::ops::nodes(&app.state).await.unwrap();
    let m = dto[0].measured.as_ref().expect("measured usage in the DTO");
    assert!(m.running);
    assert_eq!(m.target, format!("process {pid}"));
    assert_eq!(m.pids.first().copied(), Some(pid as i32));
    let res = |metric: &str| m.resources.iter().find(|r| r.metric == metric).unwrap();
    assert_eq!(res("measured.mem_bytes").source, "process");
    assert_eq!(
        res("measured.mem_bytes").resource.as_deref(),
        Some("memory")
    );
    assert_eq!(res("measured.cpu_millicores").value, measured);
    // The machine's real maxima: every logical CPU, all RAM.
    let limits = orcha_usage::MachineLimits::read().unwrap();
    assert_eq!(
        res("measured.cpu_millicores").machine_max.as_deref(),
        Some(limits.cpu_millicores().to_string().as_str())
    );
}

#[tokio::test]
async fn a_stopped_process_is_not_running_and_the_demo_is_not_measured() {
    let app = TestApp::builder()
        .configure(|c| {
            c.usage.enabled = true;
            c.usage.nodes.insert(
                "golem:main".into(),
                NodeUsageConfig {
                    process: "no-such-node-process".into(),
                    ..Default::default()
                },
            );
        })
        .node(FakeNode::new("golem:main"))
        .build();
    let outcome = poll_node(&app.state, app.node(0)).await;
    // A stopped process is not a failed poll: the API answered.
    assert!(outcome.ok);
    let m = app.node(0).live().measured.unwrap();
    assert!(!m.running);
    assert!(m.error.unwrap().contains("no running process"));

    let demo = TestApp::builder()
        .demo(true)
        .node(FakeNode::new("golem:main"))
        .build();
    poll_node(&demo.state, demo.node(0)).await;
    assert!(demo.node(0).live().measured.is_none());
}
