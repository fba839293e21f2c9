//! `orcha detect` for real: the simulator's node APIs on real loopback ports, a process named
//! like a Storj node with its `config.yaml`, saving only with `--write`, and a real yagna when
//! `ORCHA_YAGNA_BIN` names one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use orcha_sim::{Scenario, SimConfig, Simulator};
use serde_json::Value;

fn port_of(url: &str) -> u16 {
    url.trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn detect(config: &Path, args: &[String]) -> Output {
    detect_with(config, args, vec![]).await
}

async fn detect_with(config: &Path, args: &[String], env: Vec<(String, String)>) -> Output {
    let mut all = vec![
        "--config".to_owned(),
        config.display().to_string(),
        "detect".to_owned(),
        "--no-docker".to_owned(),
        "--no-systemd".to_owned(),
    ];
    all.extend(args.iter().cloned());
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_orcha"))
            .args(&all)
            .envs(env)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulators_nodes_are_found_on_their_ports_and_saved_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimConfig::stepped(
        Scenario::minimal(),
        dir.path().join("sim"),
    ))
    .await
    .unwrap();
    let config = dir.path().join("config.toml");
    let ports = vec![
        "--json".to_owned(),
        "--port".to_owned(),
        format!("storj={}", port_of(sim.storj_url())),
        "--port".to_owned(),
        format!("golem={}", port_of(sim.golem_url())),
        "--port".to_owned(),
        format!("streamr={}", port_of(sim.streamr_url())),
    ];
    let found = json(&detect(&config, &ports).await);
    let by_protocol = |p: &str| -> Vec<Value> {
        found["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["protocol"] == p)
            .cloned()
            .collect()
    };
    for (protocol, url) in [
        ("storj", sim.storj_url()),
        ("golem", sim.golem_url()),
        ("streamr", sim.streamr_url()),
    ] {
        let nodes = by_protocol(protocol);
        let port = port_of(url);
        let node = nodes
            .iter()
            .find(|n| n["endpoint"] == format!("http://127.0.0.1:{port}"))
            .unwrap_or_else(|| panic!("{protocol} on {port} in {found:#}"));
        // The simulator runs inside this test: this process owns the listening socket.
        assert_eq!(
            node["evidence"][0],
            format!(
                "port {port} on 127.0.0.1 answers (pid {})",
                std::process::id()
            )
        );
        assert_eq!(node["already_configured"], false);
    }
    let golem = &by_protocol("golem")[0];
    assert!(golem["credential_hint"]
        .as_str()
        .unwrap()
        .contains("app-key"));
    // Nothing was saved without --write (and stdin is not a terminal, so nothing was asked).
    assert!(!config.exists());

    let mut write = ports.clone();
    write.push("--write".to_owned());
    let saved = detect(&config, &write).await;
    assert!(
        saved.status.success(),
        "{}",
        String::from_utf8_lossy(&saved.stderr)
    );
    let text = std::fs::read_to_string(&config).unwrap();
    let c = orcha_core::config::Config::from_toml(&text, &config).unwrap();
    let endpoints: Vec<String> = c.nodes().iter().map(|n| n.api_endpoint.clone()).collect();
    for url in [sim.storj_url(), sim.golem_url(), sim.streamr_url()] {
        assert!(
            endpoints.contains(&format!("http://127.0.0.1:{}", port_of(url))),
            "{endpoints:?}"
        );
    }
    // The config file is the operator's alone.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&config).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Found again: the simulator's nodes are configured now, and nothing more would be written
    // for them (other processes on this shared machine may be found too: they are not ours).
    let again = json(&detect(&config, &ports).await);
    for url in [sim.storj_url(), sim.golem_url(), sim.streamr_url()] {
        let endpoint = format!("http://127.0.0.1:{}", port_of(url));
        let n = again["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["endpoint"] == endpoint.as_str())
            .unwrap_or_else(|| panic!("{endpoint} in {again:#}"));
        assert_eq!(n["already_configured"], true, "{n}");
        assert!(!again["config_toml"].as_str().unwrap().contains(&endpoint));
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_named_like_a_storj_node_is_found_with_its_config() {
    let dir = tempfile::tempdir().unwrap();
    // A program called `storagenode`, run the way the real one is: `run --config-dir DIR`.
    // A python script: its `comm` is the script's name; the interpreter itself, not a shim.
    use std::os::unix::fs::PermissionsExt;
    let py = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    let python = String::from_utf8_lossy(&py.stdout).trim().to_owned();
    let exe = dir.path().join("storagenode");
    std::fs::write(&exe, format!("#!{python}\nimport time\ntime.sleep(120)\n")).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let node_dir = dir.path().join("node");
    std::fs::create_dir(&node_dir).unwrap();
    std::fs::write(
        node_dir.join("config.yaml"),
        format!(
            "console.address: 127.0.0.1:14999\nstorage.path: {}\n",
            node_dir.join("storage").display()
        ),
    )
    .unwrap();
    let mut child = Command::new(&exe)
        .args(["run", &format!("--config-dir={}", node_dir.display())])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = child.id() as i32;
    let config = dir.path().join("config.toml");
    // No port is tried: only the process can have found it.
    let out = detect(
        &config,
        &[
            "--json".to_owned(),
            "--port".to_owned(),
            "golem=1".to_owned(),
        ],
    )
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let found = json(&out);
    let ours = found["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| {
            n["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e.as_str().unwrap().starts_with(&format!("process {pid}:")))
        })
        .unwrap_or_else(|| panic!("process {pid} not in {found:#}"))
        .clone();
    assert_eq!(ours["protocol"], "storj");
    assert_eq!(ours["endpoint"], "http://127.0.0.1:14999");
    assert_eq!(
        ours["config_yaml"],
        node_dir.join("config.yaml").display().to_string()
    );
    assert_eq!(
        ours["storage_path"],
        node_dir.join("storage").display().to_string()
    );
}

/// A real yagna, when the machine has one (`ORCHA_YAGNA_BIN`, as `real_yagna.rs` uses): found
/// on its port; its app key is read only with `--app-key`, and never printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_yagnas_app_key_is_read_only_when_asked_and_never_printed() {
    let Some(bin) = std::env::var_os("ORCHA_YAGNA_BIN") else {
        eprintln!("ORCHA_YAGNA_BIN is not set: skipped");
        return;
    };
    const KEY: &str = "0123456789abcdef0123456789abcdef";
    let dir = tempfile::tempdir().unwrap();
    let (port, gsb) = (
        orcha_testkit::net::free_port(),
        orcha_testkit::net::free_port(),
    );
    let env = vec![
        (
            "YAGNA_DATADIR".to_owned(),
            dir.path().join("yagna").display().to_string(),
        ),
        ("GSB_URL".to_owned(), format!("tcp://127.0.0.1:{gsb}")),
    ];
    let mut yagna = Command::new(&bin)
        .args(["service", "run"])
        .current_dir(dir.path())
        .envs(env.clone())
        .env("YAGNA_API_URL", format!("http://127.0.0.1:{port}"))
        .env("YAGNA_AUTOCONF_APPKEY", KEY)
        .env("YA_NET_RELAY_HOST", "127.0.0.1:9")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // yagna answers after ~20 s; on a loaded 2-core machine it can take two minutes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "yagna did not listen on {port}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let config = dir.path().join("config.toml");
    let args = |app_key: bool| {
        let mut a = vec![
            "--json".to_owned(),
            "--port".to_owned(),
            format!("golem={port}"),
        ];
        if app_key {
            a.push("--app-key".to_owned());
        }
        a
    };
    let mut env_bin = env.clone();
    env_bin.push((
        "ORCHA_YAGNA_BIN".to_owned(),
        bin.to_string_lossy().into_owned(),
    ));
    let plain = detect_with(&config, &args(false), env_bin.clone()).await;
    let asked = detect_with(&config, &args(true), env_bin).await;
    let _ = yagna.kill();
    let _ = yagna.wait();
    let find = |out: &Output| {
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains(KEY),
            "the key was printed"
        );
        json(out)["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["endpoint"] == format!("http://127.0.0.1:{port}"))
            .cloned()
            .unwrap()
    };
    let plain = find(&plain);
    assert_eq!(plain["protocol"], "golem");
    assert!(
        plain["credential_hint"].is_string(),
        "not read unasked: {plain}"
    );
    let asked = find(&asked);
    assert!(
        asked["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().starts_with("yagna app key")),
        "{asked}"
    );
    assert!(asked["credential_hint"].is_null());
}
