//! Configuration: `config/default.toml` documents every key; a user file overrides what it sets.
//!
//! Every struct denies unknown keys, so a typo is an error naming the key, the file and the line
//! rather than a setting silently ignored. Credentials are never read from here (see
//! `crate::secret`): a key that looks like one gets its own error message.
//!
//! One submodule per section of the file, plus loading (`load`) and cross-key checks
//! (`validate`); every item is re-exported here so callers keep writing `config::X`.

mod alerts;
mod allocation;
mod backup;
mod fleet;
mod load;
mod ml;
mod nodes;
mod orchestrator;
mod prices;
mod server;
mod transport;
mod usage;
mod validate;

#[cfg(test)]
mod tests;

use serde::Deserialize;

pub use alerts::AlertsConfig;
pub use allocation::{AllocationConfig, NodeEnforcement, RunsAs};
pub use backup::{BackupConfig, BACKUP_PASSPHRASE_KEY};
pub use fleet::{FleetConfig, FLEET_TOKEN_KEY};
pub use load::ConfigError;
pub use ml::MlConfig;
pub use nodes::{
    ExtraNode, GolemConfig, GrassConfig, NodeConfig, NodeTable, ProtocolsConfig, StorjConfig,
    StreamrConfig,
};
pub use orchestrator::{OrchestratorConfig, StorageConfig};
pub use prices::{PricesConfig, FIXED_PRICE_KEYS};
pub use server::ServerConfig;
pub use transport::{is_loopback_url, url_host};
pub use usage::{NodeUsageConfig, NotEarningHours, UsageConfig};

/// The committed defaults, embedded so the binary documents itself (`orcha config defaults`).
pub const DEFAULT_TOML: &str = include_str!("../../../../config/default.toml");

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub orchestrator: OrchestratorConfig,
    pub storage: StorageConfig,
    pub ml: MlConfig,
    pub protocols: ProtocolsConfig,
    pub allocation: AllocationConfig,
    pub alerts: AlertsConfig,
    pub prices: PricesConfig,
    pub fleet: FleetConfig,
    pub server: ServerConfig,
    pub backup: BackupConfig,
    pub usage: UsageConfig,
}
