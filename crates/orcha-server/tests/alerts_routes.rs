//! The alert REST routes over real HTTP (channels, test alert, channel credentials), and the
//! desktop's rotating JSON log file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use orcha_core::secret::{SecretKey, SecretStore};
use orcha_server::{router, ServerOptions};
use orcha_testkit::{net, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_routes_and_the_log_file() {
    // A webhook nobody listens on: the test alert reports its error, it does not hang.
    // Port 1: nothing listens there (a freed ephemeral port could be reused as a source port).
    let closed = 1;
    let app = TestApp::builder()
        .configure(|c| {
            c.alerts.webhook_url = format!("http://127.0.0.1:{closed}/hook");
            c.alerts.send_timeout_secs = 1;
        })
        .build();
    let secrets = &app.secrets;
    let server = net::serve(
        orcha_server::serve,
        router(
            Arc::clone(&app.state),
            ServerOptions::new(orcha_core::secret::Sensitive::new(
                net::API_TOKEN.to_owned(),
            )),
        ),
    )
    .await;
    let base = format!("{}/api/v1", server.base);
    let http = net::client();

    let channels: serde_json::Value = http
        .get(format!("{base}/alerts/channels"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = channels
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["channel"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ntfy", "webhook", "discord", "telegram", "email"]);
    assert_eq!(channels[1]["configured"], true);

    let r = http
        .post(format!("{base}/alerts/test"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let after: serde_json::Value = r.json().await.unwrap();
    assert!(
        after[1]["last_error"]
            .as_str()
            .unwrap()
            .contains("request failed"),
        "{after}"
    );

    let r = http
        .put(format!("{base}/alerts/secrets"))
        .json(&serde_json::json!({ "key": "alerts:discord/url", "value": "https://discord.example/api/webhooks/1/x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(secrets
        .get(&SecretKey("alerts:discord/url".into()))
        .unwrap()
        .is_some());
    let r = http
        .put(format!("{base}/alerts/secrets"))
        .json(&serde_json::json!({ "key": "alerts:discord/password", "value": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["field"], "key");
    let r = http
        .delete(format!("{base}/alerts/secrets/alerts:discord%2Furl"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    assert!(secrets
        .get(&SecretKey("alerts:discord/url".into()))
        .unwrap()
        .is_none());
    // The existing ack route still works next to the new ones.
    let r = http
        .post(format!("{base}/alerts/999/ack"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    server.stop().await;

    // Desktop logging: JSON lines in <data_dir>/logs, fields flattened.
    let data = orcha_testkit::temp_dir();
    let guard = orcha_server::startup::init_file_logging(data.path()).unwrap();
    tracing::warn!(node = "storj:main", rule = "disk_high", "Alert opened.");
    drop(guard);
    let logs: Vec<_> = std::fs::read_dir(data.path().join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(logs[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("orcha.log"));
    let text = std::fs::read_to_string(&logs[0]).unwrap();
    let line: serde_json::Value = serde_json::from_str(
        text.lines()
            .find(|l| l.contains("Alert opened."))
            .unwrap_or_else(|| panic!("{text}")),
    )
    .unwrap();
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["node"], "storj:main");
    assert_eq!(line["rule"], "disk_high");
    // A second initialization is an error, not a panic.
    assert!(orcha_server::startup::init_file_logging(data.path()).is_err());
}
