//! Configuration: `config/default.toml` documents every key; a user file overrides what it sets.
//!
//! Every struct denies unknown keys, so a typo is an error naming the key, the file and the line
//! rather than a setting silently ignored. Credentials are never read from here (see
//! `crate::secret`): a key that looks like one gets its own error message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::domain::{NodeId, ProtocolId};

/// The committed defaults, embedded so the binary documents itself (`orcha config defaults`).
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

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
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrchestratorConfig {
    /// Port of the REST/WebSocket API and `/metrics`.
    pub api_port: u16,
    /// Address the API binds to. Anything but loopback requires an API token.
    pub bind: String,
    /// Seconds between optimization cycles.
    pub optimization_interval: u64,
    /// Default seconds between polls of one node.
    pub poll_interval: u64,
    /// Seconds one adapter call may take before it counts as a timeout.
    pub poll_timeout: u64,
    /// Seconds to wait for tasks to finish on shutdown before aborting them.
    pub shutdown_deadline: u64,
    /// Where the database and models live; empty means the platform data directory.
    pub data_dir: String,
    /// Port of a separate loopback `/metrics` listener in the desktop app; 0 means off (headless
    /// mode always serves `/metrics` on the API port).
    pub metrics_port: u16,
}

impl Default for OrchestratorConfig {
    fn default() -> Self {
        OrchestratorConfig {
            api_port: 7373,
            bind: "127.0.0.1".to_owned(),
            optimization_interval: 900,
            poll_interval: 60,
            poll_timeout: 10,
            shutdown_deadline: 5,
            data_dir: String::new(),
            metrics_port: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// SQLite file; empty means `<data_dir>/orcha.db`. `DATABASE_URL` overrides it.
    pub database: String,
    /// Days raw samples are kept before only the rollups remain.
    pub retention_raw_days: u32,
    /// Days 1-minute rollups are kept.
    pub retention_minute_days: u32,
    /// Days 1-hour rollups are kept.
    pub retention_hour_days: u32,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            database: String::new(),
            retention_raw_days: 7,
            retention_minute_days: 90,
            retention_hour_days: 1825,
        }
    }
}

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

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolsConfig {
    pub storj: StorjConfig,
    pub golem: GolemConfig,
    pub streamr: StreamrConfig,
    pub grass: GrassConfig,
}

/// The settings every protocol table shares, borrowed from its specific struct.
#[derive(Debug, Clone, Copy)]
pub struct NodeTable<'a> {
    pub protocol: ProtocolId,
    pub enabled: bool,
    pub name: &'a str,
    pub api_endpoint: &'a str,
    pub poll_interval: u64,
    pub auto_apply: bool,
    pub extra: &'a [ExtraNode],
}

impl<'a> NodeTable<'a> {
    /// The table's own node followed by its extra nodes, as `(name, endpoint)`.
    pub fn endpoints(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        std::iter::once((self.name, self.api_endpoint)).chain(
            self.extra
                .iter()
                .map(|n| (n.name.as_str(), n.api_endpoint.as_str())),
        )
    }
}

macro_rules! node_table {
    ($protocol:expr, $t:expr) => {
        NodeTable {
            protocol: $protocol,
            enabled: $t.enabled,
            name: &$t.name,
            api_endpoint: &$t.api_endpoint,
            poll_interval: $t.poll_interval,
            auto_apply: $t.auto_apply,
            extra: &$t.nodes,
        }
    };
}

impl ProtocolsConfig {
    /// The four protocol tables in protocol order.
    pub fn tables(&self) -> [NodeTable<'_>; 4] {
        [
            node_table!(ProtocolId::Storj, self.storj),
            node_table!(ProtocolId::Golem, self.golem),
            node_table!(ProtocolId::Streamr, self.streamr),
            node_table!(ProtocolId::Grass, self.grass),
        ]
    }
}

