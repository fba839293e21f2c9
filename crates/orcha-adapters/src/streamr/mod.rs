//! Streamr 1.0 node adapter: the node's `info` plugin for liveness, the Streamr network subgraph and Polygon JSON-RPC for DATA earnings.
//!
//! What a node exposes is described in `shared/protocols/streamr-grass.md` §1. A plain operator
//! node has no local HTTP port at all; only the `info` plugin (`"info": {}` in the node config,
//! then a restart) opens `GET http://127.0.0.1:7171/info`. Orcha never edits the node config
//! itself: [`enable_info_plugin`] produces the edited text for the operator to review.
//!
//! Money lives on-chain, in DATA-wei (18 decimals), and is read exactly: the subgraph for the
//! collected lifetime figure, history, flags and the live network parameters (slashing fraction,
//! flag stake, earnings limits are governance-set and never hard-coded here), and `eth_call
//! getSponsorshipsAndEarnings()` on the Operator contract for the uncollected earnings. Without
//! an RPC endpoint the uncollected figure falls back to the subgraph's per-stake `earningsWei`,
//! which is only refreshed on on-chain events and therefore an estimate.
//!
//! The node has no CPU, memory, disk or price setting, so the adapter offers no knob; stopping a
//! staked node risks slashing and is never done by Orcha.

mod chain;
mod client;
mod health;
mod knobs;
mod model;
mod normalize;
mod owner;
mod subgraph;
#[cfg(test)]
mod tests;
mod wire;
mod withdrawals;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orcha_core::secret::Sensitive;
use orcha_core::{
    AdapterError, AppliedAllocation, Capability, Clock, EarnedPeriod, EarningsData, EarningsKind,
    HealthStatus, Knob, Money, NodeId, NodeInfo, ProtocolAdapter, ProtocolId, ResourceKind,
    ResourceMetrics, ResourceVector, RestartCost, Token,
};
use serde_json::Value;

use crate::http::JsonClient;

/// The contract calls the adapter makes (alloy `sol!` types), for the ABI conformance test.
pub use self::chain::{
    balanceOfCall, getSponsorshipsAndEarningsCall, metadataCall, valueWithoutEarningsCall,
};
pub use self::knobs::enable_info_plugin;
pub use self::model::{
    ConsoleMetrics, DailyBucket, Flag, IndexStatus, InfoReading, NetworkParams, OnChain,
    OperatorOverview, SlashingEvent, SponsorshipEarnings, Stake, StreamPart, StreamrEarnings,
    WalletBalance,
};
pub use self::normalize::parse_console_metrics;
pub use self::owner::{
    operatorTokenBalanceOfCall, operatorsCutFractionCall, ownerCall, owner_earnings,
    totalSupplyCall, OwnerPosition,
};
pub use crate::process::LocalProcess;

/// The Streamr network subgraph on The Graph's gateway (`@streamr/config` `polygon`
/// `theGraphUrl`, with the API key moved from the path into the `Authorization` header).
pub const DEFAULT_SUBGRAPH_URL: &str =
    "https://gateway.thegraph.com/api/subgraphs/id/EGWFdhhiWypDuz22Uy7b3F69E9MEkyfU9iAQMttkH5Rj";
/// DATA on Polygon (`@streamr/config` `polygon.contracts.DATA`).
pub const DATA_TOKEN: &str = "0x3a9A81d576d83FF21f26f325066054540720fC34";
/// Told to the operator when the info plugin refuses our key.
pub const INFO_KEY_HINT: &str = "the node's apiAuthentication key is missing or wrong: store it with `orcha secret set streamr:<name>/info_key` or set ORCHA_STREAMR_INFO_KEY";
const SUBGRAPH_KEY_HINT: &str = "The Graph refused the API key: create one in Subgraph Studio (thegraph.com/studio, API Keys) and store it with `orcha secret set streamr:<name>/api_key` or ORCHA_STREAMR_API_KEY";
/// What Orcha shows before the operator enables the info plugin; nothing is changed without them.
pub const INFO_PLUGIN_OFFER: &str = "Orcha can only see whether this Streamr node is alive if its `info` plugin is enabled. Add \"info\": {} under \"plugins\" in the node config (~/.streamr/config/default.json, or ~/.streamrDocker/config/default.json for Docker) and restart the node (`docker restart streamr`). A restart of a few minutes is safe (the review period of a flag is an hour); the endpoint is http://127.0.0.1:7171/info, so keep port 7171 bound to localhost or protect it with apiAuthentication.";

/// DATA's supply is 1 billion; a single figure above it is a broken payload.
const ABSURD_WEI: i128 = 1_000_000_000 * 10i128.pow(18);

// ---------------------------------------------------------------------------------------------
// Settings.

