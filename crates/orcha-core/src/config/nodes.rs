//! The `[protocols.*]` tables: which nodes of each protocol Orcha watches, and how often.

use std::time::Duration;

use serde::Deserialize;

use super::Config;
use crate::domain::{NodeId, ProtocolId};

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
    /// Plain `http` to this table's own endpoint off loopback is allowed (see `transport`).
    pub allow_insecure_http: bool,
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
            allow_insecure_http: $t.allow_insecure_http,
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
    /// Let this node's credential go over plain `http` off loopback (not recommended).
    #[serde(default)]
    pub allow_insecure_http: bool,
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
    /// Accept plain `http` to `api_endpoint` off loopback (see `config::transport`).
    pub allow_insecure_http: bool,
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
            allow_insecure_http: false,
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
    /// Send the app key over plain `http` to `api_endpoint` off loopback (not recommended).
    pub allow_insecure_http: bool,
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
            allow_insecure_http: false,
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
    /// Send the API key over plain `http` to `api_endpoint` off loopback (not recommended).
    pub allow_insecure_http: bool,
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
            allow_insecure_http: false,
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
    /// Send the session token over plain `http` to `api_endpoint` off loopback (not recommended).
    pub allow_insecure_http: bool,
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
            allow_insecure_http: false,
            nodes: Vec::new(),
        }
    }
}

/// One configured node, flattened out of the per-protocol tables.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeConfig {
    pub id: NodeId,
    pub api_endpoint: String,
    pub poll_interval: Duration,
    pub auto_apply: bool,
}

impl Config {
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
}