/// A further node of the same protocol (e.g. a second Storj node on another disk).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraNode {
    pub name: String,
    pub api_endpoint: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorjConfig {
    pub enabled: bool,
    /// Local name of the node (the part after `storj:`).
    pub name: String,
    /// The storagenode dashboard API.
    pub api_endpoint: String,
    /// Seconds between polls; 0 means `orchestrator.poll_interval`.
    pub poll_interval: u64,
    /// Apply allocations without asking (dry-run otherwise).
    pub auto_apply: bool,
    /// Seconds between reads of the slow payout endpoints.
    pub payout_poll_interval: u64,
    /// The node's `config.yaml`, for the allocated-disk knob; empty means no disk knob.
    pub config_yaml: String,
    pub nodes: Vec<ExtraNode>,
}

impl Default for StorjConfig {
    fn default() -> Self {
        StorjConfig {
            enabled: false,
            name: "main".to_owned(),
            api_endpoint: "http://127.0.0.1:14002".to_owned(),
            poll_interval: 0,
            auto_apply: false,
            payout_poll_interval: 3600,
            config_yaml: String::new(),
            nodes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GolemConfig {
    pub enabled: bool,
    pub name: String,
    /// The yagna REST API. The app key comes from the keyring or `ORCHA_GOLEM_APP_KEY`.
    pub api_endpoint: String,
    pub poll_interval: u64,
    pub auto_apply: bool,
    /// Path of the `ya-provider` executable; empty means look it up on PATH.
    pub ya_provider: String,
    /// Allow profile changes while activities run (they are lost).
    pub allow_interrupt: bool,
    pub nodes: Vec<ExtraNode>,
}

impl Default for GolemConfig {
    fn default() -> Self {
        GolemConfig {
            enabled: false,
            name: "main".to_owned(),
            api_endpoint: "http://127.0.0.1:7465".to_owned(),
            poll_interval: 0,
            auto_apply: false,
            ya_provider: String::new(),
            allow_interrupt: false,
            nodes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamrConfig {
    pub enabled: bool,
    pub name: String,
    /// The node's `info` plugin.
    pub api_endpoint: String,
    pub poll_interval: u64,
    pub auto_apply: bool,
    /// The Operator contract address (0x…), for on-chain earnings.
    pub operator_address: String,
    /// The Streamr network subgraph (GraphQL).
    pub subgraph_url: String,
    /// Polygon JSON-RPC endpoint.
    pub rpc_url: String,
    /// Below this POL balance (a decimal string) a node wallet is reported as low on gas.
    pub min_pol_balance: String,
    /// Names of the nodes whose bandwidth may be shaped despite the slashing risk.
    pub allow_bandwidth_shaping: Vec<String>,
    /// A file with the node's stdout, for `consoleMetrics` bandwidth reports; empty means none.
    pub console_log: String,
    pub nodes: Vec<ExtraNode>,
}

impl Default for StreamrConfig {
    fn default() -> Self {
        StreamrConfig {
            enabled: false,
            name: "main".to_owned(),
            api_endpoint: "http://127.0.0.1:7171".to_owned(),
            poll_interval: 0,
            auto_apply: false,
            operator_address: String::new(),
            subgraph_url: String::new(),
            rpc_url: String::new(),
            min_pol_balance: "1".to_owned(),
            allow_bandwidth_shaping: Vec::new(),
            console_log: String::new(),
            nodes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrassConfig {
    pub enabled: bool,
    pub name: String,
    /// The Grass dashboard cloud API. The session token comes from the keyring or
    /// `ORCHA_GRASS_TOKEN`.
    pub api_endpoint: String,
    /// Seconds between polls; the cloud API rate-limits, so at least 300.
    pub poll_interval: u64,
    pub auto_apply: bool,
    /// Fiat value the operator assigns to one point, as a decimal string; empty means none.
    pub points_value: String,
    pub nodes: Vec<ExtraNode>,
}

impl Default for GrassConfig {
    fn default() -> Self {
        GrassConfig {
            enabled: false,
            name: "main".to_owned(),
            api_endpoint: "https://api.getgrass.io".to_owned(),
            poll_interval: 300,
            auto_apply: false,
            points_value: String::new(),
            nodes: Vec::new(),
        }
    }
}

/// What the operator grants Orcha to divide between nodes, and the rules for changing it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllocationConfig {
    /// Cores granted to Orcha outright; 0 means the detected cores minus `reserve_cpu_cores`.
    pub grant_cpu_cores: f64,
    /// Memory granted outright, in MiB; 0 means detected memory minus the reserve.
    pub grant_memory_mib: u64,
    /// Disk granted outright (everything the nodes may hold, used space included), in GiB; 0 means
    /// free space of every disk minus the reserve, plus what the nodes already use.
    pub grant_disk_gib: u64,
    /// Logical CPUs kept back for the desktop (the rest of the machine's cores is the budget).
    pub reserve_cpu_cores: f64,
    /// Memory kept back for the desktop, in MiB.
    pub reserve_memory_mib: u64,
    /// Free disk space kept back on every disk, in GiB.
    pub reserve_disk_gib: u64,
    /// The uplink Orcha may hand out, in Mbit/s; 0 means bandwidth is not allocated.
    pub bandwidth_up_mbps: u64,
    /// The downlink, in Mbit/s (recorded in the budget; only egress is shaped).
    pub bandwidth_down_mbps: u64,
    /// Hours a plan's gain is counted over.
    pub horizon_hours: u32,
    /// Fiat a plan must earn on top of its switching cost over the horizon (decimal string, USD).
    pub margin_usd: String,
    /// Fixed fiat cost of changing one node at all (decimal string, USD): the hysteresis step.
    pub change_cost_usd: String,
    /// Seconds a node must run after a restart before Orcha changes it again.
    pub min_dwell_secs: u64,
    /// Let a plan from the Rust fallback optimizer (ML engine down) be applied; otherwise it is
    /// only recommended.
    pub fallback_auto_apply: bool,
    /// Fiat (USD) per token for tokens without a price feed, as decimal strings, e.g.
    /// `{ glm = "0.25" }`. Nodes whose token has no price are held at their allocation.
    pub fiat_per_token: BTreeMap<String, String>,
    /// How each node runs, keyed by node id (`"storj:main"`); absent means `knob-only`.
    pub nodes: BTreeMap<String, NodeEnforcement>,
}

impl Default for AllocationConfig {
    fn default() -> Self {
        AllocationConfig {
            grant_cpu_cores: 0.0,
            grant_memory_mib: 0,
            grant_disk_gib: 0,
            reserve_cpu_cores: 1.0,
            reserve_memory_mib: 2048,
            reserve_disk_gib: 20,
            bandwidth_up_mbps: 0,
            bandwidth_down_mbps: 0,
            horizon_hours: 24,
            margin_usd: "0.05".to_owned(),
            change_cost_usd: "0.01".to_owned(),
            min_dwell_secs: 6 * 3600,
            fallback_auto_apply: false,
            fiat_per_token: BTreeMap::new(),
            nodes: BTreeMap::new(),
        }
    }
}

/// How a node's process runs, which decides the enforcement backend for CPU, memory and egress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunsAs {
    /// Only the protocol's own knobs (Golem profile, Storj allocated disk).
    #[default]
    KnobOnly,
    /// A native process in a cgroup Orcha may write (`cgroup`).
    Native,
    /// A systemd unit (`unit`); limits go through `systemctl set-property`.
    Systemd,
    /// A Docker container (`container`), limited through the Engine API.
    Docker,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeEnforcement {
    pub runs_as: RunsAs,
    /// The node's cgroup, relative to the cgroup root (`native`).
    pub cgroup: String,
    /// The systemd unit (`systemd`), e.g. `storagenode.service`.
    pub unit: String,
    /// Container id or name (`docker`).
    pub container: String,
    /// The Docker Engine socket; empty means `/var/run/docker.sock`.
    pub docker_socket: String,
    /// Network device whose egress carries this node (e.g. the container's veth); empty means
    /// egress is not shaped.
    pub egress_device: String,
    /// The node's listening ports when `egress_device` is shared with other traffic: only IPv4
    /// packets leaving from these ports are shaped. Empty means the device is the node's alone.
    pub egress_ports: Vec<u16>,
    /// Let this node's changes be applied without asking (overrides the protocol's `auto_apply`).
    pub auto_apply: Option<bool>,
}

/// One configured node, flattened out of the per-protocol tables.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeConfig {
    pub id: NodeId,
    pub api_endpoint: String,
    pub poll_interval: Duration,
    pub auto_apply: bool,
}

/// A configuration problem, always naming where it is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("config error in {path} line {line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("config error in {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// Key names that hold credentials, which belong in the keyring and never in a file.
const CREDENTIAL_KEYS: [&str; 8] = [
    "token",
    "app_key",
    "api_key",
    "apikey",
    "password",
    "secret",
    "session_token",
    "private_key",
];

impl Config {
    /// Parses a configuration file's text. `path` is only used in error messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| parse_error(text, path, &e))?;
        config.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })?;
        Ok(config)
    }

    /// Loads the user file when it exists; a missing file means the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::from_toml(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(ConfigError::Read {
                path: path.to_owned(),
                reason: e.to_string(),
            }),
        }
    }

