//! `orcha probe storj` against a local server replaying the real Storj dashboard payloads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/storj")
}

async fn replay(req: Request) -> axum::response::Response {
    let path = req.uri().path().to_owned();
    let file = match path.as_str() {
        "/api/sno/" | "/api/sno" => "api_sno.json",
        "/api/sno/satellites" => "api_sno_satellites.json",
        "/api/sno/estimated-payout" => "api_sno_estimated_payout.json",
        p if p.starts_with("/api/sno/satellite/") => "api_sno_satellite.json",
        p if p.starts_with("/api/heldamount/paystubs/") => "api_heldamount_paystubs.json",
        p if p.starts_with("/api/heldamount/payout-history/") => {
            "api_heldamount_payout_history.json"
        }
        "/api/heldamount/held-history" => "api_heldamount_held_history.json",
        "/api/heldamount/periods" => "api_heldamount_periods.json",
        _ => return (StatusCode::NOT_FOUND, "404 page not found").into_response(),
    };
    let body = std::fs::read(fixtures().join(file)).unwrap();
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_prints_one_normalized_reading() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().fallback(replay))
            .await
            .unwrap()
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "").unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_orcha"))
            .args([
                "--config",
                cfg.to_str().unwrap(),
                "probe",
                "storj",
                "--endpoint",
                &format!("http://{addr}"),
            ])
            .env_remove("CONFIG_PATH")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reading: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let text = reading.to_string();
    // The estimated payout is reported in US cents by the node; the probe shows it exactly.
    assert!(text.contains("\"usd\""), "{text}");
    assert!(reading.get("health").is_some(), "{text}");
    assert!(text.contains("capabilit"), "{text}");
}
