//! `orcha backfill` end to end: the real binary reads the simulator's money records (Storj
//! paystubs, Golem payments and invoices, Streamr withdrawals, Grass epochs) into a real store;
//! a second run adds nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use orcha_sim::scenario::Scenario;
use orcha_sim::{SimConfig, Simulator};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Runs `orcha --config <cfg> backfill <args…>` off the async runtime, with the nodes'
/// credentials in the environment (no keyring in tests).
async fn backfill(cfg: &Path, args: &[&str], env: Vec<(&'static str, String)>) -> Output {
    let cfg = cfg.to_owned();
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_orcha"));
        cmd.arg("--config")
            .arg(&cfg)
            .arg("backfill")
            .args(&args)
            .env_remove("CONFIG_PATH")
            .env_remove("DATABASE_URL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn node<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == id)
        .unwrap_or_else(|| panic!("{id} not in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_stores_the_records_once_and_a_second_run_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut sim_config = SimConfig::stepped(Scenario::minimal(), dir.path().join("sim"));
    // Four hours of March, then into April: March is a closed month with its paystubs.
    sim_config.start = Some(t("2026-03-31T20:00:00Z"));
    let sim = Simulator::start(sim_config).await.unwrap();
    sim.step(chrono::Duration::hours(6)).await.unwrap();

    let data = dir.path().join("data");
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[orchestrator]\ndata_dir = \"{}\"\n\
             [protocols.storj]\nenabled = true\napi_endpoint = \"{}\"\n\
             [protocols.golem]\nenabled = true\napi_endpoint = \"{}\"\n\
             [protocols.streamr]\nenabled = true\napi_endpoint = \"{}\"\n\
             operator_address = \"{}\"\nsubgraph_url = \"{}\"\nrpc_url = \"{}\"\n",
            data.display(),
            sim.storj_url(),
            sim.golem_url(),
            sim.streamr_url(),
            sim.streamr_operator_address(),
            sim.streamr_subgraph_url(),
            sim.streamr_rpc_url(),
        ),
    )
    .unwrap();
    let env = vec![("ORCHA_GOLEM_APP_KEY", sim.golem_app_key().to_owned())];

    let first = json(&backfill(&cfg, &["--json"], env.clone()).await);
    // Storj: March 2026 closed, one paystub per satellite of the current shape (4), each an
    // earned period (held + owed) and a held-back event (75 % held in a node's first months).
    // The simulated node joined in 2021, so nothing is held back: one payout per paystub.
    let storj = node(&first, "storj:main");
    assert_eq!(storj["periods_added"], 4, "{first}");
    assert_eq!(storj["payouts_added"], 4, "{first}");
    assert_eq!(storj["gaps"], serde_json::json!([]), "{first}");
    // Golem: every payment the simulated yagna received, and every invoice it issued (one
    // earned period each), read page by page from the beginning.
    // Counted from the simulator's own answers to one unpaged read each.
    let get = |path: &str| {
        let url = format!("{}{path}", sim.golem_url());
        let key = sim.golem_app_key().to_owned();
        async move {
            let v: serde_json::Value = reqwest::Client::new()
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v.as_array().unwrap().clone()
        }
    };
    let payments = get("/payment-api/v1/payments?maxEvents=100000").await.len() as u64;
    let invoices = get("/payment-api/v1/invoices?maxItems=100000")
        .await
        .iter()
        .filter(|i| {
            !matches!(
                i["status"].as_str(),
                Some("REJECTED" | "FAILED" | "CANCELLED")
            )
        })
        .count() as u64;
    assert!(payments > 0 && invoices > 0);
    let golem = node(&first, "golem:main");
    assert_eq!(golem["payouts_added"], payments, "{first}");
    assert_eq!(golem["periods_added"], invoices, "{first}");
    // Streamr: the simulated owner never undelegated (eth_getLogs answers no Undelegated event
    // of it) and the subgraph has no daily buckets: nothing to add, and nothing missing.
    let streamr = node(&first, "streamr:main");
    assert_eq!(streamr["payouts_added"], 0, "{first}");
    assert_eq!(streamr["periods_added"], 0, "{first}");
    assert_eq!(streamr["gaps"], serde_json::json!([]), "{first}");
    assert_eq!(first["payouts_added"], 4 + payments, "{first}");
    assert_eq!(first["periods_added"], 4 + invoices, "{first}");

    // The rows are in the store the config names.
    let store = orcha_store::Store::open(&data.join("orcha.db")).unwrap();
    let stored = store
        .payouts(t("2000-01-01T00:00:00Z"), t("2100-01-01T00:00:00Z"))
        .unwrap();
    assert_eq!(
        stored.len() as u64,
        first["payouts_added"].as_u64().unwrap()
    );
    let periods = store
        .earned_periods(&"storj:main".parse().unwrap())
        .unwrap();
    assert_eq!(periods.len(), 4);
    assert!(periods
        .iter()
        .all(|p| p.start == t("2026-03-01T00:00:00Z") && p.end == t("2026-04-01T00:00:00Z")));
    drop(store);

    // Idempotent: the same records again add nothing.
    let second = json(&backfill(&cfg, &["--json"], env.clone()).await);
    assert_eq!(second["payouts_added"], 0, "{second}");
    assert_eq!(second["periods_added"], 0, "{second}");

    // One node only, plain text; not a terminal, so the progress comes as plain lines.
    let out = backfill(&cfg, &["--node", "storj:main"], env.clone()).await;
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("Added 0 payout events and 0 earned periods from 1 node(s)."),
        "{stdout}"
    );
    assert!(!stdout.contains("golem"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1/1 storj:main: 0 payouts, 0 earned periods added"),
        "{stderr}"
    );

    // A node that is not configured is named, with the ones that are.
    let out = backfill(&cfg, &["--node", "grass:main"], env.clone()).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "--node grass:main: no such enabled node (configured: storj:main, golem:main, streamr:main)"
        ),
        "{stderr}"
    );

    // What a node cannot provide is reported, not hidden: Golem without its app key.
    let out = backfill(&cfg, &["--node", "golem:main"], Vec::new()).await;
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("could not provide: "), "{stdout}");
    sim.shutdown().await;
}