    /// Applies the documented environment overrides (`DATABASE_URL`, `ML_API_URL`).
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        if let Some(db) = env("DATABASE_URL").filter(|v| !v.is_empty()) {
            let path = db
                .strip_prefix("sqlite://")
                .or_else(|| db.strip_prefix("sqlite:"))
                .unwrap_or(&db);
            self.storage.database = path.to_owned();
        }
        if let Some(url) = env("ML_API_URL").filter(|v| !v.is_empty()) {
            self.ml.url = url;
        }
    }

    /// Every enabled node, in protocol order.
    pub fn nodes(&self) -> Vec<NodeConfig> {
        let default_poll = self.orchestrator.poll_interval;
        let mut out = Vec::new();
        for t in self.protocols.tables() {
            if !t.enabled {
                continue;
            }
            let poll = if t.poll_interval == 0 {
                default_poll
            } else {
                t.poll_interval
            };
            let (protocol, poll, auto_apply) =
                (t.protocol, Duration::from_secs(poll), t.auto_apply);
            for (name, endpoint) in t.endpoints() {
                // validate() has already checked every name, so this cannot fail here.
                if let Ok(id) = NodeId::new(protocol, name) {
                    out.push(NodeConfig {
                        id,
                        api_endpoint: endpoint.to_owned(),
                        poll_interval: poll,
                        auto_apply,
                    });
                }
            }
        }
        out
    }

    fn validate(&self) -> Result<(), String> {
        let o = &self.orchestrator;
        for (key, v) in [
            (
                "orchestrator.optimization_interval",
                o.optimization_interval,
            ),
            ("orchestrator.poll_interval", o.poll_interval),
            ("orchestrator.poll_timeout", o.poll_timeout),
            ("ml.request_timeout", self.ml.request_timeout),
        ] {
            if v == 0 {
                return Err(format!("`{key}` must be greater than 0"));
            }
        }
        if o.bind.parse::<std::net::IpAddr>().is_err() {
            return Err(format!(
                "`orchestrator.bind` = {:?} is not an IP address",
                o.bind
            ));
        }
        let a = &self.allocation;
        for (key, v) in [
            ("allocation.reserve_cpu_cores", a.reserve_cpu_cores),
            ("allocation.grant_cpu_cores", a.grant_cpu_cores),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("`{key}` must be a number of cores, 0 or more"));
            }
        }
        if a.horizon_hours == 0 {
            return Err("`allocation.horizon_hours` must be at least 1".to_owned());
        }
        for (key, v) in [
            ("allocation.margin_usd", &a.margin_usd),
            ("allocation.change_cost_usd", &a.change_cost_usd),
        ] {
            if !is_decimal(v) {
                return Err(format!(
                    "`{key}` = {v:?} must be a non-negative decimal string like \"0.05\""
                ));
            }
        }
        for (token, v) in &a.fiat_per_token {
            if !is_decimal(v) {
                return Err(format!("`allocation.fiat_per_token.{token}` = {v:?} must be a non-negative decimal string"));
            }
        }
        for (id, n) in &a.nodes {
            id.parse::<NodeId>()
                .map_err(|e| format!("`allocation.nodes.{id}`: {e}"))?;
            let missing = match n.runs_as {
                RunsAs::Native if n.cgroup.is_empty() => Some("cgroup"),
                RunsAs::Systemd if n.unit.is_empty() => Some("unit"),
                RunsAs::Docker if n.container.is_empty() => Some("container"),
                _ => None,
            };
            if let Some(key) = missing {
                return Err(format!(
                    "`allocation.nodes.\"{id}\"` runs as {:?} and needs `{key}`",
                    n.runs_as
                ));
            }
        }
        self.prices.validate()?;
        if self.storage.retention_raw_days == 0 {
            return Err("`storage.retention_raw_days` must be at least 1".to_owned());
        }
        if self.protocols.grass.enabled && self.protocols.grass.poll_interval < 300 {
            return Err("`protocols.grass.poll_interval` must be at least 300 seconds: the Grass cloud API rate-limits".to_owned());
        }
        if !is_decimal(&self.protocols.streamr.min_pol_balance) {
            return Err(format!(
                "`protocols.streamr.min_pol_balance` = {:?} must be a non-negative decimal string",
                self.protocols.streamr.min_pol_balance
            ));
        }
        for t in self.protocols.tables() {
            let protocol = t.protocol;
            let mut names = std::collections::HashSet::new();
            for (name, endpoint) in t.endpoints() {
                NodeId::new(protocol, name).map_err(|e| format!("`protocols.{protocol}`: {e}"))?;
                if !names.insert(name) {
                    return Err(format!(
                        "`protocols.{protocol}`: node name `{name}` is used twice"
                    ));
                }
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    return Err(format!(
                        "`protocols.{protocol}` node `{name}`: api_endpoint {endpoint:?} must start with http:// or https://"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A plain non-negative decimal (`12`, `0.05`); money in the config is never a float.
fn is_decimal(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Turns a toml error into one line naming the file, the line and the dotted key.
fn parse_error(text: &str, path: &Path, err: &toml::de::Error) -> ConfigError {
    let start = err.span().map(|s| s.start).unwrap_or(0).min(text.len());
    let line = text[..start].matches('\n').count() + 1;
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let leaf = line_text
        .split('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_owned();
    let table = text
        .lines()
        .take(line)
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("[[")
                .and_then(|r| r.strip_suffix("]]"))
                .or_else(|| l.strip_prefix('[').and_then(|r| r.strip_suffix(']')))
        })
        .last()
        .map(|t| t.trim().to_owned());
    let key = match (&table, leaf.is_empty() || leaf.starts_with('[')) {
        (Some(t), false) => format!("{t}.{leaf}"),
        (None, false) => leaf.clone(),
        (Some(t), true) => t.clone(),
        (None, true) => String::new(),
    };
    let mut message = err.message().replace('\n', " ");
    if CREDENTIAL_KEYS.contains(&leaf.to_ascii_lowercase().as_str()) {
        message = format!(
            "`{key}` looks like a credential; credentials are never read from config files, store it with `orcha secret set` or the settings form"
        );
    } else if !key.is_empty() {
        message = format!("key `{key}`: {message}");
    }
    ConfigError::Parse {
        path: path.to_owned(),
        line,
        key,
        message,
    }
}

/// Market prices of the tokens the nodes earn, in the operator's fiat currency. The CoinGecko API
/// key (optional) lives in the keyring as `prices:coingecko/api_key`, never here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PricesConfig {
    /// The operator's fiat currency, a CoinGecko `vs_currency` code (`usd`, `eur`, `chf`, …).
    pub fiat: String,
    /// `coingecko` (market prices, refreshed) or `fixed-only` (no network: only `fixed`).
    pub source: String,
    /// CoinGecko's API base (the pro API is `https://pro-api.coingecko.com/api/v3`).
    pub base_url: String,
    /// Minutes between market refreshes.
    pub refresh_minutes: u64,
    /// Minutes without a successful refresh after which a market price is marked stale.
    pub stale_minutes: u64,
    /// How `fixed` combines with the market: `fallback` (used while there is no fresh market
    /// price) or `override` (always used; the token is not fetched).
    pub fixed_mode: String,
    /// Fiat per whole token, decimal strings, keyed `glm`, `data`, `storj`, `pol`, `grass`, or
    /// `usd` (fiat per US dollar, for Storj's USD earnings when `fiat` is not `usd`).
    pub fixed: BTreeMap<String, String>,
    /// Fiat value the operator assumes for one Grass point (a decimal string); empty falls back
    /// to `protocols.grass.points_value`, and both empty means points are shown as points.
    pub grass_fiat_per_point: String,
}

/// The keys `prices.fixed` accepts.
pub const FIXED_PRICE_KEYS: [&str; 6] = ["glm", "data", "storj", "pol", "grass", "usd"];

impl Default for PricesConfig {
    fn default() -> Self {
        PricesConfig {
            fiat: "usd".to_owned(),
            source: "coingecko".to_owned(),
            base_url: "https://api.coingecko.com/api/v3".to_owned(),
            refresh_minutes: 15,
            stale_minutes: 30,
            fixed_mode: "fallback".to_owned(),
            fixed: BTreeMap::new(),
            grass_fiat_per_point: String::new(),
        }
    }
}

impl PricesConfig {
    fn validate(&self) -> Result<(), String> {
        let fiat_ok = (2..=10).contains(&self.fiat.len())
            && self.fiat.bytes().all(|b| b.is_ascii_lowercase());
        if !fiat_ok {
            return Err(format!(
                "`prices.fiat` = {:?} must be a lower-case currency code like \"usd\" or \"eur\"",
                self.fiat
            ));
        }
        if !["coingecko", "fixed-only"].contains(&self.source.as_str()) {
            return Err(format!(
                "`prices.source` = {:?} must be \"coingecko\" or \"fixed-only\"",
                self.source
            ));
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(format!(
                "`prices.base_url` = {:?} must start with http:// or https://",
                self.base_url
            ));
        }
        if self.refresh_minutes == 0 {
            return Err("`prices.refresh_minutes` must be at least 1".to_owned());
        }
        if self.stale_minutes < self.refresh_minutes {
            return Err(format!(
                "`prices.stale_minutes` ({}) must be at least `prices.refresh_minutes` ({})",
                self.stale_minutes, self.refresh_minutes
            ));
        }
        if !["fallback", "override"].contains(&self.fixed_mode.as_str()) {
            return Err(format!(
                "`prices.fixed_mode` = {:?} must be \"fallback\" or \"override\"",
                self.fixed_mode
            ));
        }
        for (token, v) in &self.fixed {
            if !FIXED_PRICE_KEYS.contains(&token.as_str()) {
                return Err(format!(
                    "`prices.fixed.{token}`: unknown token (expected one of {}; Grass points are `prices.grass_fiat_per_point`)",
                    FIXED_PRICE_KEYS.join(", ")
                ));
            }
            if !is_positive_decimal(v) {
                return Err(format!(
                    "`prices.fixed.{token}` = {v:?} must be a positive decimal string like \"0.25\""
                ));
            }
        }
        if !self.grass_fiat_per_point.is_empty() && !is_positive_decimal(&self.grass_fiat_per_point)
        {
            return Err(format!(
                "`prices.grass_fiat_per_point` = {:?} must be empty or a positive decimal string like \"0.0001\"",
                self.grass_fiat_per_point
            ));
        }
        Ok(())
    }
}

/// A decimal that is more than zero: a price of zero would make earnings look worthless.
fn is_positive_decimal(s: &str) -> bool {
    is_decimal(s) && s.bytes().any(|b| (b'1'..=b'9').contains(&b))
}

/// Alert rules and notification channels. Channel credentials (ntfy token, Discord webhook URL,
/// Telegram bot token, SMTP password, a secret webhook URL) live in the keyring under
/// `alerts:<channel>/<kind>`, never here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Evaluate the alert rules at all.
    pub enabled: bool,
    /// Consecutive failed polls before a node counts as unavailable.
    pub offline_after_failures: u32,
    /// Percent drop of the earnings rate that opens an `earnings_drop` alert.
    pub earnings_drop_percent: f64,
    /// Hours of the current earnings window compared with the same hours of earlier days.
    pub earnings_window_hours: u32,
    /// Earlier days the earnings window is compared with.
    pub earnings_baseline_days: u32,
    /// Percent of the allocated disk in use that opens `disk_high`.
    pub disk_usage_percent: f64,
    /// Memory a node may use before `memory_high`, in MiB; 0 means the rule is off.
    pub memory_limit_mib: u64,
    /// Hours without new Golem earnings while the node offers before `golem_no_agreements`.
    pub golem_idle_hours: u32,
    /// Forecast error (|realized - p50| / p50, percent) that opens `forecast_error`.
    pub forecast_error_percent: f64,
    /// Turn the ML engine's anomaly scores into alerts.
    pub anomalies: bool,
    /// Lowest severity that is notified: `info`, `warning` or `critical`.
    pub notify_min_severity: String,
    /// Seconds before the same rule on the same node notifies again after a clear.
    pub notify_min_interval_secs: u64,
    /// Notifications sent per hour at most, over all rules (alerts are still stored).
    pub max_notifications_per_hour: u32,
    /// Seconds one notification may take.
    pub send_timeout_secs: u64,
    /// ntfy topic URL, e.g. `https://ntfy.sh/my-orcha`; empty means off.
    pub ntfy_url: String,
    /// URL that receives every alert as JSON; empty means off (or the keyring `alerts:webhook/url`).
    pub webhook_url: String,
    /// Send to the Discord webhook stored in the keyring as `alerts:discord/url`.
    pub discord: bool,
    /// Telegram chat id; empty means off. The bot token is `alerts:telegram/token`.
    pub telegram_chat_id: String,
    /// Telegram Bot API base URL.
    pub telegram_api_url: String,
    /// SMTP server; empty means no e-mail.
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `starttls`, `tls` or `none` (loopback relays only).
    pub smtp_security: String,
    /// SMTP user; its password is `alerts:smtp/password`. Empty means no authentication.
    pub smtp_username: String,
    pub smtp_from: String,
    /// Recipients, comma-separated.
    pub smtp_to: String,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            enabled: true,
            offline_after_failures: 3,
            earnings_drop_percent: 30.0,
            earnings_window_hours: 3,
            earnings_baseline_days: 3,
            disk_usage_percent: 90.0,
            memory_limit_mib: 0,
            golem_idle_hours: 12,
            forecast_error_percent: 50.0,
            anomalies: true,
            notify_min_severity: "warning".to_owned(),
            notify_min_interval_secs: 3600,
            max_notifications_per_hour: 20,
            send_timeout_secs: 10,
            ntfy_url: String::new(),
            webhook_url: String::new(),
            discord: false,
            telegram_chat_id: String::new(),
            telegram_api_url: "https://api.telegram.org".to_owned(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_security: "starttls".to_owned(),
            smtp_username: String::new(),
            smtp_from: String::new(),
            smtp_to: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("/etc/orcha/config.toml"))
    }

    #[test]
    fn prices_section_is_checked() {
        let c = parse("[prices]\nfiat = \"eur\"\nfixed_mode = \"override\"\nfixed = { glm = \"0.25\", usd = \"0.92\" }\ngrass_fiat_per_point = \"0.0001\"\n").unwrap();
        assert_eq!(c.prices.fiat, "eur");
        assert_eq!(c.prices.fixed["usd"], "0.92");
        assert_eq!(c.prices.refresh_minutes, 15);
        for (text, needle) in [
            ("[prices]\nsource = \"binance\"\n", "prices.source"),
            ("[prices]\nfiat = \"EUR\"\n", "prices.fiat"),
            ("[prices]\nfixed = { doge = \"1\" }\n", "prices.fixed.doge"),
            ("[prices]\nfixed = { glm = \"0\" }\n", "positive"),
            (
                "[prices]\nfixed = { points = \"0.1\" }\n",
                "grass_fiat_per_point",
            ),
            ("[prices]\nstale_minutes = 5\n", "stale_minutes"),
            ("[prices]\nfixed_mode = \"always\"\n", "fixed_mode"),
            ("[prices]\nbase_url = \"ftp://x\"\n", "base_url"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
        let e = parse("[prices]\nrefresh_minute = 5\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("prices.refresh_minute"), "{e}");
        let e = parse("[prices]\napi_key = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("keyring") || e.contains("orcha secret"), "{e}");
    }

    #[test]
    fn committed_defaults_equal_the_built_in_defaults() {
        let parsed = parse(DEFAULT_TOML).expect("config/default.toml must parse");
        assert_eq!(
            parsed,
            Config::default(),
            "config/default.toml and Default impls disagree"
        );
    }

    #[test]
    fn user_file_overrides_only_what_it_sets() {
        let c =
            parse("[orchestrator]\napi_port = 9000\n[protocols.storj]\nenabled = true\n").unwrap();
        assert_eq!(c.orchestrator.api_port, 9000);
        assert_eq!(c.orchestrator.optimization_interval, 900);
        assert_eq!(c.protocols.storj.api_endpoint, "http://127.0.0.1:14002");
        let nodes = c.nodes();
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].id.to_string(), "storj:main");
        assert_eq!(nodes[0].poll_interval, Duration::from_secs(60));
    }

    #[test]
    fn several_nodes_of_one_protocol() {
        let c = parse(
            "[protocols.storj]\nenabled = true\nname = \"disk1\"\n[[protocols.storj.nodes]]\nname = \"disk2\"\napi_endpoint = \"http://127.0.0.1:14003\"\n",
        )
        .unwrap();
        let ids: Vec<String> = c.nodes().iter().map(|n| n.id.to_string()).collect();
        assert_eq!(ids, ["storj:disk1", "storj:disk2"]);
        let dup = parse("[protocols.storj]\nname = \"a\"\n[[protocols.storj.nodes]]\nname = \"a\"\napi_endpoint = \"http://x\"\n");
        assert!(dup.unwrap_err().to_string().contains("used twice"));
    }

    #[test]
    fn unknown_key_names_key_file_and_line() {
        let err = parse("[orchestrator]\napi_port = 1\n\noptimisation_interval = 5\n").unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains('\n'), "one line: {msg}");
        assert!(msg.contains("/etc/orcha/config.toml line 4"), "{msg}");
        assert!(msg.contains("orchestrator.optimisation_interval"), "{msg}");
        assert!(msg.contains("unknown field"), "{msg}");
    }

    #[test]
    fn wrong_type_names_key_and_line() {
        let err =
            parse("# comment\n[orchestrator]\noptimization_interval = \"fifteen\"\n").unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains('\n'), "one line: {msg}");
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("orchestrator.optimization_interval"), "{msg}");
        assert!(msg.contains("invalid type"), "{msg}");
    }

    #[test]
    fn credentials_in_the_file_are_refused_without_echoing_them() {
        let err = parse("[protocols.golem]\napp_key = \"abc123secret\"\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("credential"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
        assert!(
            !msg.contains("abc123secret"),
            "the value must not be echoed: {msg}"
        );
    }

    #[test]
    fn semantic_errors_are_named() {
        assert!(parse("[orchestrator]\npoll_interval = 0\n")
            .unwrap_err()
            .to_string()
            .contains("orchestrator.poll_interval"));
        assert!(parse("[orchestrator]\nbind = \"everywhere\"\n")
            .unwrap_err()
            .to_string()
            .contains("orchestrator.bind"));
        assert!(
            parse("[protocols.golem]\napi_endpoint = \"localhost:7465\"\n")
                .unwrap_err()
                .to_string()
                .contains("http://")
        );
        assert!(
            parse("[protocols.grass]\nenabled = true\npoll_interval = 10\n")
                .unwrap_err()
                .to_string()
                .contains("300")
        );
    }

    #[test]
    fn allocation_keys_are_checked() {
        let c = parse("[allocation]\nfiat_per_token = { glm = \"0.25\" }\n[allocation.nodes.\"golem:main\"]\nruns_as = \"docker\"\ncontainer = \"golem\"\n").unwrap();
        assert_eq!(c.allocation.nodes["golem:main"].runs_as, RunsAs::Docker);
        assert_eq!(c.allocation.fiat_per_token["glm"], "0.25");
        let e = parse("[allocation.nodes.\"golem:main\"]\nruns_as = \"native\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cgroup"), "{e}");
        let e = parse("[allocation]\nmargin_usd = \"1e3\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("allocation.margin_usd"), "{e}");
        let e = parse("[allocation.nodes.\"nope\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("allocation.nodes.nope"), "{e}");
    }

    #[test]
    fn environment_overrides() {
        let mut c = Config::default();
        c.apply_env(|k| match k {
            "DATABASE_URL" => Some("sqlite:///tmp/x.db".to_owned()),
            "ML_API_URL" => Some("http://127.0.0.1:9".to_owned()),
            _ => None,
        });
        assert_eq!(c.storage.database, "/tmp/x.db");
        assert_eq!(c.ml.url, "http://127.0.0.1:9");
    }
}