/// How one Streamr adapter is set up.
#[derive(Clone)]
pub struct StreamrSettings {
    /// The `info` plugin's base URL (`http://127.0.0.1:7171`); `None` when it is not enabled.
    pub info_endpoint: Option<String>,
    /// The node's `apiAuthentication` key, sent as `Authorization: Bearer`.
    pub info_key: Option<Sensitive<String>>,
    /// The Operator contract, lower-cased (subgraph ids are lower-case addresses).
    pub operator_address: Option<String>,
    pub subgraph_url: String,
    /// The Graph API key, sent as `Authorization: Bearer`.
    pub subgraph_key: Option<Sensitive<String>>,
    /// A Polygon JSON-RPC endpoint; `None` makes the uncollected figure a subgraph estimate.
    pub rpc_url: Option<String>,
    /// Below this POL balance a node wallet is reported as low on gas.
    pub min_pol_balance: Money,
    /// The operator accepted the slashing risk of OS traffic shaping for this node.
    pub allow_bandwidth_shaping: bool,
    pub process: LocalProcess,
    /// A file with the node's stdout, for `consoleMetrics` reports (bandwidth).
    pub console_log: Option<PathBuf>,
    /// The leader node writes the on-chain heartbeat once a day; older than this is reported.
    pub heartbeat_max_age: Duration,
    /// Subgraph data older than this is reported as lagging.
    pub index_max_lag: Duration,
    /// Subgraph answers are reused for this long: on-chain state changes slowly, and The Graph
    /// bills per query (a poll reads up to five).
    pub subgraph_refresh: Duration,
    pub timeout: Duration,
    pub clock: Arc<dyn Clock>,
}

impl StreamrSettings {
    pub fn new(info_endpoint: Option<&str>, clock: Arc<dyn Clock>) -> Self {
        StreamrSettings {
            info_endpoint: info_endpoint.map(str::to_owned),
            info_key: None,
            operator_address: None,
            subgraph_url: DEFAULT_SUBGRAPH_URL.to_owned(),
            subgraph_key: None,
            rpc_url: None,
            min_pol_balance: pol(10i128.pow(18)),
            allow_bandwidth_shaping: false,
            process: LocalProcess::Unchecked,
            console_log: None,
            heartbeat_max_age: Duration::from_secs(25 * 3600),
            index_max_lag: Duration::from_secs(30 * 60),
            subgraph_refresh: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
            clock,
        }
    }
}

fn data(amount: i128) -> Money {
    Money::new(Token::Data, amount, 18)
}

fn pol(amount: i128) -> Money {
    Money::new(Token::Pol, amount, 18)
}

// ---------------------------------------------------------------------------------------------
// The adapter.

pub struct StreamrAdapter {
    node: NodeId,
    settings: StreamrSettings,
    info: Option<JsonClient>,
    subgraph: JsonClient,
    subgraph_shown: String,
    rpc: Option<JsonClient>,
    rpc_shown: String,
    /// Slashings seen at the previous health check, to report new ones once.
    last_slashings: Mutex<Option<u32>>,
    /// GraphQL `data` by operation and variables, with the time it was read.
    subgraph_cache: Mutex<BTreeMap<String, (DateTime<Utc>, Value)>>,
}

#[async_trait]
impl ProtocolAdapter for StreamrAdapter {
    fn protocol_name(&self) -> ProtocolId {
        ProtocolId::Streamr
    }

    fn node_id(&self) -> &NodeId {
        &self.node
    }

    async fn connect(&self) -> Result<NodeInfo, AdapterError> {
        // With the info plugin the node itself answers; without it the Operator in the subgraph
        // is the only thing Orcha can confirm.
        let remote_id = if self.info.is_some() {
            let info = self.info().await?;
            self.settings.operator_address.clone().or(info.node_id)
        } else {
            Some(self.overview().await?.id)
        };
        Ok(NodeInfo {
            // Neither /info nor the subgraph reports the node version (the coordination
            // heartbeat does, but reading it needs a Streamr client).
            version: None,
            remote_id,
        })
    }

    async fn disconnect(&self) -> Result<(), AdapterError> {
        // Plain requests only; and a staked node is never stopped by Orcha.
        Ok(())
    }

    async fn get_current_earnings(&self) -> Result<EarningsData, AdapterError> {
        let e = self.earnings().await?;
        // The owner's money is lifetime/unpaid; the contract's totals (delegators' profits
        // included) are reported under their own kinds and never summed with them.
        let mut figures = Vec::new();
        if let (Some(c), Some(u)) = (e.owner_collected, e.owner_uncollected) {
            let lifetime = c.checked_add(&u).map_err(|err| AdapterError::Malformed {
                endpoint: self.rpc_shown.clone(),
                what: format!("owner's earnings: {err}"),
            })?;
            figures.push((EarningsKind::Lifetime, lifetime));
            figures.push((EarningsKind::Unpaid, u));
        }
        figures.push((EarningsKind::ContractLifetime, e.lifetime));
        figures.push((EarningsKind::ContractUnpaid, e.uncollected));
        Ok(EarningsData {
            observed_at: self.now(),
            figures,
        })
    }

