//! The `[fleet]` table: where the fleet view finds the Prometheus that scrapes every machine.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The keyring entry of the Prometheus bearer token when `token_env` is empty or unset.
pub const FLEET_TOKEN_KEY: &str = "fleet:prometheus/token";

/// The fleet view reads Prometheus (the one that scrapes every box, or the hub agents push to);
/// Orcha itself never talks to the other machines.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetConfig {
    /// Base URL of the Prometheus HTTP API, e.g. `http://prometheus.lan:9090`; empty means the
    /// fleet view is off.
    pub prometheus_url: String,
    /// Environment variable holding a bearer token for Prometheus (a reverse proxy in front of
    /// it); when it is empty or unset, the keyring entry `fleet:prometheus/token` is used, if any.
    pub token_env: String,
    /// The scrape job (`job_name`) whose targets are Orcha instances.
    pub job: String,
    /// Seconds one query may take.
    pub query_timeout_secs: u64,
    /// Seconds without a scrape after which a machine counts as down even if its last `up` was 1
    /// (an agent-mode box that stopped pushing altogether).
    pub stale_after_secs: u64,
    /// Hours a machine stays listed (as down) after its last scrape.
    pub forget_after_hours: u64,
    /// A Grafana (or other) link per machine name, shown next to it.
    pub dashboard_urls: BTreeMap<String, String>,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            prometheus_url: String::new(),
            token_env: "ORCHA_PROMETHEUS_TOKEN".to_owned(),
            job: "orcha".to_owned(),
            query_timeout_secs: 10,
            stale_after_secs: 120,
            forget_after_hours: 24,
            dashboard_urls: BTreeMap::new(),
        }
    }
}

impl FleetConfig {
    /// Cross-key checks, each error naming the dotted key.
    pub(super) fn validate(&self) -> Result<(), String> {
        let url = &self.prometheus_url;
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "`fleet.prometheus_url` = {url:?} must start with http:// or https://"
            ));
        }
        for (key, v) in [
            ("fleet.query_timeout_secs", self.query_timeout_secs),
            ("fleet.stale_after_secs", self.stale_after_secs),
            ("fleet.forget_after_hours", self.forget_after_hours),
        ] {
            if v == 0 {
                return Err(format!("`{key}` must be greater than 0"));
            }
        }
        // The job name ends up inside a PromQL string literal; keep it to Prometheus's own
        // job-name alphabet so it cannot break out of the quotes.
        if self.job.is_empty()
            || !self
                .job
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
        {
            return Err(format!(
                "`fleet.job` = {:?} must be a non-empty job name (letters, digits, _ - . :)",
                self.job
            ));
        }
        for (machine, u) in &self.dashboard_urls {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(format!(
                    "`fleet.dashboard_urls.{machine}` = {u:?} must start with http:// or https://"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::Config;

    #[test]
    fn fleet_section_is_checked() {
        let parse = |t: &str| Config::from_toml(t, Path::new("/etc/orcha/config.toml"));
        let c = parse("[fleet]\nprometheus_url = \"http://hub:9090\"\ndashboard_urls = { box1 = \"http://grafana/d/orcha?var-machine=box1\" }\n").unwrap();
        assert_eq!(c.fleet.job, "orcha");
        assert_eq!(c.fleet.dashboard_urls.len(), 1);
        for (text, needle) in [
            (
                "[fleet]\nprometheus_url = \"hub:9090\"\n",
                "fleet.prometheus_url",
            ),
            ("[fleet]\njob = \"a\\\"b\"\n", "fleet.job"),
            ("[fleet]\nstale_after_secs = 0\n", "fleet.stale_after_secs"),
            (
                "[fleet]\ndashboard_urls = { a = \"x\" }\n",
                "fleet.dashboard_urls.a",
            ),
            (
                "[orchestrator]\nmachine = \"a\\nb\"\n",
                "orchestrator.machine",
            ),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
        let e = parse("[fleet]\ntoken = \"abc\"\n").unwrap_err().to_string();
        assert!(e.contains("credential") && !e.contains("abc"), "{e}");
    }
}
