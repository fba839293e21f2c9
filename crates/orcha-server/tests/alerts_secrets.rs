//! Secrets never reach logs, events, metrics or the database: a demo runs in-process with node
//! credentials and alert channel tokens (keyring and environment), alerts fire and every channel
//! fails (so errors get logged), and the captured debug log, the events, `/metrics` and the
//! database file are searched for every secret.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use orcha_api::alerts;
use orcha_api::orchestrator::poll_node;
use orcha_core::config::Config;
use orcha_core::secret::{SecretKey, Sensitive};
use orcha_core::ProtocolId;
use orcha_server::demo::{self, DemoOptions};
use orcha_server::startup;
use orcha_sim::{FaultKind, OfflineMode, Scenario, SimConfig};

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn env(_: &str) -> Option<String> {
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_logs_events_metrics_or_database() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .with_writer(move || writer.clone())
        .json()
        .flatten_event(true)
        .init();

    const NTFY: &str = "ntfy-env-token-7f3a9c";
    const TELEGRAM: &str = "555:telegram-keyring-token-b81d";
    const WEBHOOK: &str = "webhook-url-secret-42e0";
    // The environment wins over the keyring for channel credentials, as for node credentials.
    std::env::set_var("ORCHA_ALERTS_NTFY_TOKEN", NTFY);

    // Port 1: nothing listens there, and unlike a freed ephemeral port it is never handed
    // out as the source port of another connection of this test (which breaks that one).
    let closed = 1;
    let dir = tempfile::tempdir().unwrap();
    let sim_config = SimConfig::stepped(Scenario::minimal(), dir.path().join("sim"));
    let mut base = Config::default();
    base.orchestrator.poll_timeout = 1;
    let a = &mut base.alerts;
    a.send_timeout_secs = 1;
    a.offline_after_failures = 2;
    a.ntfy_url = format!("http://127.0.0.1:{closed}/topic");
    a.telegram_chat_id = "1".into();
    a.telegram_api_url = format!("http://127.0.0.1:{closed}");
    let d = demo::start(&base, dir.path(), Some(sim_config), &DemoOptions::default())
        .await
        .unwrap();
    d.secrets
        .set(
            &SecretKey("alerts:telegram/token".into()),
            Sensitive::new(TELEGRAM.into()),
        )
        .unwrap();
    d.secrets
        .set(
            &SecretKey("alerts:webhook/url".into()),
            Sensitive::new(format!("http://127.0.0.1:{closed}/hook/{WEBHOOK}")),
        )
        .unwrap();
    let node_secrets: Vec<String> = [("golem:main", "app_key"), ("grass:main", "token")]
        .iter()
        .map(|(n, k)| {
            let id: orcha_core::NodeId = n.parse().unwrap();
            d.secrets
                .get(&SecretKey::for_node(&id, k))
                .unwrap()
                .unwrap()
                .expose()
                .clone()
        })
        .collect();
    let assembly = startup::assemble(
        d.config.clone(),
        Arc::clone(&d.secrets),
        &env,
        Arc::clone(&d.clock),
        true,
    )
    .unwrap();
    let state = assembly.state;
    let events = Arc::new(Mutex::new(String::new()));
    let collector = {
        let (mut rx, events) = (state.subscribe(), Arc::clone(&events));
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(e) => events
                        .lock()
                        .unwrap()
                        .push_str(&serde_json::to_string(&e).unwrap()),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        })
    };

    let sim = d.sim;
    for _ in 0..3 {
        sim.step(Duration::minutes(30)).await.unwrap();
        for n in &state.nodes {
            poll_node(&state, n).await;
        }
    }
    // Golem goes away (and its token is revoked) so alerts fire and notifications fail.
    sim.inject_fault(ProtocolId::Golem, FaultKind::TokenRevoked, Some(60))
        .await;
    sim.inject_fault(
        ProtocolId::Grass,
        FaultKind::Offline {
            mode: OfflineMode::Refused,
        },
        Some(60),
    )
    .await;
    for _ in 0..3 {
        sim.step(Duration::minutes(10)).await.unwrap();
        for n in &state.nodes {
            poll_node(&state, n).await;
        }
    }
    orcha_api::orchestrator::run_cycle(&state, "test")
        .await
        .unwrap();
    let test = orcha_api::ops::send_test_alert(&state, orcha_api::Actor::Api)
        .await
        .unwrap();
    alerts::flush(&state).await;
    let errors: Vec<String> = test.iter().filter_map(|c| c.last_error.clone()).collect();
    assert!(
        errors.len() >= 3,
        "ntfy, webhook and telegram fail: {test:?}"
    );
    let opened = state.db(|s| s.alerts(true, 100)).await.unwrap();
    assert!(
        opened.iter().any(|a| a.rule == "node_unavailable"),
        "{opened:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    collector.abort();

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("An alert notification failed."),
        "failures are logged"
    );
    let metrics = state.metrics.render();
    let api = serde_json::to_string(&test).unwrap();
    let events = events.lock().unwrap().clone();
    let db_path = assembly.database.clone();
    drop(state);
    let mut db = Vec::new();
    for suffix in ["", "-wal"] {
        let p = format!("{}{suffix}", db_path.display());
        db.extend(std::fs::read(&p).unwrap_or_default());
    }
    let db = String::from_utf8_lossy(&db).into_owned();
    for secret in [NTFY, TELEGRAM, WEBHOOK]
        .into_iter()
        .map(str::to_owned)
        .chain(node_secrets)
    {
        assert!(!secret.is_empty());
        for (what, text) in [
            ("log", &log),
            ("events", &events),
            ("metrics", &metrics),
            ("API", &api),
            ("database", &db),
        ] {
            assert!(
                !text.contains(&secret),
                "a secret ({}…) is in the {what}",
                &secret[..4]
            );
        }
    }
    sim.shutdown().await;
}
