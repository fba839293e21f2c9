//! The ML engine client: where the engine is, and whether it answers.
//!
//! "ML engine unavailable" is a first-class state: it is shown in the status, emitted as an event
//! and makes the cycle skip predict, optimize and apply instead of inventing numbers.

use std::time::Duration;

use serde::Deserialize;

/// The engine's answer to `GET /health`.
#[derive(Debug, Clone, Deserialize)]
pub struct MlHealth {
    pub status: String,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MlClient {
    base: Option<String>,
    client: reqwest::Client,
}

impl MlClient {
    /// `base` is `None` while no engine is configured or running.
    pub fn new(base: Option<String>, timeout: Duration) -> MlClient {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        MlClient {
            base: base.map(|b| b.trim_end_matches('/').to_owned()),
            client,
        }
    }

    pub fn base(&self) -> Option<&str> {
        self.base.as_deref()
    }

    /// Checks the engine; the error is a sentence for the operator.
    pub async fn health(&self) -> Result<MlHealth, String> {
        let base = self
            .base
            .as_deref()
            .ok_or_else(|| "no ML engine is configured or running".to_owned())?;
        let url = format!("{base}/health");
        let resp = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("{url} is unreachable: {}", root_cause(&e)))?;
        if !resp.status().is_success() {
            return Err(format!("{url} answered HTTP {}", resp.status().as_u16()));
        }
        resp.json::<MlHealth>()
            .await
            .map_err(|e| format!("{url} answered something unreadable: {e}"))
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
