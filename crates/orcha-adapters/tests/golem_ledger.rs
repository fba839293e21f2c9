//! The Golem adapter's invoice and payment ledger over real HTTP: later polls read only from the
//! oldest open invoice and the newest payment on, and still add up to what a full read gives.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::{clock, json_body, Recorded, Replay};
use orcha_adapters::golem::{Earnings, GolemAdapter, GolemSettings};
use orcha_core::secret::Sensitive;
use serde_json::{json, Value};

mod common;

const GOLEM: Recorded = Recorded("golem");
const KEY: &str = "test-app-key-0f9e8d7c";
const ME: &str = "0x2a14f8ae0272bd4c38ed1b40c66e88ed719dab69";
const PLATFORM: &str = "erc20-polygon-glm";

fn minute(i: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 8, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(i as i64)
}

fn invoice(i: usize, issuer: &str, status: &str) -> Value {
    json!({
        "invoiceId": format!("inv-{i}"),
        "issuerId": issuer,
        "recipientId": "0x0000000000000000000000000000000000000abc",
        "payeeAddr": issuer,
        "payerAddr": "0x0000000000000000000000000000000000000abc",
        "paymentPlatform": PLATFORM,
        "timestamp": minute(i).to_rfc3339(),
        "agreementId": format!("agr-{i}"),
        "activityIds": [],
        "amount": "0.001",
        "paymentDueDate": (minute(i) + chrono::Duration::days(1)).to_rfc3339(),
        "status": status,
    })
}

fn payment(i: usize) -> Value {
    json!({
        "paymentId": format!("pay-{i}"),
        "payerId": "0x0000000000000000000000000000000000000abc",
        "payeeId": ME,
        "payerAddr": "0x0000000000000000000000000000000000000abc",
        "payeeAddr": ME,
        "paymentPlatform": PLATFORM,
        "amount": "0.002",
        "timestamp": minute(i).to_rfc3339(),
        "agreementPayments": [], "activityPayments": [], "details": ""
    })
}

/// yagna's list semantics: items later than `afterTimestamp`, oldest first, at most the page size.
fn page(items: &[Value], query: &str, size_param: &str) -> Vec<Value> {
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    };
    let after: Option<DateTime<Utc>> = param("afterTimestamp").map(|t| t.parse().unwrap());
    let max: usize = param(size_param).map_or(usize::MAX, |n| n.parse().unwrap());
    items
        .iter()
        .filter(|v| {
            let at: DateTime<Utc> = v["timestamp"].as_str().unwrap().parse().unwrap();
            after.is_none_or(|a| at > a)
        })
        .take(max)
        .cloned()
        .collect()
}

struct Yagna {
    invoices: Arc<Mutex<Vec<Value>>>,
    payments: Arc<Mutex<Vec<Value>>>,
    /// Items served per path, summed over the requests.
    served: Arc<Mutex<Vec<(String, String, usize)>>>,
    base: String,
}

async fn yagna(invoices: Vec<Value>, payments: Vec<Value>) -> Yagna {
    let invoices = Arc::new(Mutex::new(invoices));
    let payments = Arc::new(Mutex::new(payments));
    let served = Arc::new(Mutex::new(Vec::new()));
    let (i, p, s) = (invoices.clone(), payments.clone(), served.clone());
    let y = Replay::answering(move |_, req| {
        assert_eq!(req.authorization(), Some(format!("Bearer {KEY}").as_str()));
        let query = req.query.clone().unwrap_or_default();
        let items = match req.path.as_str() {
            "/payment-api/v1/invoices" => page(&i.lock().unwrap(), &query, "maxItems"),
            "/payment-api/v1/payments" => page(&p.lock().unwrap(), &query, "maxEvents"),
            _ => return None,
        };
        s.lock()
            .unwrap()
            .push((req.path.clone(), query, items.len()));
        Some(json_body(&Value::Array(items)))
    });
    y.set("/me", GOLEM.fixture("me.json"));
    let base = y.serve().await;
    Yagna {
        invoices,
        payments,
        served,
        base,
    }
}

fn adapter(base: &str) -> GolemAdapter {
    let mut s = GolemSettings::new(
        base,
        Some(Sensitive::new(KEY.to_owned())),
        clock("2024-08-01T06:00:00Z"),
    );
    s.timeout = Duration::from_secs(5);
    GolemAdapter::new("golem:main".parse().unwrap(), s).unwrap()
}

