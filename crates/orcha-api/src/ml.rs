//! The ML engine client: typed requests to the sidecar (forecast, allocate, anomalies, train).
//!
//! "ML engine unavailable" is a first-class state: it is shown in the status, emitted as an event
//! and makes the cycle skip predict, optimize and apply instead of inventing numbers. The types
//! mirror `ml-engine/openapi.json`; `tests/ml_contract.rs` fails when they drift apart.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The engine's answer to `GET /health`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MlHealth {
    pub status: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub models_loaded: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesInput {
    pub id: String,
    /// RFC 3339, hourly, ascending.
    pub timestamps: Vec<String>,
    pub values: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<BTreeMap<String, Vec<f64>>>,
    /// `/v2/forecast` only: `rate`, `cumulative` or `auto` (the engine's default). Left out for
    /// `/v1/train`, which refuses unknown fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_kind: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ForecastRequest {
    pub series: Vec<SeriesInput>,
    pub horizon: u32,
    pub quantiles: Vec<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    pub mase: f64,
    pub baseline_mase: f64,
    pub origins: u32,
    pub horizon: u32,
    pub candidates: BTreeMap<String, f64>,
    /// The better of seasonal naive 24 h and 168 h (v2).
    #[serde(default)]
    pub best_seasonal_naive_mase: Option<f64>,
    /// Ensemble members when the chosen model is a combination (v2).
    #[serde(default)]
    pub members: Option<Vec<String>>,
    /// Leave-one-origin-out coverage of the outermost quantiles in the backtest (v2).
    #[serde(default)]
    pub coverage: Option<f64>,
    /// The two quantile levels `coverage` is for, e.g. `[0.1, 0.9]` (v2).
    #[serde(default)]
    pub coverage_levels: Option<Vec<f64>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesForecast {
    pub id: String,
    pub model: String,
    /// True when the answer is a baseline because the history was too short for a model.
    pub baseline: bool,
    #[serde(default)]
    pub estimate: bool,
    pub timestamps: Vec<String>,
    pub point: Vec<f64>,
    /// Keyed by the quantile as a string ("0.1", "0.5", "0.9").
    pub quantiles: BTreeMap<String, Vec<f64>>,
    pub backtest: Option<Backtest>,
    pub note: String,
    /// `rate` or `cumulative`: what the engine treated the series as (v2).
    #[serde(default)]
    pub series_kind: Option<String>,
    /// For a running total, the forecast hourly increments (v2).
    #[serde(default)]
    pub increments: Option<Vec<f64>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ForecastResponse {
    pub forecasts: Vec<SeriesForecast>,
}

/// Earnings per hour contributed by `x` units of a resource: `a·log(1 + b·x)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseCurve {
    pub a: f64,
    pub b: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeSpec {
    pub id: String,
    pub current: BTreeMap<String, f64>,
    pub min: BTreeMap<String, f64>,
    pub max: BTreeMap<String, f64>,
    /// Fiat cost per unit of change of each resource.
    pub switching_cost: BTreeMap<String, f64>,
    pub response: BTreeMap<String, ResponseCurve>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AllocateRequest {
    pub resources: Vec<String>,
    pub budget: BTreeMap<String, f64>,
    pub nodes: Vec<NodeSpec>,
    pub horizon_hours: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodePlan {
    pub id: String,
    pub allocation: BTreeMap<String, f64>,
    pub change: BTreeMap<String, f64>,
    pub earnings_per_hour: f64,
    pub switching_cost: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AllocateResponse {
    pub plan: Vec<NodePlan>,
    pub expected_earnings_per_hour: f64,
    pub switching_cost: f64,
    pub objective: f64,
    pub horizon_hours: f64,
    pub solver: String,
    pub status: String,
    pub solve_time_ms: f64,
    pub problem_reused: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnomalyRow {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    pub features: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnomalyRequest {
    pub rows: Vec<AnomalyRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<AnomalyRow>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contamination: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z_threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save_as: Option<String>,
}

/// One anomaly request per feature set: the engine fits one detector on rows that share their
/// feature names, and nodes of different protocols measure different things, so a mixed request
/// is refused (422). Each group carries the history rows with the same feature names.
pub fn requests_by_feature_set(
    rows: Vec<AnomalyRow>,
    history: Vec<AnomalyRow>,
) -> Vec<AnomalyRequest> {
    let names = |r: &AnomalyRow| r.features.keys().cloned().collect::<Vec<String>>();
    let mut groups: BTreeMap<Vec<String>, AnomalyRequest> = BTreeMap::new();
    for row in rows {
        groups.entry(names(&row)).or_default().rows.push(row);
    }
    for row in history {
        if let Some(g) = groups.get_mut(&names(&row)) {
            g.history.get_or_insert_with(Vec::new).push(row);
        }
    }
    groups.into_values().collect()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureContribution {
    pub feature: String,
    pub value: f64,
    pub zscore: f64,
    pub share: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnomalyResult {
    pub id: String,
    pub timestamp: Option<String>,
    pub score: f64,
    pub anomaly: bool,
    pub reasons: Vec<String>,
    pub drivers: Vec<FeatureContribution>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnomalyResponse {
    pub results: Vec<AnomalyResult>,
    pub threshold: f64,
    pub z_threshold: f64,
    pub contamination: String,
    pub fitted_rows: u64,
    pub feature_names: Vec<String>,
    pub model: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainRequest {
    pub series: Vec<SeriesInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epochs: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainAccepted {
    pub job_id: String,
    pub state: String,
    pub series_ids: Vec<String>,
}

/// One background training job, as `GET /v1/models` lists it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobInfo {
    pub job_id: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub state: String,
    pub series_ids: Vec<String>,
    pub progress: f64,
    pub message: String,
    pub error: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// `series_id@version` of the models the job saved.
    pub models: Vec<String>,
}

/// The saved LSTM versions of one series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesModels {
    pub series_id: String,
    pub latest_version: u32,
    /// Each version's details; Orcha reads only `latest_version`, so they stay untyped.
    pub versions: Vec<serde_json::Value>,
}

/// The engine's answer to `GET /v1/models`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelsResponse {
    pub series: Vec<SeriesModels>,
    pub jobs: Vec<JobInfo>,
    pub anomaly_detectors: Vec<serde_json::Value>,
}

/// Why a call to the engine failed; callers branch on it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MlError {
    #[error("ML engine unavailable: {0}")]
    Unavailable(String),
    #[error("ML engine did not answer {endpoint} within {} s", after.as_secs())]
    Timeout { endpoint: String, after: Duration },
    /// The engine refused the input (HTTP 422/400); `message` names the field.
    #[error("ML engine rejected the request to {endpoint}: {message}")]
    Rejected { endpoint: String, message: String },
    #[error("ML engine answered {endpoint} with something unreadable: {what}")]
    Malformed { endpoint: String, what: String },
}

/// A client whose base URL can change while the app runs (the supervised sidecar picks a new
/// port every time it restarts).
#[derive(Debug, Clone)]
pub struct MlClient {
    base: Arc<RwLock<Option<String>>>,
    /// The engine's per-start secret, sent as `Authorization: Bearer` on every request.
    secret: Arc<RwLock<Option<String>>>,
    client: reqwest::Client,
    timeout: Duration,
}

/// The most a reply may hold; a bigger one is refused while it streams in, never buffered whole.
pub const MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;

/// Reads a reply body chunk by chunk and stops as soon as it passes `cap`.
pub(crate) async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, String> {
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(format!("the reply is larger than {cap} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| root_cause(&e))? {
        if body.len() + chunk.len() > cap {
            return Err(format!("the reply is larger than {cap} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Transient failures are retried this many times, with doubling back-off.
const RETRIES: u32 = 2;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

impl MlClient {
    /// `base` is `None` while no engine is configured or running.
    pub fn new(base: Option<String>, timeout: Duration) -> MlClient {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        let base = base.map(|b| b.trim_end_matches('/').to_owned());
        MlClient {
            base: Arc::new(RwLock::new(base)),
            secret: Arc::new(RwLock::new(None)),
            client,
            timeout,
        }
    }

    pub fn base(&self) -> Option<String> {
        self.base.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Points the client at a (re)started engine, or at nothing.
    pub fn set_base(&self, base: Option<String>) {
        *self.base.write().unwrap_or_else(|e| e.into_inner()) =
            base.map(|b| b.trim_end_matches('/').to_owned());
    }

    /// Sets the secret the (re)started engine expects; `None` for an engine started by hand.
    pub fn set_secret(&self, secret: Option<String>) {
        *self.secret.write().unwrap_or_else(|e| e.into_inner()) = secret;
    }

    /// A request with the engine's secret attached (marked sensitive, so never logged).
    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let rb = self.client.request(method, url);
        match self
            .secret
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_deref()
        {
            Some(s) => rb.bearer_auth(s),
            None => rb,
        }
    }

    /// Checks the engine once, without retries; the error is a sentence for the operator.
    pub async fn health(&self) -> Result<MlHealth, String> {
        let base = self
            .base()
            .ok_or_else(|| "no ML engine is configured or running".to_owned())?;
        let url = format!("{base}/health");
        let resp = self
            .request(reqwest::Method::GET, &url)
            .timeout(self.timeout.min(Duration::from_secs(5)))
            .send()
            .await
            .map_err(|e| format!("{url} is unreachable: {}", root_cause(&e)))?;
        if !resp.status().is_success() {
            return Err(format!("{url} answered HTTP {}", resp.status().as_u16()));
        }
        let body = read_capped(resp, MAX_REPLY_BYTES)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        serde_json::from_slice::<MlHealth>(&body)
            .map_err(|e| format!("{url} answered something unreadable: {e}"))
    }

    /// `POST /v2/forecast`: the v1 answer plus the series kind and the backtest's interval
    /// coverage and best seasonal-naive score.
    pub async fn forecast(&self, req: &ForecastRequest) -> Result<ForecastResponse, MlError> {
        self.post("/v2/forecast", req).await
    }

    pub async fn allocate(&self, req: &AllocateRequest) -> Result<AllocateResponse, MlError> {
        self.post("/v1/allocate", req).await
    }

    /// Starts a background training job in the engine; progress shows in `GET /v1/models`.
    pub async fn train(&self, req: &TrainRequest) -> Result<TrainAccepted, MlError> {
        self.post("/v1/train", req).await
    }

    pub async fn anomalies(&self, req: &AnomalyRequest) -> Result<AnomalyResponse, MlError> {
        self.post("/v1/anomalies", req).await
    }

    /// The saved models and the training jobs with their state, once and without retries (it is
    /// asked again next cycle).
    pub async fn models(&self) -> Result<ModelsResponse, MlError> {
        let base = self
            .base()
            .ok_or_else(|| MlError::Unavailable("no ML engine is configured or running".into()))?;
        let url = format!("{base}/v1/models");
        let resp = self
            .request(reqwest::Method::GET, &url)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    MlError::Timeout {
                        endpoint: url.clone(),
                        after: self.timeout,
                    }
                } else {
                    MlError::Unavailable(format!("{url}: {}", root_cause(&e)))
                }
            })?;
        let status = resp.status();
        if !status.is_success() {
            let message = format!("HTTP {}", status.as_u16());
            return Err(if status.is_server_error() {
                MlError::Unavailable(format!("{url} answered {message}"))
            } else {
                MlError::Rejected {
                    endpoint: url,
                    message,
                }
            });
        }
        let body = read_capped(resp, MAX_REPLY_BYTES)
            .await
            .map_err(|e| MlError::Malformed {
                endpoint: url.clone(),
                what: e,
            })?;
        serde_json::from_slice::<ModelsResponse>(&body).map_err(|e| MlError::Malformed {
            endpoint: url,
            what: e.to_string(),
        })
    }

    async fn post<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        path: &str,
        req: &Req,
    ) -> Result<Resp, MlError> {
        let base = self
            .base()
            .ok_or_else(|| MlError::Unavailable("no ML engine is configured or running".into()))?;
        let url = format!("{base}{path}");
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 0;
        loop {
            match self.post_once(&url, req).await {
                // Only transient failures are worth another try; a rejected input stays rejected.
                Err(MlError::Unavailable(_) | MlError::Timeout { .. }) if attempt < RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
                other => return other,
            }
        }
    }

    async fn post_once<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        url: &str,
        req: &Req,
    ) -> Result<Resp, MlError> {
        let resp = self
            .request(reqwest::Method::POST, url)
            .json(req)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    MlError::Timeout {
                        endpoint: url.to_owned(),
                        after: self.timeout,
                    }
                } else {
                    MlError::Unavailable(format!("{url}: {}", root_cause(&e)))
                }
            })?;
        let status = resp.status();
        let body = read_capped(resp, MAX_REPLY_BYTES)
            .await
            .map_err(|e| MlError::Malformed {
                endpoint: url.to_owned(),
                what: e,
            })?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| MlError::Malformed {
                endpoint: url.to_owned(),
                what: e.to_string(),
            });
        }
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        if status.is_server_error() {
            Err(MlError::Unavailable(format!(
                "{url} answered HTTP {}: {message}",
                status.as_u16()
            )))
        } else {
            Err(MlError::Rejected {
                endpoint: url.to_owned(),
                message,
            })
        }
    }
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    cause
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anomaly_rows_are_split_by_feature_set_with_their_history() {
        let row = |id: &str, names: &[&str]| AnomalyRow {
            id: id.into(),
            timestamp: None,
            features: names.iter().map(|n| ((*n).to_owned(), 1.0)).collect(),
        };
        let reqs = requests_by_feature_set(
            vec![
                row("storj:a", &["disk_used", "latency"]),
                row("golem:a", &["cpu"]),
                row("storj:b", &["latency", "disk_used"]),
            ],
            vec![row("golem:a", &["cpu"]), row("grass:a", &["bw"])],
        );
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].rows.len(), 1);
        assert_eq!(reqs[0].history.as_ref().map(Vec::len), Some(1));
        assert_eq!(reqs[1].rows.len(), 2);
        assert_eq!(reqs[1].history, None);
    }
}
