//! The yagna REST API a Golem provider exposes (payment, market, activity, `/me`, `/version/get`,
//! metrics), with bearer-token auth, in the shapes of yagna v0.16–v0.17.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::faults::SurfaceFaults;
use crate::serve::{json_error, Shared};
use crate::world::{Activity, World};

pub const IDENTITY: &str = "0x2a14f8ae0272bd4c38ed1b40c66e88ed719dab69";
const REQUESTOR: &str = "0x0000000000000000000000000000000000000abc";
const PLATFORM: &str = "erc20-polygon-glm";

fn ms(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Clone)]
struct AuthState {
    shared: Arc<Shared>,
    faults: watch::Receiver<SurfaceFaults>,
}

/// yagna's auth: `Authorization: Bearer <key>` or `?authToken=<key>`; 401 otherwise.
async fn auth(State(st): State<AuthState>, req: Request, next: Next) -> Response {
    let header_key = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let query_key = req.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("authToken=").map(str::to_owned))
    });
    let Some(key) = header_key.or(query_key) else {
        return (StatusCode::UNAUTHORIZED, "Missing application key").into_response();
    };
    if key != st.shared.app_key || st.faults.borrow().token_revoked {
        return (StatusCode::UNAUTHORIZED, "Invalid application key").into_response();
    }
    next.run(req).await
}

pub(crate) fn router(shared: Arc<Shared>, faults: watch::Receiver<SurfaceFaults>) -> Router {
    let authed = Router::new()
        .route("/me", get(me))
        .route("/payment-api/v1/providerAccounts", get(provider_accounts))
        .route("/payment-api/v1/invoices", get(invoices))
        .route("/payment-api/v1/invoices/{id}", get(invoice))
        .route("/payment-api/v1/payments", get(payments))
        .route(
            "/payment-api/v1/payments/status",
            get(|| async { Json(json!([])) }),
        )
        .route("/market-api/v1/offers", get(offers))
        .route("/market-api/v1/agreements", get(agreements))
        .route("/activity-api/v1/activity/{id}/state", get(activity_state))
        .route("/activity-api/v1/activity/{id}/usage", get(activity_usage))
        .route("/activity-api/v1/_monitor", get(monitor))
        .route_layer(middleware::from_fn_with_state(
            AuthState {
                shared: shared.clone(),
                faults,
            },
            auth,
        ));
    Router::new()
        .route("/version/get", get(version))
        .route("/metrics-api/v1/expose", get(metrics))
        .merge(authed)
        .fallback(|| async { json_error(StatusCode::NOT_FOUND, "message", "not found") })
        .with_state(shared)
}

async fn version() -> Json<Value> {
    Json(json!({
        "current": {
            "version": "0.17.6",
            "name": "v0.17.6",
            "seen": true,
            "releaseTs": "2026-03-28T12:00:00",
            "insertionTs": "2026-03-28T12:30:00",
            "updateTs": "2026-03-28T12:30:00",
        },
        "pending": null,
    }))
}

async fn me() -> Json<Value> {
    Json(json!({ "identity": IDENTITY, "name": "depin-orcha", "role": "manager" }))
}

async fn provider_accounts() -> Json<Value> {
    let account = |platform: &str, network: &str| {
        json!({
            "platform": platform, "address": IDENTITY, "driver": "erc20", "network": network,
            "token": "GLM", "send": false, "receive": true,
        })
    };
    Json(json!([
        account(PLATFORM, "polygon"),
        account("erc20-mainnet-glm", "mainnet")
    ]))
}

fn after(q: &HashMap<String, String>, key: &str) -> Option<DateTime<Utc>> {
    q.get(key)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.to_utc())
}

fn max_items(q: &HashMap<String, String>, key: &str) -> usize {
    q.get(key)
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX)
}