/// (pending, accepted, settled, unpaid invoices, paid out, payments) as decimal strings.
fn sums(e: &Earnings) -> (String, String, String, usize, String, usize) {
    let p = e.platforms.iter().find(|p| p.platform == PLATFORM).unwrap();
    (
        p.pending.to_decimal_string(),
        p.accepted.to_decimal_string(),
        p.settled.to_decimal_string(),
        p.unpaid_invoices,
        e.paid_out.to_decimal_string(),
        e.payments,
    )
}

fn served_since(y: &Yagna, from: usize, path: &str) -> (Vec<String>, usize) {
    let served = y.served.lock().unwrap();
    let rows: Vec<_> = served[from..].iter().filter(|r| r.0 == path).collect();
    (
        rows.iter().map(|r| r.1.clone()).collect(),
        rows.iter().map(|r| r.2).sum(),
    )
}

#[tokio::test]
async fn later_polls_read_from_the_oldest_open_invoice_and_still_add_up() {
    // 240 settled invoices, then 10 accepted (open) ones, one a minute; one invoice this node
    // received as a requestor; 150 payments of 0.002.
    let mut invoices: Vec<Value> = (0..250)
        .map(|i| invoice(i, ME, if i < 240 { "SETTLED" } else { "ACCEPTED" }))
        .collect();
    let mut received = invoice(100, "0x00000000000000000000000000000000000000ff", "ISSUED");
    received["invoiceId"] = json!("inv-9999");
    invoices.insert(100, received);
    let y = yagna(invoices, (0..150).map(payment).collect()).await;
    let a = adapter(&y.base);

    let first = a.earnings().await.unwrap();
    assert_eq!(
        sums(&first),
        (
            "0.000000000000000000".into(),
            "0.010000000000000000".into(),
            "0.240000000000000000".into(),
            0,
            "0.300000000000000000".into(),
            150
        )
    );
    // The first read pages through everything: 251 invoices in pages of 100.
    let (queries, n) = served_since(&y, 0, "/payment-api/v1/invoices");
    assert_eq!((queries.len(), n), (3, 251), "{queries:?}");
    assert!(!queries[0].contains("afterTimestamp"), "{queries:?}");

    // Five of the open invoices are settled, one is rejected, three new ones are issued, and two
    // more payments arrive.
    {
        let mut inv = y.invoices.lock().unwrap();
        for v in inv.iter_mut() {
            let id = v["invoiceId"].as_str().unwrap().to_owned();
            let n: usize = id.trim_start_matches("inv-").parse().unwrap();
            if (240..245).contains(&n) {
                v["status"] = json!("SETTLED");
            } else if n == 245 {
                v["status"] = json!("REJECTED");
            }
        }
        inv.extend((250..253).map(|i| invoice(i, ME, "ISSUED")));
        y.payments.lock().unwrap().extend((150..152).map(payment));
    }
    let mark = y.served.lock().unwrap().len();
    let second = a.earnings().await.unwrap();
    let want = (
        "0.003000000000000000".to_owned(),
        "0.004000000000000000".to_owned(),
        "0.245000000000000000".to_owned(),
        1,
        "0.304000000000000000".to_owned(),
        152,
    );
    assert_eq!(sums(&second), want);
    // Only from the oldest open invoice (inv-240, 04:00) on, with a second of overlap: the 13
    // invoices from there, not the 254 of the list; and only the newest payment on.
    let (queries, n) = served_since(&y, mark, "/payment-api/v1/invoices");
    assert_eq!(
        queries,
        vec!["maxItems=100&afterTimestamp=2024-08-01T03:59:59.000000Z".to_owned()]
    );
    assert_eq!(n, 13);
    let (queries, n) = served_since(&y, mark, "/payment-api/v1/payments");
    assert_eq!(
        queries,
        vec!["timeout=0&maxEvents=100&afterTimestamp=2024-08-01T02:28:59.000000Z".to_owned()]
    );
    assert_eq!(
        n, 3,
        "the newest payment again (overlap) and the two new ones"
    );

    // A fresh adapter reading the whole list agrees to the last base unit.
    let fresh = adapter(&y.base).earnings().await.unwrap();
    assert_eq!(sums(&fresh), want);
    // Reading again with nothing new changes nothing (overlapping items are not counted twice).
    assert_eq!(sums(&a.earnings().await.unwrap()), want);
}
