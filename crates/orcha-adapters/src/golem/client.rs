//! Golem HTTP client: yagna's REST API (version, identity, invoices, payments, market, activities).

use std::sync::Mutex;
use std::time::Duration;

use orcha_core::{AdapterError, EarnedPeriod, NodeId, PayoutEvent, PayoutKind, ProtocolId};

use super::ledger::{
    known_status, overflow, Invoice as LedgerInvoice, Ledger, Payment as LedgerPayment,
};
use super::model::{Activity, ActivitySnapshot, Earnings};
use super::normalize::parse_glm;
use super::wire::{
    RawAgreement, RawDriverStatus, RawInvoice, RawMe, RawMonitorEvent, RawPayment, RawVersion,
};
use super::{pays_mainnet_glm, GolemAdapter, GolemSettings, APP_KEY_HINT};
use crate::http::{Auth, JsonClient};
use crate::probe::decode;

/// Payments asked for per page, and pages per read (10 000 payments).
pub const PAYMENT_PAGE: usize = 100;
const MAX_PAYMENT_PAGES: usize = 100;
/// Pages per poll for the ledger: its first read takes the whole history (100 000 items), later
/// ones a page or two.
const LEDGER_PAGES: usize = 1000;
const INVOICES: &str = "/payment-api/v1/invoices";
const PAYMENTS: &str = "/payment-api/v1/payments";

/// A payment's identity: yagna always sends an id; without one, time, platform and amount tell
/// payments apart.
fn payment_key(p: &RawPayment) -> String {
    p.payment_id.clone().unwrap_or_else(|| {
        format!(
            "{}|{}|{}",
            p.timestamp.to_rfc3339(),
            p.payment_platform,
            p.amount
        )
    })
}

/// `path` asking for a page of [`PAYMENT_PAGE`] items (`param`) after `after`.
fn paged(path: &str, param: &str, after: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    match after {
        None => format!("{path}{sep}{param}={PAYMENT_PAGE}"),
        Some(t) => format!(
            "{path}{sep}{param}={PAYMENT_PAGE}&afterTimestamp={}",
            t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        ),
    }
}

