//! A crash in the middle of an apply, for real: `orcha serve` writes a node's CPU limit to a
//! real cgroup, is killed with SIGKILL before it can close the apply's journal row, and the next
//! `orcha serve` on the same data directory rolls the cgroup back to the recorded previous value
//! and closes the row `reconciled`, audited. Needs root and a writable cgroup hierarchy (as the
//! `orcha-enforce` cgroup tests); without them it says so and passes without checking anything.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use orcha_core::ResourceKind;
use orcha_enforce::cgroup::{CgroupBackend, CgroupVersion};
use orcha_enforce::{EnforcementBackend, Limits};
use orcha_sim::{Scenario, SimConfig, Simulator};
use orcha_store::{DecisionRow, Store};
use orcha_testkit::net;

/// The cgroup's CPU limit before the apply, and the one the approved plan writes (millicores).
const BEFORE: u64 = 500;
const AFTER: u64 = 1000;

/// Removes the test's cgroup directories, even when an assertion fails.
struct Cgroup {
    dirs: Vec<PathBuf>,
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        for d in &self.dirs {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// Kills the server if the test ends early.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A cgroup of this test's own, or `None` when this machine does not let us make one.
fn make_cgroup(name: &str) -> Option<(CgroupVersion, Cgroup)> {
    let version = CgroupVersion::detect().ok()?;
    let dirs: Vec<PathBuf> = match &version {
        CgroupVersion::V2 { root } => {
            let _ = std::fs::write(root.join("cgroup.subtree_control"), "+cpu +memory");
            vec![root.join(name)]
        }
        CgroupVersion::V1 { cpu, memory } => vec![cpu.join(name), memory.join(name)],
    };
    for d in &dirs {
        if std::fs::create_dir_all(d).is_err() {
            return None;
        }
    }
    Some((version, Cgroup { dirs }))
}

fn orcha(data: &Path) -> Command {
    let mut c =
        orcha_testkit::cli::orcha(env!("CARGO_BIN_EXE_orcha"), &data.join("config.toml"), data);
    c.env_remove(orcha_api::cycle::apply::DEBUG_APPLY_PAUSE_ENV)
        .env(net::API_TOKEN_ENV.0, net::API_TOKEN_ENV.1);
    c
}

fn serve(mut cmd: Command) -> (Server, String) {
    let mut child = cmd
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = net::listening_on(&mut child);
    (Server(child), base)
}

async fn cpu(backend: &CgroupBackend) -> u64 {
    let read: Limits = backend.read().await.unwrap();
    read[&ResourceKind::Cpu]
}

/// Waits up to 30 s for `check` to hold, polling every 100 ms.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_an_apply_is_rolled_back_at_the_next_start() {
    let name = format!("orcha-crash-test-{}", std::process::id());
    let Some((version, _cgroup)) = make_cgroup(&name) else {
        eprintln!("skipped: no writable cgroup hierarchy (needs root)");
        return;
    };
    let backend = CgroupBackend::new(version, &name);
    backend
        .apply(&Limits::from([(ResourceKind::Cpu, BEFORE)]))
        .await
        .unwrap();
    assert_eq!(cpu(&backend).await, BEFORE);

    // A Storj node (the simulator's) whose CPU and memory go through the cgroup backend.
    let dir = tempfile::tempdir().unwrap();
    let mut sim_config = SimConfig::stepped(Scenario::minimal(), dir.path().join("sim"));
    sim_config.start = Some(chrono::Utc::now());
    let sim = Simulator::start(sim_config).await.unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            r#"
[orchestrator]
optimization_interval = 3600

[protocols.storj]
enabled = true
api_endpoint = "{storj}"

[allocation]
grant_cpu_cores = 2.0
# A plan that only moves CPU gains nothing in Storj's earnings model; with no margin and no
# change cost the operator's approval is what decides.
margin_usd = "0"
change_cost_usd = "0"

[allocation.nodes."storj:main"]
runs_as = "native"
cgroup = "{name}"
"#,
            storj = sim.storj_url(),
        ),
    )
    .unwrap();

    // First run: held for a minute after each node's writes, so the kill lands mid-apply.
    let mut first = orcha(dir.path());
    first.env(orcha_api::cycle::apply::DEBUG_APPLY_PAUSE_ENV, "60000");
    let (mut server, base) = serve(first);
    let http = net::client();
    until("storj:main's first reading", || async {
        let nodes: serde_json::Value = match http.get(format!("{base}/api/v1/nodes")).send().await {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => return false,
        };
        nodes[0]["health"]["state"] == "healthy" && !nodes[0]["earnings"].is_null()
    })
    .await;

    // A recommended plan that moves the node's CPU, as a dry-run cycle would have recorded it.
    let db = dir.path().join("depin-orcha").join("orcha.db");
    let decision = Store::open(&db)
        .unwrap()
        .insert_decision(&DecisionRow {
            created_at: chrono::Utc::now().timestamp_millis(),
            verdict: "recommend".to_owned(),
            reason: "crash test".to_owned(),
            proposed_plan: Some(
                serde_json::json!({ "nodes": [
                    { "node": "storj:main", "proposed": { "cpu": AFTER } }
                ] })
                .to_string(),
            ),
            ..DecisionRow::default()
        })
        .unwrap();
    let approve = tokio::spawn({
        let (http, base) = (http.clone(), base.clone());
        async move {
            http.post(format!("{base}/api/v1/allocation/approve"))
                .json(&serde_json::json!({ "decision_id": decision }))
                .send()
                .await
                .map(|r| r.status())
        }
    });
    until("the apply's write to the cgroup", || async {
        cpu(&backend).await == AFTER
    })
    .await;
    server.0.kill().unwrap(); // SIGKILL
    server.0.wait().unwrap();
    assert!(
        approve.await.unwrap().is_err(),
        "the approval must not have answered: the server died in it"
    );

    // The crash left the cgroup changed and the journal row open.
    assert_eq!(cpu(&backend).await, AFTER);
    let open = Store::open(&db)
        .unwrap()
        .journal(Some("started"), 10)
        .unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let row = open[0].clone();
    // The approval is recorded as a decision of its own, after the recommended one.
    assert_eq!(row.decision_id, Some(decision + 1));
    assert_eq!(row.actor, "api");
    assert_eq!(
        row.previous,
        format!(r#"{{"storj:main":{{"cpu":{BEFORE}}}}}"#)
    );

    // Second run (no pause): the data-dir lock died with the process, and the start-up
    // reconciliation writes the recorded previous value back through the same backend.
    let (_server, _base) = serve(orcha(dir.path()));
    until("the journal row to be reconciled", || async {
        Store::open(&db)
            .unwrap()
            .journal(Some("reconciled"), 10)
            .unwrap()
            .iter()
            .any(|r| r.id == row.id)
    })
    .await;
    assert_eq!(
        cpu(&backend).await,
        BEFORE,
        "the cgroup is back at its value"
    );
    let store = Store::open(&db).unwrap();
    assert!(store.journal(Some("started"), 10).unwrap().is_empty());
    let reconciled = store.journal(Some("reconciled"), 10).unwrap();
    assert!(
        reconciled[0]
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("1 node(s) restored"),
        "{reconciled:?}"
    );
    drop(sim);
}
