//! `orcha probe streamr` and `orcha probe grass` (the real binary) against the simulator, which speaks both protocols' real API shapes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use orcha_sim::scenario::Scenario;
use orcha_sim::{SimConfig, Simulator};

/// Runs `orcha --config <cfg> probe <args…>` with `env` set, off the async runtime.
async fn orcha_probe(cfg: &Path, args: Vec<String>, env: Vec<(&'static str, String)>) -> Output {
    let cfg = cfg.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_orcha"));
        cmd.arg("--config")
            .arg(&cfg)
            .arg("probe")
            .args(&args)
            .env_remove("CONFIG_PATH")
            .env_remove("ORCHA_GRASS_TOKEN")
            .env_remove("ORCHA_STREAMR_INFO_KEY");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap()
}

fn reading(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_streamr_and_grass_print_one_normalized_reading() {
    let dir = tempfile::tempdir().unwrap();
    let mut sim_config = SimConfig::stepped(Scenario::minimal(), dir.path().join("sim"));
    sim_config.start = Some(chrono::Utc::now());
    let sim = Simulator::start(sim_config).await.unwrap();
    // Let the simulated world earn something first.
    sim.step(chrono::Duration::hours(6)).await.unwrap();

    // Streamr: the info plugin at --endpoint, earnings from the subgraph and JSON-RPC in the file.
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[protocols.streamr]\noperator_address = \"{}\"\nsubgraph_url = \"{}\"\nrpc_url = \"{}\"\n",
            sim.streamr_operator_address(),
            sim.streamr_subgraph_url(),
            sim.streamr_rpc_url()
        ),
    )
    .unwrap();
    let out = orcha_probe(
        &cfg,
        vec![
            "streamr".into(),
            "--endpoint".into(),
            sim.streamr_url().to_owned(),
        ],
        Vec::new(),
    )
    .await;
    let r = reading(&out);
    assert_eq!(r["protocol"], "streamr", "{r}");
    assert_eq!(r["node"], "streamr:main");
    let figures = r["earnings"]["figures"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    let lifetime = figures
        .iter()
        .find(|f| f["kind"] == "lifetime")
        .unwrap_or_else(|| panic!("{r}"));
    // DATA in wei, exact: 18 decimals, base units as a string.
    assert_eq!(lifetime["token"], "data");
    assert_eq!(lifetime["decimals"], 18);
    assert!(lifetime["base_units"].is_string());
    assert!(r["health"]["state"].is_string(), "{r}");
    assert!(r["node_info"].get("error").is_none(), "{r}");

    // Grass: the cloud API at --endpoint, the session token from --token-env; points stay points.
    std::fs::write(&cfg, "").unwrap();
    let out = orcha_probe(
        &cfg,
        vec![
            "grass".into(),
            "--endpoint".into(),
            sim.grass_url().to_owned(),
            "--token-env".into(),
            "PROBE_GRASS_TOKEN".into(),
        ],
        vec![("PROBE_GRASS_TOKEN", sim.grass_token().to_owned())],
    )
    .await;
    let r = reading(&out);
    assert_eq!(r["protocol"], "grass", "{r}");
    let figures = r["earnings"]["figures"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert!(!figures.is_empty(), "{r}");
    assert!(figures.iter().all(|f| f["token"] == "points"), "{r}");
    assert!(r["node_info"].get("error").is_none(), "{r}");

    // A wrong token is reported as `unauthorized`, not as a crash or a zero.
    let out = orcha_probe(
        &cfg,
        vec![
            "grass".into(),
            "--endpoint".into(),
            sim.grass_url().to_owned(),
            "--token-env".into(),
            "PROBE_GRASS_TOKEN".into(),
        ],
        vec![("PROBE_GRASS_TOKEN", "not-the-token".to_owned())],
    )
    .await;
    // It still prints the whole reading, and exits with the "unauthorized" code (4).
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["earnings"]["error"]["kind"], "unauthorized", "{r}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unauthorized"),
        "{out:?}"
    );

    // A node that is not there: exit code 3 (unreachable).
    let out = orcha_probe(
        &cfg,
        vec![
            "storj".into(),
            "--endpoint".into(),
            "http://127.0.0.1:1".into(),
        ],
        vec![],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    sim.shutdown().await;
}