impl GolemAdapter {
    pub fn new(node: NodeId, settings: GolemSettings) -> Result<Self, AdapterError> {
        if node.protocol() != ProtocolId::Golem {
            return Err(AdapterError::Unsupported {
                what: format!("{node} is not a golem node"),
            });
        }
        let auth = settings.app_key.clone().map_or(Auth::None, Auth::Bearer);
        let client = JsonClient::new(&settings.endpoint, settings.timeout, auth, APP_KEY_HINT)?;
        let stream = reqwest::Client::builder()
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| AdapterError::Unsupported {
                what: format!("HTTP client: {e}"),
            })?;
        Ok(GolemAdapter {
            node,
            client,
            stream,
            settings,
            last_cpu: Mutex::new(None),
            last_profile: Mutex::new(None),
            ledger: Mutex::new(Ledger::default()),
        })
    }

    pub(super) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, AdapterError> {
        let body = self.client.get_bytes(path).await?;
        decode(&self.client.url(path), &body)
    }

    /// `GET /version/get` (no auth): the running version and whether an update is pending.
    pub async fn version(&self) -> Result<(String, Option<String>), AdapterError> {
        let v: RawVersion = self.get("/version/get").await?;
        Ok((v.current.version, v.pending.map(|p| p.version)))
    }

    /// `GET /me`: the node id the app key belongs to.
    pub async fn identity(&self) -> Result<String, AdapterError> {
        let me: RawMe = self.get("/me").await?;
        Ok(me.identity)
    }

    /// Invoices issued by this node and payments received, per platform. Reads only what can
    /// have changed since the last call (see [`super::ledger`]).
    pub async fn earnings(&self) -> Result<Earnings, AdapterError> {
        let me = self.identity().await?;
        let (invoice_from, payment_from) = {
            let mut ledger = self.ledger();
            ledger.belong_to(&me);
            (ledger.invoice_window(), ledger.payment_window())
        };
        let invoices_url = self.client.url(INVOICES);
        let (mine, newest_invoice) = self.invoices_since(invoice_from, &me).await?;
        let payments_url = self.client.url(PAYMENTS);
        let (paid, newest_payment) = self.payments_since(payment_from, &me).await?;
        let now = self.settings.clock.now();
        let mut ledger = self.ledger();
        ledger
            .merge_invoices(mine, newest_invoice)
            .map_err(|e| overflow(&invoices_url, e))?;
        ledger
            .merge_payments(paid, newest_payment)
            .map_err(|e| overflow(&payments_url, e))?;
        let (platforms, overdue) = ledger.totals(now).map_err(|e| overflow(&invoices_url, e))?;
        let paid_out = ledger.paid_out();
        Ok(Earnings {
            identity: me,
            platforms,
            paid_out: paid_out.total,
            payments: paid_out.count,
            last_payment_at: paid_out.last,
            overdue_invoices: overdue,
        })
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        // A panic elsewhere while holding the lock leaves a ledger that is still whole.
        self.ledger
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// This node's invoices from `from` on (the whole list for `None`), checked, and the newest
    /// time of any invoice read.
    async fn invoices_since(
        &self,
        from: Option<chrono::DateTime<chrono::Utc>>,
        me: &str,
    ) -> Result<
        (
            Vec<(String, LedgerInvoice)>,
            Option<chrono::DateTime<chrono::Utc>>,
        ),
        AdapterError,
    > {
        let url = self.client.url(INVOICES);
        let raw = self.invoice_pages(from, LEDGER_PAGES).await?;
        let newest = raw.iter().filter_map(|i| i.timestamp).max();
        let mut mine = Vec::new();
        for (i, inv) in raw.into_iter().enumerate() {
            // The list also holds invoices this node received as a requestor.
            if !inv.issuer_id.eq_ignore_ascii_case(me) {
                continue;
            }
            let amount = parse_glm(&url, &format!("[{i}].amount"), &inv.amount)?;
            if !known_status(&inv.status) {
                return Err(AdapterError::Malformed {
                    endpoint: url.clone(),
                    what: format!(
                        "field `[{i}].status`: unknown invoice status `{}` (invoice {})",
                        inv.status, inv.invoice_id
                    ),
                });
            }
            mine.push((
                inv.invoice_id,
                LedgerInvoice {
                    platform: inv.payment_platform,
                    amount,
                    status: inv.status,
                    due: inv.payment_due_date,
                    at: inv.timestamp,
                },
            ));
        }
        Ok((mine, newest))
    }

    /// Mainnet GLM payments this node received from `from` on, and the newest time of any
    /// payment read.
    async fn payments_since(
        &self,
        from: Option<chrono::DateTime<chrono::Utc>>,
        me: &str,
    ) -> Result<(Vec<LedgerPayment>, Option<chrono::DateTime<chrono::Utc>>), AdapterError> {
        let url = self.client.url(PAYMENTS);
        let raw = self.payment_pages(from, LEDGER_PAGES).await?;
        let newest = raw.iter().map(|p| p.timestamp).max();
        let mut mine = Vec::new();
        for (i, p) in raw.into_iter().enumerate() {
            if !p.payee_id.eq_ignore_ascii_case(me) {
                continue;
            }
            let amount = parse_glm(&url, &format!("[{i}].amount"), &p.amount)?;
            if !pays_mainnet_glm(&p.payment_platform) {
                continue;
            }
            mine.push(LedgerPayment {
                key: payment_key(&p),
                amount,
                at: p.timestamp,
            });
        }
        Ok((mine, newest))
    }

    /// `GET /payment-api/v1/invoices` page by page from `from`, at most `max_pages` pages.
    async fn invoice_pages(
        &self,
        from: Option<chrono::DateTime<chrono::Utc>>,
        max_pages: usize,
    ) -> Result<Vec<RawInvoice>, AdapterError> {
        let key = |i: &RawInvoice| i.invoice_id.clone();
        self.pages(INVOICES, "maxItems", from, max_pages, key, |i| i.timestamp)
            .await
    }

    /// `GET /payment-api/v1/payments` page by page from `from`, at most `max_pages` pages.
    async fn payment_pages(
        &self,
        from: Option<chrono::DateTime<chrono::Utc>>,
        max_pages: usize,
    ) -> Result<Vec<RawPayment>, AdapterError> {
        // timeout=0: the endpoint long-polls for 5 s by default.
        let path = format!("{PAYMENTS}?timeout=0");
        let at = |p: &RawPayment| Some(p.timestamp);
        self.pages(&path, "maxEvents", from, max_pages, payment_key, at)
            .await
    }

    /// A yagna list read page by page: [`PAYMENT_PAGE`] items (`size_param`), then
    /// `afterTimestamp` of the page's newest item, from `from`; each item once (by `key`), at
    /// most `max_pages` pages.
    async fn pages<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        size_param: &str,
        from: Option<chrono::DateTime<chrono::Utc>>,
        max_pages: usize,
        key: impl Fn(&T) -> String,
        at: impl Fn(&T) -> Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<T>, AdapterError> {
        let mut after = from;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for _ in 0..max_pages {
            let page: Vec<T> = self.get(&paged(path, size_param, after)).await?;
            let full = page.len() >= PAYMENT_PAGE;
            let mut new = 0;
            for item in page {
                after = after.max(at(&item));
                if seen.insert(key(&item)) {
                    new += 1;
                    out.push(item);
                }
            }
            // A short page is the last; a page of nothing new means the node ignores the cursor.
            if !full || new == 0 {
                break;
            }
        }
        Ok(out)
    }

    /// Every mainnet GLM payment this node received, as payout events keyed by yagna's
    /// `paymentId` (the API gives no transaction hash; the payment id is the reference). Read
    /// from the beginning in pages of [`PAYMENT_PAGE`] (`maxEvents`, then `afterTimestamp` of the
    /// page's last payment), at most [`MAX_PAYMENT_PAGES`] pages per read.
    pub async fn payout_events(&self) -> Result<Vec<PayoutEvent>, AdapterError> {
        let me = self.identity().await?;
        let url = self.client.url(PAYMENTS);
        let mut out: Vec<PayoutEvent> = Vec::new();
        for (i, p) in self
            .payment_pages(None, MAX_PAYMENT_PAGES)
            .await?
            .into_iter()
            .enumerate()
        {
            let id = p
                .payment_id
                .clone()
                .ok_or_else(|| AdapterError::Malformed {
                    endpoint: url.clone(),
                    what: format!("field `[{i}].paymentId` is missing"),
                })?;
            if !p.payee_id.eq_ignore_ascii_case(&me) {
                continue;
            }
            if !pays_mainnet_glm(&p.payment_platform) {
                continue;
            }
            let amount = parse_glm(&url, &format!("[{i}].amount"), &p.amount)?;
            out.push(PayoutEvent {
                key: format!("golem:{id}"),
                kind: PayoutKind::Payout,
                amount,
                at: p.timestamp,
                reference: Some(id),
                detail: format!("yagna payment on {}", p.payment_platform),
            });
        }
        Ok(out)
    }

    /// What the node invoiced on mainnet GLM (not rejected, failed or cancelled), one earned
    /// period per invoice at its time, read from the beginning in pages (`maxItems`, then
    /// `afterTimestamp`): the history backfill.
    pub async fn invoiced_periods(&self) -> Result<Vec<EarnedPeriod>, AdapterError> {
        let me = self.identity().await?;
        let url = self.client.url(INVOICES);
        let mut out = Vec::new();
        for (i, inv) in self
            .invoice_pages(None, MAX_PAYMENT_PAGES)
            .await?
            .into_iter()
            .enumerate()
        {
            let at = inv.timestamp.ok_or_else(|| AdapterError::Malformed {
                endpoint: url.clone(),
                what: format!("field `[{i}].timestamp` is missing"),
            })?;
            let counts = inv.issuer_id.eq_ignore_ascii_case(&me)
                && pays_mainnet_glm(&inv.payment_platform)
                && !matches!(inv.status.as_str(), "REJECTED" | "FAILED" | "CANCELLED");
            if !counts {
                continue;
            }
            out.push(EarnedPeriod {
                key: format!("golem:invoice:{}", inv.invoice_id),
                start: at,
                end: at,
                amount: parse_glm(&url, &format!("[{i}].amount"), &inv.amount)?,
                source: format!("invoice {} ({})", inv.invoice_id, inv.status),
            });
        }
        Ok(out)
    }

    /// Reasons from `GET /payment-api/v1/payments/status` (`[]` when the drivers are fine).
    pub async fn payment_driver_reasons(&self) -> Result<Vec<String>, AdapterError> {
        let statuses: Vec<RawDriverStatus> = self.get("/payment-api/v1/payments/status").await?;
        Ok(statuses
            .iter()
            .map(|s| {
                let on = format!(
                    "payment driver {} on {}",
                    s.driver.as_deref().unwrap_or("?"),
                    s.network.as_deref().unwrap_or("?")
                );
                match s.kind.as_str() {
                    "InsufficientGas" => format!(
                        "{on} lacks gas (needs about {} of the network's gas token)",
                        s.needed_gas_est.as_deref().unwrap_or("?")
                    ),
                    "InsufficientToken" => format!(
                        "{on} lacks GLM (needs about {})",
                        s.needed_token_est.as_deref().unwrap_or("?")
                    ),
                    "CantSign" => format!("{on} cannot sign: the yagna identity is locked"),
                    "RpcError" => {
                        format!("{on} cannot reach its RPC endpoints: payments are delayed")
                    }
                    "TxStuck" => format!("{on} has a stuck transaction"),
                    "InvalidChainId" => format!("{on} reports an invalid chain id"),
                    other => format!("{on} reports {other}"),
                }
            })
            .collect())
    }

    /// `GET /market-api/v1/offers`: how many offers ya-provider has subscribed.
    pub async fn offer_count(&self) -> Result<usize, AdapterError> {
        let offers: Vec<serde_json::Value> = self.get("/market-api/v1/offers").await?;
        Ok(offers.len())
    }

    /// Provider agreements made in the last hour (`/market-api/v1/agreements`).
    pub async fn agreements_last_hour(&self) -> Result<usize, AdapterError> {
        let since = self.settings.clock.now() - chrono::Duration::hours(1);
        let path = format!(
            "/market-api/v1/agreements?afterDate={}",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        let agreements: Vec<RawAgreement> = self.get(&path).await?;
        // Filtered here too: older yagna versions may ignore afterDate (unverified).
        Ok(agreements
            .iter()
            .filter(|a| {
                a.timestamp >= since
                    && a.role.as_deref().is_none_or(|r| r == "Provider")
                    && !a.id.is_empty()
            })
            .count())
    }

    /// The first event of `GET /activity-api/v1/_monitor` (server-sent events): a snapshot of the
    /// current activities. The stream stays open, so we read until the first blank line.
    pub async fn activities(&self) -> Result<ActivitySnapshot, AdapterError> {
        let url = self.client.url("/activity-api/v1/_monitor");
        let timeout = self.settings.timeout;
        let read = async {
            let mut req = self
                .stream
                .get(&url)
                .header(reqwest::header::ACCEPT, "text/event-stream");
            if let Some(k) = &self.settings.app_key {
                let mut v =
                    reqwest::header::HeaderValue::from_str(&format!("Bearer {}", k.expose()))
                        .map_err(|_| AdapterError::Unauthorized {
                            endpoint: url.clone(),
                            hint: format!(
                                "the app key is not a valid header value; {APP_KEY_HINT}"
                            ),
                        })?;
                v.set_sensitive(true);
                req = req.header(reqwest::header::AUTHORIZATION, v);
            }
            let unreachable = |e: reqwest::Error| {
                let mut reason = String::from("connection failed");
                let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
                while let Some(s) = source {
                    reason = s.to_string();
                    source = s.source();
                }
                AdapterError::Unreachable {
                    endpoint: url.clone(),
                    reason,
                }
            };
            let mut resp = req.send().await.map_err(unreachable)?;
            let status = resp.status();
            if status == reqwest::StatusCode::UNAUTHORIZED
                || status == reqwest::StatusCode::FORBIDDEN
            {
                return Err(AdapterError::Unauthorized {
                    endpoint: url.clone(),
                    hint: format!("HTTP {}; {APP_KEY_HINT}", status.as_u16()),
                });
            }
            if !status.is_success() {
                return Err(AdapterError::Malformed {
                    endpoint: url.clone(),
                    what: format!("HTTP {}", status.as_u16()),
                });
            }
            let mut buf: Vec<u8> = Vec::new();
            loop {
                let text = String::from_utf8_lossy(&buf).replace("\r\n", "\n");
                if let Some(end) = text.find("\n\n") {
                    let data: Vec<&str> = text[..end]
                        .lines()
                        .filter_map(|l| l.strip_prefix("data:"))
                        .map(str::trim_start)
                        .collect();
                    if !data.is_empty() {
                        return Ok(data.join("\n").into_bytes());
                    }
                    // A comment or keep-alive block: skip it.
                    buf = text.as_bytes()[end + 2..].to_vec();
                    continue;
                }
                if buf.len() > 4 * 1024 * 1024 {
                    return Err(AdapterError::Malformed {
                        endpoint: url.clone(),
                        what: "first event larger than 4 MiB".to_owned(),
                    });
                }
                match resp.chunk().await.map_err(unreachable)? {
                    Some(chunk) => buf.extend_from_slice(&chunk),
                    None => {
                        // The stream ended without a blank line: take what came.
                        let text = String::from_utf8_lossy(&buf).into_owned();
                        let data: Vec<&str> = text
                            .lines()
                            .filter_map(|l| l.strip_prefix("data:"))
                            .map(str::trim_start)
                            .collect();
                        if data.is_empty() {
                            return Err(AdapterError::Malformed {
                                endpoint: url.clone(),
                                what: "the event stream ended without a `data:` event".to_owned(),
                            });
                        }
                        return Ok(data.join("\n").into_bytes());
                    }
                }
            }
        };
        let body =
            tokio::time::timeout(timeout, read)
                .await
                .map_err(|_| AdapterError::Timeout {
                    endpoint: url.clone(),
                    after: timeout,
                })??;
        let raw: RawMonitorEvent = decode(&url, &body)?;
        let mut activities = Vec::new();
        for (i, a) in raw.activities.into_iter().enumerate() {
            let usage = a.usage.unwrap_or_default();
            for (k, v) in &usage {
                if !v.is_finite() || *v < 0.0 {
                    return Err(AdapterError::Malformed {
                        endpoint: url.clone(),
                        what: format!(
                            "field `activities[{i}].usage.{k}`: {v} is not a usage counter"
                        ),
                    });
                }
            }
            activities.push(Activity {
                id: a.id,
                state: a.state,
                exe_unit: a.exe_unit,
                agreement_id: a.agreement_id,
                usage,
            });
        }
        let running = activities
            .iter()
            .filter(|a| a.state != "Terminated")
            .count();
        let unresponsive = activities
            .iter()
            .filter(|a| a.state == "Unresponsive")
            .count();
        Ok(ActivitySnapshot {
            ts: raw.ts,
            activities,
            running,
            unresponsive,
        })
    }
}
