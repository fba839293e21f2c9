//! Golem HTTP client: yagna's REST API (version, identity, invoices, payments, market, activities).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use orcha_core::{AdapterError, EarnedPeriod, Money, NodeId, PayoutEvent, PayoutKind, ProtocolId};

use super::model::{Activity, ActivitySnapshot, Earnings, PlatformTotals};
use super::normalize::{glm, parse_glm, split_platform};
use super::wire::{
    RawAgreement, RawDriverStatus, RawInvoice, RawMe, RawMonitorEvent, RawPayment, RawVersion,
};
use super::{GolemAdapter, GolemSettings, APP_KEY_HINT, MAINNETS};
use crate::http::{Auth, JsonClient};
use crate::probe::decode;

/// Payments asked for per page, and pages per read (10 000 payments).
pub const PAYMENT_PAGE: usize = 100;
const MAX_PAYMENT_PAGES: usize = 100;

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

    /// Invoices issued by this node and payments received, per platform.
    pub async fn earnings(&self) -> Result<Earnings, AdapterError> {
        let me = self.identity().await?;
        let path = "/payment-api/v1/invoices";
        let url = self.client.url(path);
        let invoices: Vec<RawInvoice> = self.get(path).await?;
        let now = self.settings.clock.now();
        let mut platforms: BTreeMap<String, PlatformTotals> = BTreeMap::new();
        let mut overdue = 0;
        for (i, inv) in invoices.iter().enumerate() {
            // The list also holds invoices this node received as a requestor.
            if !inv.issuer_id.eq_ignore_ascii_case(&me) {
                continue;
            }
            let amount = parse_glm(&url, &format!("[{i}].amount"), &inv.amount)?;
            let (driver, network, token) = split_platform(&inv.payment_platform);
            let totals = platforms
                .entry(inv.payment_platform.clone())
                .or_insert_with(|| PlatformTotals {
                    platform: inv.payment_platform.clone(),
                    counts_as_earnings: MAINNETS.contains(&network.as_str()) && token == "glm",
                    driver,
                    network,
                    token,
                    pending: glm(0),
                    accepted: glm(0),
                    settled: glm(0),
                    unpaid_invoices: 0,
                });
            let add = |slot: &mut Money| -> Result<(), AdapterError> {
                *slot = slot
                    .checked_add(&amount)
                    .map_err(|e| AdapterError::Malformed {
                        endpoint: url.clone(),
                        what: format!("field `[{i}].amount`: {e}"),
                    })?;
                Ok(())
            };
            match inv.status.as_str() {
                "ISSUED" | "RECEIVED" => add(&mut totals.pending)?,
                "ACCEPTED" => add(&mut totals.accepted)?,
                "SETTLED" => add(&mut totals.settled)?,
                "REJECTED" | "FAILED" | "CANCELLED" => totals.unpaid_invoices += 1,
                other => {
                    return Err(AdapterError::Malformed {
                        endpoint: url.clone(),
                        what: format!(
                            "field `[{i}].status`: unknown invoice status `{other}` (invoice {})",
                            inv.invoice_id
                        ),
                    })
                }
            }
            let open = matches!(inv.status.as_str(), "ISSUED" | "RECEIVED" | "ACCEPTED");
            if open && inv.payment_due_date.is_some_and(|d| d < now) {
                overdue += 1;
            }
        }
        // timeout=0: the endpoint long-polls for 5 s by default.
        let path = "/payment-api/v1/payments?timeout=0";
        let url = self.client.url(path);
        let payments: Vec<RawPayment> = self.get(path).await?;
        let mut paid_out = glm(0);
        let mut count = 0;
        let mut last = None;
        for (i, p) in payments.iter().enumerate() {
            if !p.payee_id.eq_ignore_ascii_case(&me) {
                continue;
            }
            let amount = parse_glm(&url, &format!("[{i}].amount"), &p.amount)?;
            let (_, network, token) = split_platform(&p.payment_platform);
            if !(MAINNETS.contains(&network.as_str()) && token == "glm") {
                continue;
            }
            paid_out = paid_out
                .checked_add(&amount)
                .map_err(|e| AdapterError::Malformed {
                    endpoint: url.clone(),
                    what: format!("field `[{i}].amount`: {e}"),
                })?;
            count += 1;
            last = last.max(Some(p.timestamp));
        }
        Ok(Earnings {
            identity: me,
            platforms: platforms.into_values().collect(),
            paid_out,
            payments: count,
            last_payment_at: last,
            overdue_invoices: overdue,
        })
    }

    /// Every mainnet GLM payment this node received, as payout events keyed by yagna's
    /// `paymentId` (the API gives no transaction hash; the payment id is the reference). Read
    /// from the beginning in pages of [`PAYMENT_PAGE`] (`maxEvents`, then `afterTimestamp` of the
    /// page's last payment), at most [`MAX_PAYMENT_PAGES`] pages per read.
    pub async fn payout_events(&self) -> Result<Vec<PayoutEvent>, AdapterError> {
        let me = self.identity().await?;
        let mut out: Vec<PayoutEvent> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut after: Option<chrono::DateTime<chrono::Utc>> = None;
        for _ in 0..MAX_PAYMENT_PAGES {
            // timeout=0: the endpoint long-polls for 5 s by default.
            let path = match after {
                None => format!("/payment-api/v1/payments?timeout=0&maxEvents={PAYMENT_PAGE}"),
                Some(t) => format!(
                    "/payment-api/v1/payments?timeout=0&maxEvents={PAYMENT_PAGE}&afterTimestamp={}",
                    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                ),
            };
            let url = self.client.url("/payment-api/v1/payments");
            let payments: Vec<RawPayment> = self.get(&path).await?;
            let mut new = 0;
            for (i, p) in payments.iter().enumerate() {
                after = after.max(Some(p.timestamp));
                let id = p
                    .payment_id
                    .clone()
                    .ok_or_else(|| AdapterError::Malformed {
                        endpoint: url.clone(),
                        what: format!("field `[{i}].paymentId` is missing"),
                    })?;
                if !seen.insert(id.clone()) {
                    continue;
                }
                new += 1;
                if !p.payee_id.eq_ignore_ascii_case(&me) {
                    continue;
                }
                let (_, network, token) = split_platform(&p.payment_platform);
                if !(MAINNETS.contains(&network.as_str()) && token == "glm") {
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
            // A short page is the last; a page of nothing new means the node ignores the cursor.
            if payments.len() < PAYMENT_PAGE || new == 0 {
                break;
            }
        }
        Ok(out)
    }

    /// What the node invoiced on mainnet GLM (not rejected, failed or cancelled), one earned
    /// period per invoice at its time, read from the beginning in pages (`maxItems`, then
    /// `afterTimestamp`): the history backfill.
    pub async fn invoiced_periods(&self) -> Result<Vec<EarnedPeriod>, AdapterError> {
        let me = self.identity().await?;
        let url = self.client.url("/payment-api/v1/invoices");
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut after: Option<chrono::DateTime<chrono::Utc>> = None;
        for _ in 0..MAX_PAYMENT_PAGES {
            let path = match after {
                None => format!("/payment-api/v1/invoices?maxItems={PAYMENT_PAGE}"),
                Some(t) => format!(
                    "/payment-api/v1/invoices?maxItems={PAYMENT_PAGE}&afterTimestamp={}",
                    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                ),
            };
            let invoices: Vec<RawInvoice> = self.get(&path).await?;
            let mut new = 0;
            for (i, inv) in invoices.iter().enumerate() {
                let at = inv.timestamp.ok_or_else(|| AdapterError::Malformed {
                    endpoint: url.clone(),
                    what: format!("field `[{i}].timestamp` is missing"),
                })?;
                after = after.max(Some(at));
                if !seen.insert(inv.invoice_id.clone()) {
                    continue;
                }
                new += 1;
                let (_, network, token) = split_platform(&inv.payment_platform);
                let counts = inv.issuer_id.eq_ignore_ascii_case(&me)
                    && MAINNETS.contains(&network.as_str())
                    && token == "glm"
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
            if invoices.len() < PAYMENT_PAGE || new == 0 {
                break;
            }
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