    /// The owner's withdrawals (`Undelegated` events of the owner on the Operator contract).
    async fn payouts(&self) -> Result<Vec<orcha_core::PayoutEvent>, AdapterError> {
        self.owner_withdrawals().await
    }

    async fn earnings_history(&self) -> Result<Vec<EarnedPeriod>, AdapterError> {
        let now = self.now();
        self.owner_daily_history(now - chrono::Duration::days(1000), now)
            .await
    }

    async fn get_resource_usage(&self) -> Result<ResourceMetrics, AdapterError> {
        // Bandwidth only from consoleMetrics (bytes/s averaged over its interval); the node
        // reports no CPU, memory or disk figure, so those stay unmeasured.
        let m = self.console_metrics().await;
        Ok(ResourceMetrics {
            observed_at: Some(self.now()),
            bandwidth_up_bps: m.as_ref().map(|m| m.send_bytes_per_second * 8.0),
            bandwidth_down_bps: m.as_ref().map(|m| m.receive_bytes_per_second * 8.0),
            ..Default::default()
        })
    }

    async fn apply_allocation(
        &self,
        allocation: &ResourceVector,
    ) -> Result<AppliedAllocation, AdapterError> {
        if allocation.bandwidth_bps != 0 {
            let what = if self.settings.allow_bandwidth_shaping {
                format!("{}: the operator allowed bandwidth shaping for this node, but Orcha has no traffic shaper; shaping at the OS level remains at the operator's own risk of failed inspections and slashing", self.node)
            } else {
                format!("{}: refused: shaping the bandwidth of a staked Streamr node can make it fail other operators' inspections, get it flagged and the operator slashed; bandwidth follows the sponsorships the operator stakes in", self.node)
            };
            return Err(AdapterError::Unsupported { what });
        }
        for (v, r) in [
            (allocation.cpu_millicores, "CPU"),
            (allocation.mem_bytes, "memory"),
            (allocation.disk_bytes, "disk"),
        ] {
            if v != 0 {
                return Err(AdapterError::Unsupported {
                    what: format!("{}: the Streamr node has no {r} setting; an OS-level cap (docker --cpus/--memory) is allowed but Orcha does not apply one to this node", self.node),
                });
            }
        }
        Ok(AppliedAllocation {
            node: self.node.clone(),
            read_back: BTreeMap::new(),
            restarted: false,
        })
    }

    async fn health_check(&self) -> HealthStatus {
        self.health().await
    }

    fn capabilities(&self) -> Vec<Capability> {
        let fixed = |resource: ResourceKind, preconditions: Vec<String>| Capability {
            resource,
            knob: Knob::None,
            min: 0,
            max: 0,
            step: 0,
            restart_required: false,
            restart_cost: RestartCost::default(),
            preconditions,
        };
        let os_cap = "an OS-level cap (docker --cpus / --memory, cgroups) is allowed, but Orcha does not apply one to this node; an out-of-memory crash restarts the node and risks missed inspections".to_owned();
        let never_stop = "Orcha never stops a staked Streamr node: with no other node of the operator online it gets flagged and slashed".to_owned();
        let bandwidth = if self.settings.allow_bandwidth_shaping {
            vec![
                "WARNING: bandwidth shaping was allowed for this node (allow_bandwidth_shaping). A node that relays too slowly fails other operators' inspections, is flagged and the operator slashed".to_owned(),
                "Orcha has no traffic shaper; any shaping is done at the OS level by the operator".to_owned(),
            ]
        } else {
            vec![
                "refused: shaping a staked Streamr node can fail inspections and get the operator slashed; set allow_bandwidth_shaping for this node to accept that risk".to_owned(),
                "bandwidth follows the sponsorships the operator stakes in (changed on-chain in the Streamr Hub), not a node setting".to_owned(),
            ]
        };
        vec![
            fixed(
                ResourceKind::Cpu,
                vec![
                    "the Streamr node has no CPU setting".to_owned(),
                    os_cap.clone(),
                    never_stop.clone(),
                ],
            ),
            fixed(
                ResourceKind::Memory,
                vec![
                    "the Streamr node has no memory setting".to_owned(),
                    os_cap,
                    never_stop,
                ],
            ),
            fixed(
                ResourceKind::Disk,
                vec!["the Streamr node stores almost nothing and has no disk setting".to_owned()],
            ),
            fixed(ResourceKind::Bandwidth, bandwidth),
        ]
    }
}
