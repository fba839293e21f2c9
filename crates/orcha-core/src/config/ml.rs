//! The `[ml]` table: which ML engine Orcha talks to and how long it waits for it.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MlConfig {
    /// Base URL of an external ML engine; empty means Orcha starts its own. `ML_API_URL`
    /// overrides it.
    pub url: String,
    /// The `orcha-ml` executable to start when `url` is empty; empty means search the bundled
    /// engine, `ml-engine/.venv` and `PATH`.
    pub command: String,
    /// Seconds one ML engine request may take.
    pub request_timeout: u64,
}

impl Default for MlConfig {
    fn default() -> Self {
        MlConfig {
            url: String::new(),
            command: String::new(),
            request_timeout: 30,
        }
    }
}