fn invoice_json(i: &crate::world::Invoice) -> Value {
    json!({
        "invoiceId": i.id,
        "issuerId": IDENTITY,
        "recipientId": REQUESTOR,
        "payeeAddr": IDENTITY,
        "payerAddr": REQUESTOR,
        "paymentPlatform": PLATFORM,
        "timestamp": ms(i.created),
        "agreementId": i.agreement_id,
        "activityIds": i.activity_ids,
        "amount": i.amount,
        "paymentDueDate": ms(i.created + chrono::Duration::days(1)),
        "status": i.status,
    })
}

async fn invoices(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let w = sh.world();
    let since = after(&q, "afterTimestamp");
    let out: Vec<Value> = w
        .golem
        .invoices
        .iter()
        .filter(|i| since.is_none_or(|t| i.created > t))
        .take(max_items(&q, "maxItems"))
        .map(invoice_json)
        .collect();
    Json(Value::Array(out))
}

async fn invoice(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let w = sh.world();
    match w.golem.invoices.iter().find(|i| i.id == id) {
        Some(i) => Json(invoice_json(i)).into_response(),
        None => json_error(
            StatusCode::NOT_FOUND,
            "message",
            format!("Invoice not found: {id}"),
        ),
    }
}

async fn payments(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    // The real endpoint long-polls for `timeout` seconds; the simulator always answers at once.
    let w = sh.world();
    let since = after(&q, "afterTimestamp");
    let out: Vec<Value> = w
        .golem
        .payments
        .iter()
        .filter(|p| since.is_none_or(|t| p.timestamp > t))
        .take(max_items(&q, "maxEvents"))
        .map(|p| {
            json!({
                "paymentId": p.id,
                "payerId": REQUESTOR,
                "payeeId": IDENTITY,
                "payerAddr": REQUESTOR,
                "payeeAddr": IDENTITY,
                "paymentPlatform": PLATFORM,
                "amount": p.amount,
                "timestamp": p.timestamp.to_rfc3339_opts(SecondsFormat::Secs, true),
                "agreementPayments": [{ "agreementId": p.agreement_id, "amount": p.amount }],
                "activityPayments": [],
                "details": "AAECAwQFBgcICQ==",
            })
        })
        .collect();
    Json(Value::Array(out))
}

async fn offers(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let w = sh.world();
    let p = w.golem.profile;
    let start = w
        .history()
        .iter()
        .rev()
        .find(|c| c.cause != "control")
        .map(|c| c.at)
        .unwrap_or_else(|| w.now());
    Json(json!([{
        "properties": {
            "golem.com.payment.platform.erc20-polygon-glm.address": IDENTITY,
            "golem.com.pricing.model": "linear",
            "golem.com.pricing.model.linear.coeffs": [6.944444444444445e-06, 1.388888888888889e-06, 0.0],
            "golem.com.scheme": "payu",
            "golem.com.usage.vector": ["golem.usage.cpu_sec", "golem.usage.duration_sec"],
            "golem.inf.cpu.architecture": "x86_64",
            "golem.inf.cpu.cores": w.scenario().budget.cpu_threads.round() as u64,
            "golem.inf.cpu.threads": p.cpu_threads,
            "golem.inf.mem.gib": p.mem_gib,
            "golem.inf.storage.gib": p.storage_gib,
            "golem.node.debug.subnet": "public",
            "golem.node.id.name": "orcha-sim",
            "golem.runtime.name": "vm",
            "golem.runtime.version": "0.4.2",
        },
        "constraints": "(&\n  (golem.srv.comp.expiration>0)\n  (golem.node.debug.subnet=public)\n)",
        "offerId": format!("4b8c2a7e0f1d4e3ba9c8d7e6f5a4b3c2-{:048x}", p.cpu_threads),
        "providerId": IDENTITY,
        "timestamp": ms(start),
    }]))
}

