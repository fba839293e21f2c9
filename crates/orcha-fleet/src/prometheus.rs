//! A small Prometheus HTTP API client: instant queries with a timeout, a size cap and errors that name the URL.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use orcha_core::config::{FleetConfig, FLEET_TOKEN_KEY};
use orcha_core::secret::{SecretKey, SecretStore, Sensitive};
use serde::Deserialize;

/// Largest answer read by default: a fleet of hundreds of machines fits many times over, and a
/// misdirected URL (a big web page) cannot fill memory.
pub const DEFAULT_MAX_BYTES: usize = 8 << 20;

/// What went wrong asking Prometheus. Every message names the URL, never the token.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("the fleet view is off: set [fleet] prometheus_url")]
    NotConfigured,
    #[error("Prometheus at {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("Prometheus at {url} did not answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("Prometheus at {url} refused the request (HTTP {status}): check the bearer token")]
    Unauthorized { url: String, status: u16 },
    #[error("Prometheus at {url} answered HTTP {status}: {message}")]
    Http {
        url: String,
        status: u16,
        message: String,
    },
    #[error("Prometheus at {url} sent more than {limit} bytes; refusing the answer")]
    TooLarge { url: String, limit: usize },
    #[error("Prometheus at {url} sent an answer that is not a query result: {reason}")]
    Invalid { url: String, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// One sample of an instant vector: its labels and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }
}

/// Asks one Prometheus (or anything serving its HTTP API: Thanos, Mimir, VictoriaMetrics).
#[derive(Clone)]
pub struct PrometheusClient {
    http: reqwest::Client,
    base: String,
    shown: String,
    token: Option<Sensitive<String>>,
    timeout: Duration,
    max_bytes: usize,
}

impl std::fmt::Debug for PrometheusClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusClient")
            .field("url", &self.shown)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The URL as errors and DTOs show it: any `user:password@` removed.
pub fn display_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

impl PrometheusClient {
    /// A client for `base_url` (e.g. `http://127.0.0.1:9090`); `timeout` bounds each whole query.
    pub fn new(
        base_url: &str,
        token: Option<Sensitive<String>>,
        timeout: Duration,
    ) -> Result<PrometheusClient, FleetError> {
        let base = base_url.trim_end_matches('/').to_owned();
        if base.is_empty() {
            return Err(FleetError::NotConfigured);
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            // Prometheus never redirects its API; a redirect would carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FleetError::Client(e.to_string()))?;
        Ok(PrometheusClient {
            http,
            shown: display_url(&base),
            base,
            token,
            timeout,
            max_bytes: DEFAULT_MAX_BYTES,
        })
    }

    /// A client from `[fleet]`: the token from `token_env`, else the keyring entry
    /// `fleet:prometheus/token`, else none. A keyring that cannot be read counts as no token.
    pub fn from_config(
        cfg: &FleetConfig,
        env: &dyn Fn(&str) -> Option<String>,
        secrets: &dyn SecretStore,
    ) -> Result<PrometheusClient, FleetError> {
        let from_env = Some(cfg.token_env.as_str())
            .filter(|v| !v.is_empty())
            .and_then(env)
            .filter(|v| !v.is_empty())
            .map(Sensitive::new);
        let token = from_env.or_else(|| {
            secrets
                .get(&SecretKey(FLEET_TOKEN_KEY.to_owned()))
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "Cannot read the Prometheus token from the keyring.");
                    None
                })
        });
        PrometheusClient::new(
            &cfg.prometheus_url,
            token,
            Duration::from_secs(cfg.query_timeout_secs),
        )
    }

    /// Caps the size of one answer (default [`DEFAULT_MAX_BYTES`]).
    pub fn with_max_bytes(mut self, max_bytes: usize) -> PrometheusClient {
        self.max_bytes = max_bytes;
        self
    }

    /// The base URL without credentials.
    pub fn url(&self) -> &str {
        &self.shown
    }

    /// Evaluates `promql` at `at` (`/api/v1/query`); the result must be an instant vector.
    pub async fn query(&self, promql: &str, at: DateTime<Utc>) -> Result<Vec<Sample>, FleetError> {
        let url = format!("{}/api/v1/query", self.base);
        let time = format!("{:.3}", at.timestamp_millis() as f64 / 1000.0);
        let mut req = self
            .http
            .post(&url)
            .form(&[("query", promql), ("time", time.as_str())]);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t.expose());
        }
        let mut resp = req.send().await.map_err(|e| self.classify(&e))?;
        let status = resp.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(FleetError::Unauthorized {
                url: self.shown.clone(),
                status: status.as_u16(),
            });
        }
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(self.too_large());
        }
        // Read chunk by chunk so a lying or absent Content-Length cannot get past the cap.
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(&e))? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(self.too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let answer: Answer = serde_json::from_slice(&body).map_err(|e| {
            if status.is_success() {
                self.invalid(format!("{e}"))
            } else {
                FleetError::Http {
                    url: self.shown.clone(),
                    status: status.as_u16(),
                    message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
                }
            }
        })?;
        if answer.status != "success" {
            return Err(FleetError::Http {
                url: self.shown.clone(),
                status: status.as_u16(),
                message: format!(
                    "{}: {}",
                    answer.error_type.unwrap_or_default(),
                    answer.error.unwrap_or_default()
                ),
            });
        }
        let data = answer
            .data
            .ok_or_else(|| self.invalid("no data".to_owned()))?;
        if data.result_type != "vector" {
            return Err(self.invalid(format!(
                "expected an instant vector, got a {}",
                data.result_type
            )));
        }
        let rows: Vec<VectorRow> = serde_json::from_value(data.result)
            .map_err(|e| self.invalid(format!("vector: {e}")))?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                // Prometheus sends values as strings, including "NaN" and "+Inf".
                let value: f64 = r.value.1.parse().ok()?;
                value.is_finite().then_some(Sample {
                    labels: r.metric,
                    value,
                })
            })
            .collect())
    }

    fn classify(&self, e: &reqwest::Error) -> FleetError {
        if e.is_timeout() {
            return FleetError::Timeout {
                url: self.shown.clone(),
                secs: self.timeout.as_secs().max(1),
            };
        }
        // reqwest's own message repeats the URL with any credentials; give the cause chain only.
        let mut reason = String::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            reason = s.to_string();
            source = s.source();
        }
        if reason.is_empty() {
            reason = "connection failed".to_owned();
        }
        FleetError::Unreachable {
            url: self.shown.clone(),
            reason,
        }
    }

    fn too_large(&self) -> FleetError {
        FleetError::TooLarge {
            url: self.shown.clone(),
            limit: self.max_bytes,
        }
    }

    fn invalid(&self, reason: String) -> FleetError {
        FleetError::Invalid {
            url: self.shown.clone(),
            reason,
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    data: Option<Data>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct VectorRow {
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_the_shown_url() {
        assert_eq!(
            display_url("https://u:pw@prom.lan:9090/x"),
            "https://prom.lan:9090/x"
        );
        assert_eq!(
            display_url("http://127.0.0.1:9090"),
            "http://127.0.0.1:9090"
        );
        let c = PrometheusClient::new(
            "http://u:pw@h:1/",
            Some(Sensitive::new("s3cr3t".into())),
            Duration::from_secs(1),
        )
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("pw") && !dbg.contains("s3cr3t"), "{dbg}");
        assert!(matches!(
            PrometheusClient::new("", None, Duration::from_secs(1)),
            Err(FleetError::NotConfigured)
        ));
    }
}
