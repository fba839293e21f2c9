//! The OpenAPI document is committed, well-formed, and describes exactly what the router serves.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use orcha_api::metrics::Metrics;
use orcha_api::ml::MlClient;
use orcha_api::operations::OPERATIONS;
use orcha_api::state::AppParts;
use orcha_api::AppState;
use serde_json::Value;

use super::*;

#[test]
fn the_committed_document_is_current() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let generated = document_text();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date; run `UPDATE_BINDINGS=1 cargo test -p orcha-server --lib openapi` and commit the result"
    );
}

/// Every `{"$ref": "#/…"}` in `value`.
fn refs<'a>(value: &'a Value, into: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                into.push(r);
            }
            map.values().for_each(|v| refs(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, into)),
        _ => {}
    }
}

#[test]
fn the_document_is_openapi_3_1_and_every_reference_resolves() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let mut found = Vec::new();
    refs(doc, &mut found);
    assert!(found.len() > 20, "the DTOs are referenced, not inlined");
    for r in found {
        let pointer = r.strip_prefix('#').expect("only local references");
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    let methods = [
        "get", "put", "post", "delete", "patch", "head", "options", "trace",
    ];
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(path.starts_with('/'), "{path}");
        for (method, op) in item.as_object().unwrap() {
            assert!(methods.contains(&method.as_str()), "{path}: {method}");
            assert!(ids.insert(op["operationId"].as_str().unwrap().to_owned()));
            let responses = op["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path} has no responses");
            for response in responses.values() {
                assert!(response["description"].is_string(), "{method} {path}");
            }
            // Every `{name}` of the template is a required path parameter, and nothing else is.
            let mut declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .inspect(|p| assert_eq!(p["required"], true))
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let mut templated: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            declared.sort_unstable();
            templated.sort_unstable();
            assert_eq!(declared, templated, "{method} {path}");
            for p in op["parameters"].as_array().into_iter().flatten() {
                assert!(["query", "path", "header", "cookie"].contains(&p["in"].as_str().unwrap()));
                assert!(p["schema"].is_object(), "{method} {path}: {p}");
            }
        }
    }
    for op in OPERATIONS {
        let item = &doc["paths"][format!("/api/v1{}", op.path)][op.method.to_ascii_lowercase()];
        assert_eq!(item["operationId"], op.name, "{} missing", op.name);
    }
}

/// A path with its template segments filled in with a value the route will parse.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "1" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_router_serves_every_documented_route_and_the_document_itself() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(AppParts {
        config: orcha_core::config::Config::default(),
        store: orcha_store::Store::open(&dir.path().join("orcha.db")).unwrap(),
        secrets: Arc::new(orcha_core::secret::MemorySecretStore::default()),
        clock: Arc::new(orcha_core::SystemClock),
        metrics: Metrics::new(),
        nodes: vec![],
        ml: MlClient::new(None, Duration::from_secs(1)),
        demo: false,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let cancel = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(crate::serve(
        listener,
        crate::router(
            state,
            crate::ServerOptions::new(orcha_core::secret::Sensitive::new(
                orcha_testkit::net::API_TOKEN.to_owned(),
            )),
        ),
        cancel.clone(),
    ));
    let client = orcha_testkit::net::client();
    for (path, item) in document()["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method =
                reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let resp = client
                .request(method.clone(), format!("{base}{}", concrete(path)))
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let body = resp.text().await.unwrap();
            // The route exists: neither "method not allowed" nor the API's "no such route".
            assert_ne!(status, 405, "{method} {path}");
            assert!(
                !body.contains("no such API route"),
                "{method} {path}: {body}"
            );
        }
    }
    // The served document is the committed one.
    let served: Value = client
        .get(format!("{base}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(&served, document());
    // An undocumented route is the API's 404, so the check above can tell routes apart.
    let missing = client
        .get(format!("{base}/api/v1/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    cancel.cancel();
    server.await.unwrap().unwrap();
}
