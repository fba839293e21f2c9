//! A loop that survives its own crashes: supervised tasks restart after a panic, one apply at a
//! time through a journal that a crash mid-apply is rolled back from, and every change audited
//! with the door it came in by.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::DateTime;
use orcha_api::cycle::apply::{transact, NodeChange};
use orcha_api::dto::{AuditQuery, PauseRequest};
use orcha_api::metrics::Metrics;
use orcha_api::ml::MlClient;
use orcha_api::policy::{amounts_json, Amounts};
use orcha_api::state::AppParts;
use orcha_api::supervisor::Backoff;
use orcha_api::{ops, Actor, AppState, NodeRuntime};
use orcha_core::config::{Config, NodeConfig};
use orcha_core::secret::MemorySecretStore;
use orcha_core::*;
use orcha_store::Store;
use tokio_util::sync::CancellationToken;

/// One CPU knob; the first `panics` resource reads panic, like a bug in an adapter would.
struct Fake {
    id: NodeId,
    cpu: Mutex<u64>,
    writes: Mutex<Vec<u64>>,
    reads: AtomicU32,
    panics: u32,
    /// Applies running right now, and the most ever seen at once.
    in_flight: AtomicU32,
    max_in_flight: AtomicU32,
}

#[async_trait]
impl ProtocolAdapter for Fake {
    fn protocol_name(&self) -> ProtocolId {
        self.id.protocol()
    }
    fn node_id(&self) -> &NodeId {
        &self.id
    }
    async fn connect(&self) -> Result<NodeInfo, AdapterError> {
        Ok(NodeInfo::default())
    }
    async fn disconnect(&self) -> Result<(), AdapterError> {
        Ok(())
    }
    async fn get_current_earnings(&self) -> Result<EarningsData, AdapterError> {
        Err(AdapterError::Unsupported {
            what: "fake".into(),
        })
    }
    async fn get_resource_usage(&self) -> Result<ResourceMetrics, AdapterError> {
        let n = self.reads.fetch_add(1, Ordering::SeqCst);
        assert!(n >= self.panics, "fake adapter bug on read {n}");
        Ok(ResourceMetrics::default())
    }
    async fn apply_allocation(
        &self,
        allocation: &ResourceVector,
    ) -> Result<AppliedAllocation, AdapterError> {
        let want = allocation.cpu_millicores;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        // Long enough for a second apply to start if nothing stopped it.
        tokio::time::sleep(Duration::from_millis(30)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.writes.lock().unwrap().push(want);
        *self.cpu.lock().unwrap() = want;
        Ok(AppliedAllocation {
            node: self.id.clone(),
            read_back: BTreeMap::from([(ResourceKind::Cpu, want)]),
            restarted: false,
        })
    }
    async fn health_check(&self) -> HealthStatus {
        HealthStatus::Healthy
    }
    fn capabilities(&self) -> Vec<Capability> {
        vec![Capability {
            resource: ResourceKind::Cpu,
            knob: Knob::ProtocolSetting("ya-provider profile cpu_threads".into()),
            min: 100,
            max: 8000,
            step: 100,
            restart_required: false,
            restart_cost: RestartCost::default(),
            preconditions: vec![],
        }]
    }
}

struct World {
    _dir: tempfile::TempDir,
    state: Arc<AppState>,
    node: Arc<Fake>,
}

fn world(db: Option<(tempfile::TempDir, Store)>, cpu: u64, panics: u32) -> World {
    let (dir, store) = db.unwrap_or_else(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("orcha.db")).unwrap();
        (dir, store)
    });
    let id: NodeId = "golem:a".parse().unwrap();
    let node = Arc::new(Fake {
        id: id.clone(),
        cpu: Mutex::new(cpu),
        writes: Mutex::new(Vec::new()),
        reads: AtomicU32::new(0),
        panics,
        in_flight: AtomicU32::new(0),
        max_in_flight: AtomicU32::new(0),
    });
    let state = AppState::new(AppParts {
        config: Config::default(),
        store,
        secrets: Arc::new(MemorySecretStore::default()),
        clock: Arc::new(ManualClock::new(
            DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
                .unwrap()
                .to_utc(),
        )),
        metrics: Metrics::new(),
        nodes: vec![Arc::new(NodeRuntime::new(
            NodeConfig {
                id,
                api_endpoint: "http://127.0.0.1:9".into(),
                poll_interval: Duration::from_millis(20),
                auto_apply: false,
            },
            Arc::clone(&node) as Arc<dyn ProtocolAdapter>,
        ))],
        ml: MlClient::new(None, Duration::from_secs(1)),
        demo: false,
    });
    World {
        _dir: dir,
        state,
        node,
    }
}

fn cpu(v: u64) -> Amounts {
    Amounts::from([(ResourceKind::Cpu, v)])
}

