//! The settings routes over real HTTP: field errors, the config file rewritten with its comments,
//! re-loadable, and never holding a credential.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use orcha_api::AppState;
use orcha_core::config::Config;
use orcha_core::secret::MemorySecretStore;
use orcha_server::{startup, ServerOptions};
use orcha_testkit::net;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

const FILE: &str = r#"# My Orcha: the disks in the attic.
[orchestrator]
# Poll every two minutes.
poll_interval = 120

[protocols.storj]
enabled = true
name = "disk1"
api_endpoint = "http://127.0.0.1:14002" # the first disk

# The second disk.
[[protocols.storj.nodes]]
name = "disk2"
api_endpoint = "http://127.0.0.1:14003"
"#;

struct Server {
    base: String,
    state: Arc<AppState>,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
    file: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Starts the real router over `text` loaded as the operator's config file.
async fn start(text: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(&file, text).unwrap();
    let mut config = Config::load(&file).unwrap();
    config.orchestrator.data_dir = dir.path().display().to_string();
    let env = |_: &str| None;
    let assembly = startup::assemble(
        config,
        Arc::new(MemorySecretStore::default()),
        &env,
        startup::system_clock(),
        false,
    )
    .unwrap();
    let state = assembly.state;
    state.settings.use_file(file.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
    let cancel = CancellationToken::new();
    let router = orcha_server::router(
        Arc::clone(&state),
        ServerOptions::new(orcha_core::secret::Sensitive::new(
            net::API_TOKEN.to_owned(),
        )),
    );
    tokio::spawn(orcha_server::serve(listener, router, cancel.child_token()));
    Server {
        base,
        state,
        cancel,
        _dir: dir,
        file,
    }
}

async fn get(s: &Server, path: &str) -> Value {
    let r = net::get(format!("{}{path}", s.base)).await.unwrap();
    assert_eq!(r.status(), 200, "GET {path}");
    r.json().await.unwrap()
}

async fn put(s: &Server, body: &Value) -> (u16, Value) {
    let r = net::client()
        .put(format!("{}/settings", s.base))
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A change to the settings a case makes before sending them.
type Edit = Box<dyn Fn(&mut Value)>;

fn protocol<'a>(values: &'a mut Value, p: &str) -> &'a mut Value {
    values["protocols"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|x| x["protocol"] == p)
        .unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test]
async fn bad_values_are_refused_with_the_field_and_leave_the_file_alone() {
    let s = start(FILE).await;
    let settings = get(&s, "/settings").await;
    assert_eq!(settings["file"], s.file.display().to_string());
    assert_eq!(settings["restart_required"], json!([]));
    let values = settings["values"].clone();
    let storj = &values["protocols"][0];
    assert_eq!(storj["nodes"][1]["endpoint"], "http://127.0.0.1:14003");
    assert_eq!(values["intervals"]["poll_interval_secs"], 120);

    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(|v| protocol(v, "storj")["nodes"][0]["endpoint"] = json!("not a url")),
            "protocols.storj.nodes.disk1.endpoint",
            "spaces",
        ),
        (
            Box::new(|v| protocol(v, "storj")["nodes"][1]["endpoint"] = json!("localhost:14003")),
            "protocols.storj.nodes.disk2.endpoint",
            "http://",
        ),
        (
            Box::new(|v| {
                protocol(v, "golem")["nodes"][0]["endpoint"] = json!("http://127.0.0.1:99999")
            }),
            "protocols.golem.nodes.main.endpoint",
            "65535",
        ),
        (
            Box::new(|v| v["alerts"]["smtp_port"] = json!(70000)),
            "alerts.smtp_port",
            "65535",
        ),
        (
            Box::new(|v| v["alerts"]["smtp_port"] = json!(0)),
            "alerts.smtp_port",
            "65535",
        ),
        (
            Box::new(|v| v["budget"]["reserve_cpu_cores"] = json!(-1.0)),
            "budget.reserve_cpu_cores",
            "cores",
        ),
        (
            Box::new(|v| v["intervals"]["poll_timeout_secs"] = json!(0)),
            "intervals.poll_timeout_secs",
            "from 1",
        ),
        (
            Box::new(|v| {
                protocol(v, "grass")["enabled"] = json!(true);
                protocol(v, "grass")["poll_interval_secs"] = json!(60);
            }),
            "protocols.grass.poll_interval_secs",
            "300",
        ),
        (
            Box::new(|v| v["fiat"] = json!("EUR")),
            "prices.fiat",
            "lower-case",
        ),
        (
            Box::new(|v| v["alerts"]["smtp_host"] = json!("smtp.example.com")),
            "alerts.smtp_from",
            "Required",
        ),
    ];
    for (change, field, needle) in cases {
        let mut body = values.clone();
        change(&mut body);
        let (status, err) = put(&s, &body).await;
        assert_eq!(status, 400, "{field}: {err}");
        assert_eq!(err["code"], "bad_request");
        assert_eq!(err["field"], field, "{err}");
        assert!(
            err["message"].as_str().unwrap().contains(needle),
            "{field}: {err}"
        );
    }
    assert_eq!(
        read(&s.file),
        FILE,
        "a refused save leaves the file as it was"
    );
    assert_eq!(get(&s, "/status").await["restart_required"], false);
}

