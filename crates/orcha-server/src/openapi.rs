//! The OpenAPI 3.1 document of the REST API, generated from the operation table and the DTOs'
//! JSON Schemas, served at `GET /api/v1/openapi.json` and committed as `docs/openapi.json`.

use std::sync::OnceLock;

use axum::response::IntoResponse;
use orcha_api::dto::ApiError;
use orcha_api::operations::{Input, OperationSpec, OPERATIONS};
use schemars::generate::SchemaSettings;
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

/// Where the table's paths live.
const API_PREFIX: &str = "/api/v1";

/// The document, built once per process: it depends only on the code.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build)
}

pub(crate) async fn serve_document() -> impl IntoResponse {
    axum::Json(document().clone())
}

/// The document as committed: pretty, with a final newline.
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(document()).unwrap_or_default();
    text.push('\n');
    text
}

fn build() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();
    let error = generator.subschema_for::<ApiError>();
    // The event stream's frames; a WebSocket has no schema slot, so they are a named component.
    generator.subschema_for::<orcha_api::dto::Event>();
    let mut paths = Map::new();
    for op in OPERATIONS {
        let path = format!("{API_PREFIX}{}", op.path);
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[op.method.to_ascii_lowercase()] = operation(op, &mut generator, &error);
    }
    for (path, method, item) in hand_written_routes(&error) {
        paths.entry(path).or_insert_with(|| json!({}))[method] = item;
    }
    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "DePIN Orcha REST API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The API of `orcha serve`; the desktop app offers the same operations as Tauri commands. \
                Generated from crates/orcha-api/src/operations.rs; do not edit.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The install's API token (`orcha token show`; ORCHA_API_TOKEN overrides it). Always required, loopback included.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "orcha_session",
                    "description": "HttpOnly session cookie set by the one-time login link `orcha serve` prints.",
                },
            },
        },
        // Either proves the token; there is no anonymous access to the API.
        "security": [{ "token": [] }, { "session": [] }],
    })
}

fn operation(
    op: &OperationSpec,
    generator: &mut SchemaGenerator,
    error: &schemars::Schema,
) -> Value {
    let mut lines = op.doc.lines().map(str::trim);
    let mut item = json!({
        "operationId": op.name,
        "summary": lines.next().unwrap_or(op.name),
        "responses": {
            "200": {
                "description": "Success",
                "content": { "application/json": { "schema": (op.response.schema)(generator) } },
            },
            "default": {
                "description": "An `ApiError`; its `code` decides the status (400, 401, 404, 409, 500, 503).",
                "content": { "application/json": { "schema": error } },
            },
        },
    });
    let rest: Vec<&str> = lines.collect();
    if !rest.is_empty() {
        item["description"] = Value::from(rest.join(" "));
    }
    match op.input {
        Input::None => {}
        Input::Body { ty, .. } => {
            item["requestBody"] = json!({
                "required": true,
                "content": { "application/json": { "schema": (ty.schema)(generator) } },
            });
        }
        Input::Path { arg, ty } => {
            item["parameters"] = json!([{
                "name": arg, "in": "path", "required": true, "schema": (ty.schema)(generator),
            }]);
        }
        Input::Param { arg, ty, default } => {
            let mut schema = (ty.schema)(generator).to_value();
            schema["default"] = default();
            item["parameters"] = json!([{
                "name": arg, "in": "query", "required": false, "schema": schema,
            }]);
        }
        Input::Query { ty, .. } => {
            let schema = (ty.schema)(generator);
            item["parameters"] = Value::Array(query_parameters(generator, schema));
        }
    }
    item
}

/// A query DTO spread into one parameter per field, as the query string carries them.
fn query_parameters(generator: &SchemaGenerator, schema: schemars::Schema) -> Vec<Value> {
    let value = schema.to_value();
    let resolved = value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .and_then(|name| generator.definitions().get(name))
        .unwrap_or(&value);
    let required: Vec<&str> = resolved
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = resolved.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, schema)| {
            let mut parameter = json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "schema": schema,
            });
            if let Some(text) = schema.get("description") {
                parameter["description"] = text.clone();
            }
            parameter
        })
        .collect()
}

/// The routes outside the table (see `orcha_api::operations`), documented by hand.
fn hand_written_routes(error: &schemars::Schema) -> Vec<(String, &'static str, Value)> {
    let text = |media: &str, description: &str| json!({ "200": { "description": description, "content": { media: { "schema": { "type": "string" } } } } });
    let any_json = |description: &str| json!({ "200": { "description": description, "content": { "application/json": { "schema": {} } } } });
    vec![
        (
            format!("{API_PREFIX}/events"),
            "get",
            json!({
                "operationId": "events",
                "summary": "The event stream: a WebSocket carrying `{\"event\": name, \"payload\": …}` text frames (the `Event` component).",
                "description": "Browsers cannot set headers on a WebSocket: they send the session cookie, or a single-use `?ticket=` from `POST /api/v1/ws-ticket`. The token itself is never accepted in a URL.",
                "responses": {
                    "101": { "description": "Switching to the WebSocket protocol" },
                    "default": {
                        "description": "An `ApiError`",
                        "content": { "application/json": { "schema": error } },
                    },
                },
            }),
        ),
        (
            format!("{API_PREFIX}/openapi.json"),
            "get",
            json!({
                "operationId": "openapi",
                "summary": "This document.",
                "responses": any_json("The OpenAPI document"),
            }),
        ),
        (
            format!("{API_PREFIX}/ws-ticket"),
            "post",
            json!({
                "operationId": "wsTicket",
                "summary": "A single-use ticket, valid for 30 seconds, for opening the event WebSocket as `?ticket=`.",
                "responses": any_json("`{\"ticket\": …, \"expires_in_seconds\": 30}`"),
            }),
        ),
        (
            "/login".to_owned(),
            "get",
            json!({
                "operationId": "login",
                "summary": "Redeems the one-time login code `orcha serve` prints for the HttpOnly session cookie, then redirects to `/`.",
                "security": [],
                "parameters": [{ "name": "code", "in": "query", "required": true, "schema": { "type": "string" } }],
                "responses": {
                    "303": { "description": "Logged in; to the UI" },
                    "401": { "description": "Unknown, used or expired code" },
                },
            }),
        ),
        (
            "/health".to_owned(),
            "get",
            json!({
                "operationId": "health",
                "summary": "Liveness: answers `{\"status\": \"ok\"}` while the process serves HTTP.",
                "security": [],
                "responses": any_json("Alive"),
            }),
        ),
        (
            "/health/ready".to_owned(),
            "get",
            json!({
                "operationId": "ready",
                "summary": "Readiness: the database is writable; what each adapter, the ML engine and each alert channel last did.",
                "responses": {
                    "200": { "description": "Ready", "content": { "application/json": { "schema": {} } } },
                    "503": { "description": "Not ready (the database is not writable)", "content": { "application/json": { "schema": {} } } },
                },
            }),
        ),
        (
            "/metrics".to_owned(),
            "get",
            json!({
                "operationId": "metrics",
                "summary": "Prometheus metrics in the text exposition format (on its own token-free loopback listener instead when `[server] metrics_listen` is set).",
                "responses": text("text/plain", "The metrics"),
            }),
        ),
    ]
}

#[cfg(test)]
#[path = "openapi_tests.rs"]
mod tests;