async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn a_panicking_poller_is_restarted_counted_and_polls_again() {
    let w = world(None, 2000, 1);
    let backoff = Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(100),
        healthy_after: Duration::from_secs(60),
    };
    let handle = orcha_api::orchestrator::spawn_with(
        Arc::clone(&w.state),
        CancellationToken::new(),
        backoff,
    );
    let restarts = w
        .state
        .metrics
        .task_restarts
        .with_label_values(&["poll:golem:a"]);
    eventually("a restart and later good polls", || {
        restarts.get() == 1 && w.node.reads.load(Ordering::SeqCst) >= 3
    })
    .await;
    let rt = w.state.node("golem:a").unwrap();
    eventually("a successful poll", || {
        rt.live().last_poll.is_some_and(|p| p.ok)
    })
    .await;
    assert!(w
        .state
        .metrics
        .render()
        .contains("orcha_task_restarts_total{task=\"poll:golem:a\"} 1"));
    // Shutdown still ends every supervised task well within the deadline.
    tokio::time::timeout(
        Duration::from_secs(5),
        handle.shutdown(Duration::from_secs(2)),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_apply_is_journaled_started_then_done() {
    let w = world(None, 2000, 0);
    let change = NodeChange {
        node: "golem:a".parse().unwrap(),
        before: cpu(2000),
        after: cpu(3000),
        restart: false,
    };
    let report = transact(&w.state, 1, "api", &[change]).await;
    assert_eq!(report.status, "applied", "{}", report.detail);
    let rows = w.state.db(|s| s.journal(None, 10)).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, "done");
    assert_eq!(rows[0].actor, "api");
    assert!(rows[0].previous.contains("2000"), "{}", rows[0].previous);
    assert!(rows[0].plan.contains("3000"), "{}", rows[0].plan);
}

#[tokio::test]
async fn two_applies_never_overlap() {
    let w = world(None, 2000, 0);
    let change = |v| NodeChange {
        node: "golem:a".parse().unwrap(),
        before: cpu(2000),
        after: cpu(v),
        restart: false,
    };
    let (a, b) = (change(3000), change(4000));
    let (ra, rb) = tokio::join!(
        transact(&w.state, 1, "orchestrator", std::slice::from_ref(&a)),
        transact(&w.state, 2, "api", std::slice::from_ref(&b)),
    );
    assert_eq!((ra.status, rb.status), ("applied", "applied"));
    assert_eq!(w.node.max_in_flight.load(Ordering::SeqCst), 1);
    assert_eq!(w.node.writes.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_crash_mid_apply_is_rolled_back_at_start() {
    // The previous run died after writing 5000 to the node: the journal row is still `started`.
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("orcha.db")).unwrap();
    let plan = serde_json::json!({ "golem:a": amounts_json(&cpu(5000)) }).to_string();
    let previous = serde_json::json!({ "golem:a": amounts_json(&cpu(2000)) }).to_string();
    let at = chrono::Utc::now();
    let id = store
        .journal_begin(at, Some(7), "orchestrator", &plan, &previous)
        .unwrap();
    let w = world(Some((dir, store)), 5000, 0);

    // Starting the loop reconciles before the first cycle.
    let handle = orcha_api::orchestrator::spawn(Arc::clone(&w.state), CancellationToken::new());
    let state = Arc::clone(&w.state);
    let mut reconciled = false;
    for _ in 0..500 {
        let rows = state
            .db(|s| s.journal(Some("reconciled"), 10))
            .await
            .unwrap();
        if rows.iter().any(|r| r.id == id) {
            reconciled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    handle.shutdown(Duration::from_secs(2)).await;
    assert!(reconciled, "the started row was not reconciled");
    assert_eq!(*w.node.cpu.lock().unwrap(), 2000);
    assert_eq!(*w.node.writes.lock().unwrap(), vec![2000]);
    let audit = ops::audit_log(&w.state, AuditQuery::default())
        .await
        .unwrap();
    assert!(audit
        .rows
        .iter()
        .any(|r| r.key == format!("apply_journal:{id}")
            && r.actor == "orchestrator"
            && r.new.as_deref() == Some("reconciled")));
    // Nothing is left to reconcile the next time.
    assert_eq!(orcha_api::cycle::apply::reconcile(&w.state).await, 0);
}

#[tokio::test]
async fn every_change_names_its_actor_and_the_chain_verifies() {
    let w = world(None, 2000, 0);
    ops::set_paused(&w.state, PauseRequest { paused: true }, Actor::Desktop)
        .await
        .unwrap();
    ops::run_cycle_now(&w.state, Actor::Cli).await.unwrap();
    ops::set_secret(
        &w.state,
        orcha_api::dto::SetSecretRequest {
            key: "golem:a/app_key".into(),
            value: "s3cret-value".into(),
        },
        Actor::Api,
    )
    .await
    .unwrap();
    let page = ops::audit_log(&w.state, AuditQuery::default())
        .await
        .unwrap();
    let by_key: BTreeMap<&str, (&str, Option<&str>)> = page
        .rows
        .iter()
        .map(|r| (r.key.as_str(), (r.actor.as_str(), r.new.as_deref())))
        .collect();
    assert_eq!(by_key["automation.paused"], ("desktop", Some("true")));
    assert_eq!(by_key["cycle.run_now"].0, "cli");
    assert_eq!(by_key["secret:golem:a/app_key"], ("api", Some("<stored>")));
    assert!(page.rows.iter().all(|r| r.hash.len() == 64));
    assert!(!serde_json::to_string(&page).unwrap().contains("s3cret"));
    let verdict = ops::audit_verify(&w.state).await.unwrap();
    assert!(verdict.intact);
    assert_eq!(verdict.rows, 3);
}