async fn agreements(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let w = sh.world();
    let (a, b) = (after(&q, "afterDate"), after(&q, "beforeDate"));
    let out: Vec<Value> = w
        .golem
        .agreements
        .iter()
        .filter(|g| a.is_none_or(|t| g.timestamp > t) && b.is_none_or(|t| g.timestamp < t))
        .map(|g| json!({ "id": g.id, "timestamp": ms(g.timestamp), "approvedDate": ms(g.approved), "role": "Provider" }))
        .collect();
    Json(Value::Array(out))
}

fn find_activity<'a>(w: &'a World, id: &str) -> Option<&'a Activity> {
    w.golem
        .running
        .iter()
        .chain(w.golem.finished.iter())
        .find(|a| a.id == id)
}

async fn activity_state(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let w = sh.world();
    match find_activity(&w, &id) {
        Some(a) if a.state == "Terminated" => Json(json!({
            "state": ["Terminated", null],
            "reason": a.reason.clone().unwrap_or_default(),
            "errorMessage": null,
        }))
        .into_response(),
        Some(a) => Json(json!({ "state": [a.state, null] })).into_response(),
        None => json_error(
            StatusCode::NOT_FOUND,
            "message",
            format!("Activity not found: {id}"),
        ),
    }
}

async fn activity_usage(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let w = sh.world();
    match find_activity(&w, &id) {
        Some(a) => Json(json!({ "currentUsage": [a.duration_sec, a.cpu_sec], "timestamp": w.now().timestamp() }))
            .into_response(),
        None => json_error(StatusCode::NOT_FOUND, "message", format!("Activity not found: {id}")),
    }
}

/// One `_monitor` event: the running activities and those that ended in the last minutes.
pub fn monitor_event(w: &World) -> Value {
    let recent = w.minute().saturating_sub(5);
    let activities: Vec<Value> = w
        .golem
        .running
        .iter()
        .chain(w.golem.finished.iter().filter(|a| a.start_minute + crate::world::JOB_MINUTES >= recent))
        .map(|a| {
            json!({
                "id": a.id,
                "state": a.state,
                "usage": { "golem.usage.cpu_sec": a.cpu_sec, "golem.usage.duration_sec": a.duration_sec },
                "exeUnit": "vm",
                "agreementId": a.agreement_id,
            })
        })
        .collect();
    json!({ "ts": w.now().to_rfc3339_opts(SecondsFormat::Micros, true), "activities": activities })
}

async fn monitor(
    State(sh): State<Arc<Shared>>,
) -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
    let interval = sh.sse_interval;
    let stream = futures::stream::unfold((sh, true), move |(sh, first)| async move {
        if !first {
            tokio::select! {
                _ = sh.cancel.cancelled() => return None,
                _ = tokio::time::sleep(interval) => {}
            }
        }
        if sh.cancel.is_cancelled() {
            return None;
        }
        let data = {
            let w = sh.world();
            monitor_event(&w).to_string()
        };
        Some((Ok(Event::default().data(data)), (sh, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn metrics(State(sh): State<Arc<Shared>>) -> Response {
    let w = sh.world();
    let g = &w.golem;
    let paid = g.invoices.iter().filter(|i| i.status == "SETTLED").count();
    let body = format!(
        "# metrics snapshot (ts={ts}) (prometheus exposition format)\n\
         # TYPE activity_provider_created counter\nactivity_provider_created {created}\n\n\
         # TYPE activity_provider_destroyed counter\nactivity_provider_destroyed {destroyed}\n\n\
         # TYPE market_agreements_provider_approved counter\nmarket_agreements_provider_approved {agreements}\n\n\
         # TYPE payment_amount_received counter\npayment_amount_received{{platform=\"erc20-mainnet-glm\"}} 0\n\
         payment_amount_received{{platform=\"erc20-polygon-glm\"}} {received}\n\n\
         # TYPE payment_invoices_provider_paid counter\npayment_invoices_provider_paid {paid}\n",
        ts = w.now().timestamp(),
        created = g.created_total,
        destroyed = g.terminated_total,
        agreements = g.agreements.len(),
        received = (g.received_glm * 1e9).round() as u64,
        paid = paid,
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
