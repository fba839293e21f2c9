//! Scenario files (TOML): seed, budget, starting allocation, market, regimes and faults.
//!
//! Every error names the file, the field and the line, because a scenario is hand-written and
//! a silent default would make a benchmark mean something else than its author thought.
//!
//! The types live here; reading a file is `parse`.

mod parse;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use orcha_core::ProtocolId;
use serde::Serialize;

use crate::clock::TimeMode;
use crate::economics::Economics;
use crate::faults::{FaultKind, OfflineMode, StorjShape};
use crate::model::{Allocation, MarketParams, ProtocolMarket, Regime, MINUTES_PER_HOUR};

/// The default demo scenario, shipped in the crate.
pub const DEMO_TOML: &str = include_str!("../../scenarios/demo.toml");

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {file}: {source}")]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}:{line}: field `{field}`: {message}")]
    Invalid {
        file: PathBuf,
        line: usize,
        field: String,
        message: String,
    },
}

/// The machine's resources the scenario divides between nodes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Budget {
    pub cpu_threads: f64,
    pub mem_gib: f64,
    pub disk_gb: f64,
    pub bandwidth_mbps: f64,
}

/// What a change of allocation costs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SwitchingCosts {
    /// A Storj restart (any change of the allocated disk) keeps the node down this long.
    pub storj_restart_minutes: u64,
    /// A Golem profile change while jobs run loses this many minutes of Golem earnings.
    pub golem_job_loss_minutes: f64,
    /// Storj refuses to start below this allocation.
    pub storj_min_disk_gb: f64,
}

/// Prices used to convert every node's earnings into US dollars for scoring.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Prices {
    pub glm_usd: f64,
    pub data_usd: f64,
    pub grass_usd_per_point: f64,
}

/// A fault scheduled by the scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledFault {
    pub target: ProtocolId,
    pub kind: FaultKind,
    pub start_minute: u64,
    pub end_minute: Option<u64>,
}

/// A parsed and validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    pub start: DateTime<Utc>,
    pub duration_minutes: u64,
    pub cycle_minutes: u64,
    pub time: TimeMode,
    pub storj_shape: StorjShape,
    pub budget: Budget,
    pub initial: Allocation,
    pub storj_used_gb: f64,
    pub costs: SwitchingCosts,
    pub prices: Prices,
    pub market: MarketParams,
    /// What each network pays for (`[economics.<protocol>]`, docs/economics.md).
    pub economics: Economics,
    pub faults: Vec<ScheduledFault>,
}

impl Scenario {
    /// Loads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            file: path.to_owned(),
            source,
        })?;
        Scenario::parse(&text, path)
    }

    /// The shipped demo scenario.
    pub fn demo() -> Scenario {
        // The demo file is part of the crate and covered by a test, so this cannot fail at run
        // time; the fallback keeps "no panics" literal anyway.
        Scenario::parse(DEMO_TOML, Path::new("scenarios/demo.toml"))
            .unwrap_or_else(|_| Scenario::minimal())
    }

    /// A small scenario with reference parameters, for when nothing else is available.
    pub fn minimal() -> Scenario {
        let start = DateTime::parse_from_rfc3339("2026-08-03T00:00:00Z")
            .map(|d| d.to_utc())
            .unwrap_or_default();
        Scenario {
            name: "minimal".into(),
            seed: 1,
            start,
            duration_minutes: 3 * 1440,
            cycle_minutes: 60,
            time: TimeMode::Step,
            storj_shape: StorjShape::Current,
            budget: Budget {
                cpu_threads: 8.0,
                mem_gib: 16.0,
                disk_gb: 4000.0,
                bandwidth_mbps: 100.0,
            },
            initial: Allocation {
                storj_disk_gb: 2000.0,
                golem_cpu_threads: 4.0,
                golem_mem_gib: 8.0,
                golem_storage_gib: 50.0,
                streamr_cpu_threads: 2.0,
                streamr_bandwidth_mbps: 50.0,
                grass_bandwidth_mbps: 50.0,
            },
            storj_used_gb: 1000.0,
            costs: SwitchingCosts {
                storj_restart_minutes: 15,
                golem_job_loss_minutes: 20.0,
                storj_min_disk_gb: 500.0,
            },
            prices: Prices {
                glm_usd: 0.25,
                data_usd: 0.02,
                grass_usd_per_point: 0.001,
            },
            market: MarketParams::reference(),
            economics: Economics::default(),
            faults: Vec::new(),
        }
    }

    /// Converts a node's earnings in USD into its own token (Grass: points).
    pub fn usd_to_token(&self, p: ProtocolId, usd: f64) -> f64 {
        match p {
            ProtocolId::Storj => usd,
            ProtocolId::Golem => usd / self.prices.glm_usd,
            ProtocolId::Streamr => usd / self.prices.data_usd,
            ProtocolId::Grass => usd / self.prices.grass_usd_per_point,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_scenario_parses() {
        let s = Scenario::parse(DEMO_TOML, Path::new("demo.toml")).unwrap();
        assert!(s.duration_minutes >= 1440);
        assert!(!s.market.regimes.is_empty());
        assert!(!s.faults.is_empty());
    }

    fn with(replace: &str, by: &str) -> String {
        assert!(DEMO_TOML.contains(replace), "{replace}");
        DEMO_TOML.replacen(replace, by, 1)
    }

    #[test]
    fn errors_name_file_field_and_line() {
        let text = with("cpu_threads = 8", "cpu_threads = -8");
        let e = Scenario::parse(&text, Path::new("bad.toml"))
            .unwrap_err()
            .to_string();
        let line = text
            .lines()
            .position(|l| l.contains("cpu_threads = -8"))
            .unwrap()
            + 1;
        assert!(e.starts_with(&format!("bad.toml:{line}:")), "{e}");
        assert!(e.contains("budget.cpu_threads"), "{e}");

        let text = with("[budget]", "[budget]\ncpu_treads = 3");
        let e = Scenario::parse(&text, Path::new("bad.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cpu_treads"), "{e}");
        assert!(e.starts_with("bad.toml:"), "{e}");

        let text = with("kind = \"offline\"", "kind = \"meteor\"");
        let e = Scenario::parse(&text, Path::new("bad.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("fault.kind") && e.contains("meteor"), "{e}");

        let e = Scenario::parse("not toml at all [", Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.toml:1:"), "{e}");
    }
}