#[tokio::test]
async fn secrets_are_refused_and_required_tokens_are_asked_for() {
    let s = start(FILE).await;
    let values = get(&s, "/settings").await["values"].clone();

    // A credential in a URL is refused; it belongs in the keyring.
    let mut body = values.clone();
    body["alerts"]["webhook_url"] = json!("https://hooks.example.com/orcha?token=hunter2");
    let (status, err) = put(&s, &body).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (400, Some("alerts.webhook_url"))
    );
    assert!(
        err["message"].as_str().unwrap().contains("keyring"),
        "{err}"
    );
    let mut body = values.clone();
    protocol(&mut body, "storj")["nodes"][0]["endpoint"] =
        json!("http://admin:hunter2@127.0.0.1:14002");
    let (status, err) = put(&s, &body).await;
    assert_eq!(status, 400, "{err}");
    assert!(
        !err.to_string().contains("hunter2"),
        "the value is not echoed: {err}"
    );

    // A credential smuggled in as an extra key is not part of the settings at all.
    let mut body = values.clone();
    protocol(&mut body, "golem")["app_key"] = json!("hunter2");
    let (status, _) = put(&s, &body).await;
    assert_eq!(status, 400);

    // A Telegram chat id needs the bot token stored first; the error names the credential.
    let mut body = values.clone();
    body["alerts"]["telegram_chat_id"] = json!("-1001234567890");
    let (status, err) = put(&s, &body).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (400, Some("alerts:telegram/token")),
        "{err}"
    );
    let key = "alerts:telegram/token";
    let status_path = "/alerts/secrets/alerts%3Atelegram%2Ftoken";
    assert_eq!(get(&s, status_path).await["stored"], false);
    let r = net::client()
        .put(format!("{}/alerts/secrets", s.base))
        .json(&json!({ "key": key, "value": "123:hunter2" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(get(&s, status_path).await["stored"], true);
    let (status, saved) = put(&s, &body).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["changed"], json!(["alerts.telegram_chat_id"]));

    let text = read(&s.file);
    assert!(
        !text.contains("hunter2"),
        "no credential in the file: {text}"
    );
    assert!(
        text.contains("telegram_chat_id = \"-1001234567890\""),
        "{text}"
    );
}

#[tokio::test]
async fn a_good_save_rewrites_the_file_keeping_comments_and_says_what_needs_a_restart() {
    let s = start(FILE).await;
    let mut body = get(&s, "/settings").await["values"].clone();
    protocol(&mut body, "storj")["nodes"][1]["endpoint"] = json!("http://192.168.1.20:14003");
    protocol(&mut body, "storj")["auto_apply"] = json!(true);
    protocol(&mut body, "streamr")["urls"][1]["value"] = json!("https://polygon-rpc.com");
    body["budget"]["reserve_cpu_cores"] = json!(2.5);
    body["budget"]["bandwidth_up_mbps"] = json!(40);
    body["intervals"]["optimization_interval_secs"] = json!(600);
    body["alerts"]["smtp_port"] = json!(465);
    body["fiat"] = json!("eur");
    let (status, saved) = put(&s, &body).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["applied_live"], json!(["protocols.storj.auto_apply"]));
    let needs: Vec<&str> = saved["needs_restart"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        needs,
        [
            "alerts.smtp_port",
            "budget.bandwidth_up_mbps",
            "budget.reserve_cpu_cores",
            "intervals.optimization_interval_secs",
            "prices.fiat",
            "protocols.storj.nodes.disk2.endpoint",
            "protocols.streamr.rpc_url",
        ]
    );
    assert_eq!(
        saved["settings"]["restart_required"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    assert_eq!(get(&s, "/status").await["restart_required"], true);

    // Auto-apply switched live for the running Storj nodes.
    let id: orcha_core::NodeId = "storj:disk2".parse().unwrap();
    assert_eq!(s.state.allocation.auto_apply(&id), Some(true));

    // The file keeps every comment and its layout, and the real parser loads it.
    let text = read(&s.file);
    for kept in [
        "# My Orcha: the disks in the attic.\n[orchestrator]\n# Poll every two minutes.\npoll_interval = 120\n",
        "api_endpoint = \"http://127.0.0.1:14002\" # the first disk\n",
        "# The second disk.\n[[protocols.storj.nodes]]\nname = \"disk2\"\napi_endpoint = \"http://192.168.1.20:14003\"\n",
    ] {
        assert!(text.contains(kept), "{kept:?} in:\n{text}");
    }
    let c = Config::load(&s.file).unwrap();
    assert_eq!(
        c.protocols.storj.nodes[0].api_endpoint,
        "http://192.168.1.20:14003"
    );
    assert!(c.protocols.storj.auto_apply);
    assert_eq!(c.protocols.streamr.rpc_url, "https://polygon-rpc.com");
    assert!((c.allocation.reserve_cpu_cores - 2.5).abs() < f64::EPSILON);
    assert_eq!(c.allocation.bandwidth_up_mbps, 40);
    assert_eq!(c.orchestrator.optimization_interval, 600);
    assert_eq!(
        c.orchestrator.poll_interval, 120,
        "untouched keys keep their value"
    );
    assert_eq!(c.alerts.smtp_port, 465);
    assert_eq!(c.prices.fiat, "eur");
    // Only changed keys are written: the defaults stay out of the operator's file.
    assert!(!text.contains("telegram_api_url"), "{text}");
    let leftovers: Vec<_> = std::fs::read_dir(s.file.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file is left: {leftovers:?}"
    );

    // The saved values are shown from now on; saving them again changes nothing.
    let shown = get(&s, "/settings").await["values"].clone();
    assert_eq!(
        protocol(&mut shown.clone(), "storj")["nodes"][1]["endpoint"],
        "http://192.168.1.20:14003"
    );
    let (status, again) = put(&s, &shown).await;
    assert_eq!(status, 200);
    assert_eq!(again["changed"], json!([]));

    // Nodes cannot be added through the form.
    let mut body = shown.clone();
    protocol(&mut body, "storj")["nodes"]
        .as_array_mut()
        .unwrap()
        .push(
            json!({ "id": "storj:disk3", "name": "disk3", "endpoint": "http://127.0.0.1:14004" }),
        );
    let (status, err) = put(&s, &body).await;
    assert_eq!(status, 400);
    assert_eq!(err["field"], "protocols.storj.nodes.disk3.endpoint");
}

#[tokio::test]
async fn a_file_that_is_not_regular_is_refused_and_the_demo_saves_to_a_scratch_file() {
    let s = start("").await;
    s.state.settings.use_file(PathBuf::from("/dev/null"));
    let mut body = get(&s, "/settings").await["values"].clone();
    body["budget"]["reserve_memory_mib"] = json!(4096);
    let (status, err) = put(&s, &body).await;
    assert_eq!(status, 409, "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("--config"),
        "{err}"
    );

    let scratch = s.file.with_file_name("demo-settings.toml");
    std::fs::write(&scratch, "stale = true\n").unwrap();
    s.state.settings.use_scratch(scratch.clone()).unwrap();
    assert!(
        !scratch.exists(),
        "a scratch file from an earlier demo is removed"
    );
    let settings = get(&s, "/settings").await;
    assert_eq!(settings["scratch"], true);
    let (status, saved) = put(&s, &body).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["needs_restart"], json!(["budget.reserve_memory_mib"]));
    assert_eq!(read(&scratch), "[allocation]\nreserve_memory_mib = 4096\n");
    assert_eq!(read(&s.file), "", "the operator's file is untouched");
}
