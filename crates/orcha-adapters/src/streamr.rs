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

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use orcha_core::secret::Sensitive;
use orcha_core::{
    AdapterError, AppliedAllocation, Capability, Clock, EarningsData, EarningsKind, HealthStatus,
    Knob, Money, NodeId, NodeInfo, ProtocolAdapter, ProtocolId, ResourceKind, ResourceMetrics,
    ResourceVector, RestartCost, Token,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::http::{Auth, JsonClient};
use crate::probe::{decode, ser_money};

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
/// `getSponsorshipsAndEarnings()`, `valueWithoutEarnings()`, `metadata()`, `balanceOf(address)`.
const SEL_SPONSORSHIPS_AND_EARNINGS: &str = "0x2ebd89d1";
const SEL_VALUE_WITHOUT_EARNINGS: &str = "0xc229918e";
const SEL_METADATA: &str = "0x392f37e9";
const SEL_BALANCE_OF: &str = "0x70a08231";

const Q_OVERVIEW: &str = "query OperatorOverview($operatorId: ID!) { operator(id: $operatorId) { id owner nodes metadataJsonString contractVersion operatorsCutFraction valueWithoutEarnings totalStakeInSponsorshipsWei dataTokenBalanceWei valueUpdateTimestamp valueUpdateBlockNumber operatorTokenTotalSupplyWei exchangeRate cumulativeProfitsWei cumulativeOperatorsCutWei cumulativeEarningsWei slashingsCount delegatorCount isEligibleToVote latestHeartbeatTimestamp latestHeartbeatMetadata stakes(first: 100) { id amountWei lockedWei minimumStakeWei earningsWei updateTimestamp joinTimestamp sponsorship { id isRunning totalPayoutWeiPerSec totalStakedWei remainingWei projectedInsolvency spotAPY operatorCount minimumStakingPeriodSeconds stream { id } } } slashingEvents(first: 100, orderBy: date, orderDirection: desc) { amount date sponsorship { id } } } }";
const Q_BUCKETS: &str = "query OperatorDailyBuckets($operatorId: String!, $from: BigInt!, $to: BigInt!) { operatorDailyBuckets(first: 1000, orderBy: date, orderDirection: asc, where: { operator: $operatorId, date_gte: $from, date_lt: $to }) { date valueWithoutEarnings totalStakeInSponsorshipsWei dataTokenBalanceWei profitsWei lossesWei operatorsCutWei cumulativeEarningsWei totalDelegatedWei totalUndelegatedWei delegatorCountAtStart delegatorCountChange } }";
const Q_FLAGS: &str = "query FlagsAgainst($operatorId: String!) { flags(where: { target: $operatorId }, orderBy: flaggingTimestamp, orderDirection: desc, first: 50) { id result flaggingTimestamp voteStartTimestamp voteEndTimestamp flagResolutionTimestamp protectionEndTimestamp votesForKick votesAgainstKick reviewerCount targetStakeAtRiskWei metadata flagger { id } sponsorship { id stream { id } } } }";
const Q_NETWORK: &str = "query NetworkParams { networks(first: 1) { id slashingFraction earlyLeaverPenaltyWei minimumStakeWei minimumSelfDelegationFraction maxAllowedEarningsFraction fishermanRewardFraction protocolFeeFraction flagStakeWei flagReviewerRewardWei flaggerRewardWei flagReviewerCount reviewPeriodSeconds votingPeriodSeconds flagProtectionSeconds minimumDelegationSeconds } }";
const Q_META: &str = "query Meta { _meta { block { number timestamp hash } hasIndexingErrors } }";

// ---------------------------------------------------------------------------------------------
// The local process.

/// How Orcha sees whether a node's process runs on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalProcess {
    /// Not checked.
    Unchecked,
    /// A process with an argument whose file name is exactly this (`streamr-node`, `grass`),
    /// found in `/proc` (Linux only; containers' processes are visible there too).
    Named(String),
    /// A Docker container, asked with `docker inspect`.
    Container { docker: PathBuf, name: String },
}

impl LocalProcess {
    /// `Some(true)` running, `Some(false)` not running, `None` cannot tell (no `/proc`, no Docker).
    pub async fn is_running(&self, timeout: Duration) -> Option<bool> {
        match self {
            LocalProcess::Unchecked => None,
            LocalProcess::Named(name) => {
                let name = name.clone();
                tokio::task::spawn_blocking(move || proc_has(&name))
                    .await
                    .ok()
                    .flatten()
            }
            LocalProcess::Container { docker, name } => {
                let mut cmd = tokio::process::Command::new(docker);
                cmd.args(["inspect", "-f", "{{.State.Running}}", name])
                    .stdin(std::process::Stdio::null())
                    .kill_on_drop(true);
                let out = tokio::time::timeout(timeout, cmd.output())
                    .await
                    .ok()?
                    .ok()?;
                if out.status.success() {
                    Some(String::from_utf8_lossy(&out.stdout).trim() == "true")
                } else if String::from_utf8_lossy(&out.stderr).contains("No such") {
                    Some(false)
                } else {
                    None
                }
            }
        }
    }

    /// How the process is named in health reasons.
    pub fn describe(&self) -> String {
        match self {
            LocalProcess::Unchecked => "the node process".to_owned(),
            LocalProcess::Named(n) => format!("no `{n}` process"),
            LocalProcess::Container { name, .. } => format!("the Docker container `{name}`"),
        }
    }
}

fn proc_has(name: &str) -> Option<bool> {
    let dir = std::fs::read_dir("/proc").ok()?;
    for entry in dir.flatten() {
        let file_name = entry.file_name();
        if !file_name
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let hit = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .any(|arg| {
                let arg = String::from_utf8_lossy(arg);
                arg.rsplit('/').next() == Some(name)
            });
        if hit {
            return Some(true);
        }
    }
    Some(false)
}

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
// Raw payloads.

/// The Graph writes BigInt as strings and Int as numbers; timestamps come as both.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
enum NumOrStr {
    N(i64),
    S(String),
}

impl NumOrStr {
    fn as_i64(&self) -> Option<i64> {
        match self {
            NumOrStr::N(n) => Some(*n),
            NumOrStr::S(s) => s.trim().parse().ok(),
        }
    }
}

#[derive(Deserialize)]
struct RawId {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSponsorship {
    id: String,
    is_running: bool,
    remaining_wei: String,
    #[serde(default)]
    projected_insolvency: Option<NumOrStr>,
    #[serde(default, rename = "spotAPY")]
    spot_apy: Option<String>,
    #[serde(default)]
    stream: Option<RawId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStake {
    amount_wei: String,
    minimum_stake_wei: String,
    earnings_wei: String,
    update_timestamp: NumOrStr,
    #[serde(default)]
    join_timestamp: Option<NumOrStr>,
    sponsorship: RawSponsorship,
}

#[derive(Deserialize)]
struct RawSlashing {
    amount: String,
    date: NumOrStr,
    sponsorship: RawId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOperator {
    id: String,
    owner: String,
    nodes: Vec<String>,
    #[serde(default)]
    metadata_json_string: Option<String>,
    operators_cut_fraction: String,
    value_without_earnings: String,
    total_stake_in_sponsorships_wei: String,
    data_token_balance_wei: String,
    #[serde(default)]
    value_update_timestamp: Option<NumOrStr>,
    exchange_rate: String,
    cumulative_profits_wei: String,
    cumulative_operators_cut_wei: String,
    cumulative_earnings_wei: String,
    slashings_count: u32,
    delegator_count: u32,
    #[serde(default)]
    latest_heartbeat_timestamp: Option<NumOrStr>,
    stakes: Vec<RawStake>,
    #[serde(default)]
    slashing_events: Vec<RawSlashing>,
}

#[derive(Deserialize)]
struct RawOverview {
    operator: Option<RawOperator>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBucket {
    date: NumOrStr,
    value_without_earnings: String,
    profits_wei: String,
    losses_wei: String,
    operators_cut_wei: String,
    cumulative_earnings_wei: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBuckets {
    operator_daily_buckets: Vec<RawBucket>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFlagSponsorship {
    id: String,
    #[serde(default)]
    stream: Option<RawId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFlag {
    id: String,
    result: String,
    flagging_timestamp: NumOrStr,
    #[serde(default)]
    vote_end_timestamp: Option<NumOrStr>,
    target_stake_at_risk_wei: String,
    #[serde(default)]
    flagger: Option<RawId>,
    sponsorship: RawFlagSponsorship,
}

#[derive(Deserialize)]
struct RawFlags {
    flags: Vec<RawFlag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNetwork {
    slashing_fraction: String,
    early_leaver_penalty_wei: String,
    minimum_stake_wei: String,
    max_allowed_earnings_fraction: String,
    fisherman_reward_fraction: String,
    protocol_fee_fraction: String,
    flag_stake_wei: String,
    flag_reviewer_count: u32,
    review_period_seconds: NumOrStr,
    voting_period_seconds: NumOrStr,
}

#[derive(Deserialize)]
struct RawNetworks {
    networks: Vec<RawNetwork>,
}

#[derive(Deserialize)]
struct RawBlock {
    number: u64,
    #[serde(default)]
    timestamp: Option<NumOrStr>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetaInner {
    block: RawBlock,
    has_indexing_errors: bool,
}

#[derive(Deserialize)]
struct RawMeta {
    #[serde(rename = "_meta")]
    meta: RawMetaInner,
}

#[derive(Deserialize)]
struct RawWebsocket {
    host: String,
    port: u16,
    #[serde(default)]
    tls: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPeerDescriptor {
    #[serde(default)]
    node_id: Option<Value>,
    #[serde(default)]
    websocket: Option<RawWebsocket>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTransport {
    connection_count: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawControlLayer {
    local_peer_descriptor: RawPeerDescriptor,
    transport: RawTransport,
    neighbor_count: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStreamPartInfo {
    neighbor_count: u64,
    #[serde(default)]
    messages_propagated: Option<u64>,
}

#[derive(Deserialize)]
struct RawStreamPart {
    id: String,
    info: RawStreamPartInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawContentLayer {
    stream_parts: Vec<RawStreamPart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawInfo {
    #[serde(default)]
    control_layer: Option<RawControlLayer>,
    #[serde(default)]
    content_layer: Option<RawContentLayer>,
}

// ---------------------------------------------------------------------------------------------
// Normalized readings.

/// One stake of the operator in a sponsorship.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stake {
    pub sponsorship: String,
    pub stream: Option<String>,
    #[serde(serialize_with = "ser_money")]
    pub amount: Money,
    #[serde(serialize_with = "ser_money")]
    pub minimum_stake: Money,
    /// Uncollected earnings as of `earnings_as_of` (the subgraph refreshes it only on events).
    #[serde(serialize_with = "ser_money")]
    pub earnings: Money,
    pub earnings_as_of: DateTime<Utc>,
    pub joined_at: Option<DateTime<Utc>>,
    pub sponsorship_running: bool,
    #[serde(serialize_with = "ser_money")]
    pub sponsorship_remaining: Money,
    pub projected_insolvency: Option<DateTime<Utc>>,
    /// A fraction per year as the subgraph writes it (`0.066` = 6.6 %), a ranking number only.
    pub spot_apy: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlashingEvent {
    pub sponsorship: String,
    #[serde(serialize_with = "ser_money")]
    pub amount: Money,
    pub date: DateTime<Utc>,
}

/// The subgraph's `Operator` entity, in DATA-wei.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperatorOverview {
    pub id: String,
    pub owner: String,
    pub nodes: Vec<String>,
    pub name: Option<String>,
    pub redundancy_factor: Option<u64>,
    /// The owner's cut of every withdrawal, as a fraction (`0.1` = 10 %).
    pub operators_cut_fraction: String,
    pub exchange_rate: String,
    #[serde(serialize_with = "ser_money")]
    pub value_without_earnings: Money,
    #[serde(serialize_with = "ser_money")]
    pub total_stake: Money,
    #[serde(serialize_with = "ser_money")]
    pub data_balance: Money,
    /// Collected into the operator over its lifetime (delegators' profits + the owner's cut).
    #[serde(serialize_with = "ser_money")]
    pub cumulative_earnings: Money,
    #[serde(serialize_with = "ser_money")]
    pub cumulative_profits: Money,
    #[serde(serialize_with = "ser_money")]
    pub cumulative_operators_cut: Money,
    /// Sum of the stakes' `earnings`: an estimate of the uncollected earnings.
    #[serde(serialize_with = "ser_money")]
    pub uncollected_estimate: Money,
    pub slashings_count: u32,
    pub delegator_count: u32,
    pub value_updated_at: Option<DateTime<Utc>>,
    /// The on-chain heartbeat, written by the leader node once a day (not a live signal).
    pub latest_heartbeat_at: Option<DateTime<Utc>>,
    pub stakes: Vec<Stake>,
    pub slashing_events: Vec<SlashingEvent>,
}

/// One UTC day of the operator's history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DailyBucket {
    pub date: DateTime<Utc>,
    #[serde(serialize_with = "ser_money")]
    pub value_without_earnings: Money,
    #[serde(serialize_with = "ser_money")]
    pub profits: Money,
    #[serde(serialize_with = "ser_money")]
    pub losses: Money,
    #[serde(serialize_with = "ser_money")]
    pub operators_cut: Money,
    #[serde(serialize_with = "ser_money")]
    pub cumulative_earnings: Money,
}

/// A flag another operator raised against this one after a failed inspection.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Flag {
    pub id: String,
    /// `waiting`, `voting`, `kicked` or `failed`.
    pub result: String,
    /// Still undecided (`waiting` or `voting`).
    pub open: bool,
    pub sponsorship: String,
    pub stream: Option<String>,
    pub flagger: Option<String>,
    pub flagged_at: DateTime<Utc>,
    pub vote_ends_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_money")]
    pub stake_at_risk: Money,
}

/// The network's live economic parameters (governance-set; read, never assumed).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetworkParams {
    pub slashing_fraction: String,
    pub max_allowed_earnings_fraction: String,
    pub fisherman_reward_fraction: String,
    pub protocol_fee_fraction: String,
    #[serde(serialize_with = "ser_money")]
    pub minimum_stake: Money,
    #[serde(serialize_with = "ser_money")]
    pub early_leaver_penalty: Money,
    #[serde(serialize_with = "ser_money")]
    pub flag_stake: Money,
    pub flag_reviewer_count: u32,
    pub review_period_seconds: i64,
    pub voting_period_seconds: i64,
}

/// How far the subgraph is behind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndexStatus {
    pub block_number: u64,
    pub block_at: Option<DateTime<Utc>>,
    pub has_indexing_errors: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SponsorshipEarnings {
    pub sponsorship: String,
    #[serde(serialize_with = "ser_money")]
    pub earnings: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WalletBalance {
    pub address: String,
    #[serde(serialize_with = "ser_opt_money")]
    pub balance: Option<Money>,
    pub error: Option<String>,
}

/// What the Operator contract says right now (no indexer lag).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OnChain {
    pub sponsorships: Vec<SponsorshipEarnings>,
    /// Exact uncollected earnings: the sum over `sponsorships`.
    #[serde(serialize_with = "ser_money")]
    pub uncollected: Money,
    /// Above this, anyone may collect the earnings and keep a fisherman's reward.
    #[serde(serialize_with = "ser_money")]
    pub max_allowed_earnings: Money,
    #[serde(serialize_with = "ser_opt_money")]
    pub value_without_earnings: Option<Money>,
    #[serde(serialize_with = "ser_opt_money")]
    pub data_balance: Option<Money>,
    /// POL of each node wallet (gas for heartbeats, votes and withdrawals).
    pub node_balances: Vec<WalletBalance>,
    pub metadata: Option<String>,
    /// Calls of the batch that failed, by method.
    pub errors: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StreamPart {
    pub id: String,
    pub neighbor_count: u64,
    pub messages_propagated: Option<u64>,
}

/// The node's `GET /info` (`getDiagnosticInfo`). Nodes before v102 answer `{}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InfoReading {
    /// `false` for the empty answer of v101 nodes: alive, but nothing else is known.
    pub diagnostic: bool,
    pub node_id: Option<String>,
    pub websocket: Option<String>,
    pub tls: Option<bool>,
    pub connection_count: Option<u64>,
    pub neighbor_count: Option<u64>,
    pub stream_parts: Vec<StreamPart>,
}

/// One `consoleMetrics` report from the node's log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsoleMetrics {
    /// The log line's time as printed (the node's local time, no zone).
    pub logged_at: Option<String>,
    pub send_bytes_per_second: f64,
    pub receive_bytes_per_second: f64,
    pub send_messages_per_second: Option<f64>,
    pub receive_messages_per_second: Option<f64>,
    pub connection_average_count: Option<f64>,
    pub connection_total_failure_count: Option<f64>,
}

/// Earnings kept apart the three honest ways.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StreamrEarnings {
    #[serde(serialize_with = "ser_money")]
    pub collected_lifetime: Money,
    #[serde(serialize_with = "ser_money")]
    pub uncollected: Money,
    /// `rpc` (exact) or `subgraph` (as of the last on-chain event: an estimate).
    pub uncollected_source: String,
    #[serde(serialize_with = "ser_money")]
    pub lifetime: Money,
}

fn ser_opt_money<S: serde::Serializer>(m: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => crate::probe::ser_money(m, s),
        None => s.serialize_none(),
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding helpers.

fn malformed(endpoint: &str, what: String) -> AdapterError {
    AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what,
    }
}

/// A BigInt decimal string in wei → exact DATA (or POL), refusing absurd or negative values.
fn wei(endpoint: &str, field: &str, s: &str, token: Token) -> Result<Money, AdapterError> {
    let bad = |why: String| malformed(endpoint, format!("field `{field}`: {why}"));
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("`{s}` is not a whole number of wei")));
    }
    let v: i128 = s
        .parse()
        .map_err(|_| bad(format!("`{s}` is out of range")))?;
    if v > ABSURD_WEI {
        return Err(bad(format!("{s} wei is not a plausible amount")));
    }
    Ok(Money::new(token, v, 18))
}

/// A fraction ×1e18 (`100000000000000000`) → `"0.1"`.
fn fraction(endpoint: &str, field: &str, s: &str) -> Result<String, AdapterError> {
    let m = wei(endpoint, field, s, Token::Data)?;
    Ok(trim_decimal(&m.to_decimal_string()))
}

fn trim_decimal(s: &str) -> String {
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        t.to_owned()
    } else {
        s.to_owned()
    }
}

fn secs(endpoint: &str, field: &str, v: &NumOrStr) -> Result<DateTime<Utc>, AdapterError> {
    v.as_i64()
        .and_then(|s| Utc.timestamp_opt(s, 0).single())
        .ok_or_else(|| malformed(endpoint, format!("field `{field}`: not a Unix time")))
}

fn opt_secs(
    endpoint: &str,
    field: &str,
    v: &Option<NumOrStr>,
) -> Result<Option<DateTime<Utc>>, AdapterError> {
    match v {
        // The subgraph writes 0 for "never" (e.g. no heartbeat yet).
        Some(t) if t.as_i64() == Some(0) => Ok(None),
        Some(t) => secs(endpoint, field, t).map(Some),
        None => Ok(None),
    }
}

fn sum(endpoint: &str, field: &str, items: &[Money], zero: Money) -> Result<Money, AdapterError> {
    items.iter().try_fold(zero, |acc, m| {
        acc.checked_add(m)
            .map_err(|e| malformed(endpoint, format!("field `{field}`: {e}")))
    })
}

/// `/info` writes byte arrays as `{"0":170,"1":170,…}`; elsewhere node ids are hex strings.
fn node_id_hex(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim_start_matches("0x").to_ascii_lowercase()),
        Value::Object(o) => {
            let mut bytes: Vec<(usize, u8)> = o
                .iter()
                .map(|(k, v)| Some((k.parse::<usize>().ok()?, u8::try_from(v.as_u64()?).ok()?)))
                .collect::<Option<_>>()?;
            bytes.sort_unstable();
            if bytes.iter().enumerate().any(|(i, (k, _))| i != *k) {
                return None;
            }
            Some(bytes.iter().map(|(_, b)| format!("{b:02x}")).collect())
        }
        Value::Array(a) => a
            .iter()
            .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect::<Option<Vec<u8>>>()
            .map(|b| b.iter().map(|b| format!("{b:02x}")).collect()),
        _ => None,
    }
}

/// 32-byte ABI words of an `eth_call` result.
fn abi_words(endpoint: &str, method: &str, hex: &str) -> Result<Vec<[u8; 32]>, AdapterError> {
    let bad = |why: &str| malformed(endpoint, format!("result of {method}: {why}"));
    let h = hex.strip_prefix("0x").ok_or_else(|| bad("not 0x-hex"))?;
    if h.is_empty() {
        // A call to an address without code returns "0x": the address is not an Operator.
        return Err(bad(
            "empty result (is operator_address an Operator contract?)",
        ));
    }
    if h.len() % 64 != 0 {
        return Err(bad("not a whole number of 32-byte words"));
    }
    let bytes = h.as_bytes();
    let mut words = Vec::with_capacity(h.len() / 64);
    for chunk in bytes.chunks(64) {
        let mut w = [0u8; 32];
        for (i, pair) in chunk.chunks(2).enumerate() {
            let s = std::str::from_utf8(pair).map_err(|_| bad("not hex"))?;
            w[i] = u8::from_str_radix(s, 16).map_err(|_| bad("not hex"))?;
        }
        words.push(w);
    }
    Ok(words)
}

fn word_u128(w: &[u8; 32]) -> Option<u128> {
    if w[..16].iter().any(|b| *b != 0) {
        return None;
    }
    let mut v: u128 = 0;
    for b in &w[16..] {
        v = (v << 8) | u128::from(*b);
    }
    Some(v)
}

fn word_usize(w: &[u8; 32]) -> Option<usize> {
    word_u128(w).and_then(|v| usize::try_from(v).ok())
}

fn word_wei(endpoint: &str, what: &str, w: &[u8; 32], token: Token) -> Result<Money, AdapterError> {
    let v = word_u128(w)
        .and_then(|v| i128::try_from(v).ok())
        .filter(|v| *v <= ABSURD_WEI)
        .ok_or_else(|| malformed(endpoint, format!("{what}: not a plausible amount")))?;
    Ok(Money::new(token, v, 18))
}

/// Decodes `(address[] addresses, uint[] earnings, uint maxAllowedEarnings)`.
fn decode_sponsorships(
    endpoint: &str,
    hex: &str,
) -> Result<(Vec<SponsorshipEarnings>, Money), AdapterError> {
    let m = "getSponsorshipsAndEarnings()";
    let words = abi_words(endpoint, m, hex)?;
    let bad = |why: &str| malformed(endpoint, format!("result of {m}: {why}"));
    if words.len() < 3 {
        return Err(bad("shorter than its head"));
    }
    let max_allowed = word_wei(
        endpoint,
        &format!("{m} maxAllowedEarnings"),
        &words[2],
        Token::Data,
    )?;
    let array = |offset_word: &[u8; 32]| -> Result<&[[u8; 32]], AdapterError> {
        let off = word_usize(offset_word)
            .filter(|o| o % 32 == 0)
            .ok_or_else(|| bad("bad array offset"))?
            / 32;
        let len = words
            .get(off)
            .and_then(word_usize)
            .ok_or_else(|| bad("bad array length"))?;
        words
            .get(off + 1..off + 1 + len)
            .ok_or_else(|| bad("array runs past the end"))
    };
    let addrs = array(&words[0])?;
    let earnings = array(&words[1])?;
    if addrs.len() != earnings.len() {
        return Err(bad("addresses and earnings differ in length"));
    }
    let mut out = Vec::new();
    for (i, (a, e)) in addrs.iter().zip(earnings).enumerate() {
        if a[..12].iter().any(|b| *b != 0) {
            return Err(bad(&format!("addresses[{i}] is not an address")));
        }
        let address = format!(
            "0x{}",
            a[12..]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        out.push(SponsorshipEarnings {
            sponsorship: address,
            earnings: word_wei(endpoint, &format!("{m} earnings[{i}]"), e, Token::Data)?,
        });
    }
    Ok((out, max_allowed))
}

fn decode_string(endpoint: &str, method: &str, hex: &str) -> Result<String, AdapterError> {
    let words = abi_words(endpoint, method, hex)?;
    let bad = |why: &str| malformed(endpoint, format!("result of {method}: {why}"));
    let off = words
        .first()
        .and_then(word_usize)
        .filter(|o| o % 32 == 0)
        .ok_or_else(|| bad("bad string offset"))?
        / 32;
    let len = words
        .get(off)
        .and_then(word_usize)
        .ok_or_else(|| bad("bad string length"))?;
    let bytes: Vec<u8> = words
        .get(off + 1..)
        .unwrap_or_default()
        .iter()
        .flatten()
        .copied()
        .take(len)
        .collect();
    if bytes.len() != len {
        return Err(bad("string runs past the end"));
    }
    String::from_utf8(bytes).map_err(|_| bad("not UTF-8"))
}

/// An `eth_getBalance` quantity (`0x22b1c8c1227a0000`).
fn decode_quantity(endpoint: &str, hex: &str) -> Result<Money, AdapterError> {
    let bad = || {
        malformed(
            endpoint,
            format!("result of eth_getBalance: `{hex}` is not a quantity"),
        )
    };
    let h = hex.strip_prefix("0x").ok_or_else(bad)?;
    let v = u128::from_str_radix(if h.is_empty() { "0" } else { h }, 16).map_err(|_| bad())?;
    let v = i128::try_from(v).map_err(|_| bad())?;
    Ok(pol(v))
}

/// Reads the last `consoleMetrics` report out of the node's log text.
pub fn parse_console_metrics(log: &str) -> Option<ConsoleMetrics> {
    let start = log.rfind("): Report")?;
    let head = &log[..start];
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let logged_at = head[line_start..]
        .split_once('[')
        .and_then(|(_, r)| r.split_once(']'))
        .map(|(t, _)| t.to_owned());
    let block = &log[start..];
    let end = block.find("\n}").map_or(block.len(), |i| i + 2);
    let block = &block[..end];
    let get = |key: &str| -> Option<f64> {
        let pat = format!("{key}:");
        let at = block.find(&pat)? + pat.len();
        let rest = block[at..].trim_start();
        let num: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-' || *c == 'e')
            .collect();
        num.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    Some(ConsoleMetrics {
        logged_at,
        send_bytes_per_second: get("sendBytesPerSecond")?,
        receive_bytes_per_second: get("receiveBytesPerSecond")?,
        send_messages_per_second: get("sendMessagesPerSecond"),
        receive_messages_per_second: get("receiveMessagesPerSecond"),
        connection_average_count: get("connectionAverageCount"),
        connection_total_failure_count: get("connectionTotalFailureCount"),
    })
}

/// Adds `"info": {}` under `plugins` of a node config (JSON text) and returns the new text, for
/// the operator to review, save and restart the node with. Orcha never writes it itself.
/// An existing `info` entry is kept as it is.
pub fn enable_info_plugin(config_json: &str) -> Result<String, String> {
    let mut v: Value = serde_json::from_str(config_json)
        .map_err(|e| format!("the node config is not valid JSON: {e}"))?;
    let root = v
        .as_object_mut()
        .ok_or("the node config is not a JSON object")?;
    let plugins = root
        .entry("plugins")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("`plugins` in the node config is not an object")?;
    plugins.entry("info").or_insert_with(|| json!({}));
    serde_json::to_string_pretty(&v).map_err(|e| e.to_string())
}

/// Shows an endpoint without credentials some providers put in the URL (The Graph's
/// `/api/<key>/subgraphs/…`, RPC providers' `/v2/<key>`): scheme, host and port only, plus the
/// subgraph id when there is one.
fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split('/').next().unwrap_or(rest);
    let host = host.rsplit('@').next().unwrap_or(host);
    let tail = rest
        .find("/subgraphs/")
        .map(|i| &rest[i..])
        .unwrap_or(if rest.contains('/') { "/…" } else { "" });
    if scheme.is_empty() {
        format!("{host}{tail}")
    } else {
        format!("{scheme}://{host}{tail}")
    }
}

/// Replaces the real URL in an error's endpoint with its redacted form.
fn redact_err(e: AdapterError, real: &str, shown: &str) -> AdapterError {
    let fix = |s: String| s.replace(real, shown);
    match e {
        AdapterError::Unreachable { endpoint, reason } => AdapterError::Unreachable {
            endpoint: fix(endpoint),
            reason: fix(reason),
        },
        AdapterError::Unauthorized { endpoint, hint } => AdapterError::Unauthorized {
            endpoint: fix(endpoint),
            hint,
        },
        AdapterError::RateLimited {
            endpoint,
            retry_after,
        } => AdapterError::RateLimited {
            endpoint: fix(endpoint),
            retry_after,
        },
        AdapterError::Malformed { endpoint, what } => AdapterError::Malformed {
            endpoint: fix(endpoint),
            what: fix(what),
        },
        AdapterError::Timeout { endpoint, after } => AdapterError::Timeout {
            endpoint: fix(endpoint),
            after,
        },
        other => other,
    }
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

impl StreamrAdapter {
    pub fn new(node: NodeId, mut settings: StreamrSettings) -> Result<Self, AdapterError> {
        if node.protocol() != ProtocolId::Streamr {
            return Err(AdapterError::Unsupported {
                what: format!("{node} is not a streamr node"),
            });
        }
        settings.operator_address = settings
            .operator_address
            .take()
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty());
        if let Some(a) = &settings.operator_address {
            let ok = a.len() == 42
                && a.starts_with("0x")
                && a[2..].bytes().all(|b| b.is_ascii_hexdigit());
            if !ok {
                return Err(AdapterError::Unsupported {
                    what: format!(
                        "{node}: operator_address `{a}` is not a 0x-prefixed 20-byte address"
                    ),
                });
            }
        }
        let info = match settings.info_endpoint.as_deref().filter(|e| !e.is_empty()) {
            Some(e) => Some(JsonClient::new(
                e,
                settings.timeout,
                settings.info_key.clone().map_or(Auth::None, Auth::Bearer),
                INFO_KEY_HINT,
            )?),
            None => None,
        };
        let subgraph = JsonClient::new(
            &settings.subgraph_url,
            settings.timeout,
            settings
                .subgraph_key
                .clone()
                .map_or(Auth::None, Auth::Bearer),
            SUBGRAPH_KEY_HINT,
        )?;
        let rpc = match settings.rpc_url.as_deref().filter(|e| !e.is_empty()) {
            Some(u) => Some(JsonClient::new(
                u,
                settings.timeout,
                Auth::None,
                "the Polygon RPC endpoint refused the request: check rpc_url",
            )?),
            None => None,
        };
        Ok(StreamrAdapter {
            subgraph_shown: redact_url(subgraph.base()),
            rpc_shown: rpc.as_ref().map_or(String::new(), |r| redact_url(r.base())),
            node,
            info,
            subgraph,
            rpc,
            settings,
            last_slashings: Mutex::new(None),
            subgraph_cache: Mutex::new(BTreeMap::new()),
        })
    }

    fn operator(&self) -> Result<&str, AdapterError> {
        self.settings.operator_address.as_deref().ok_or_else(|| AdapterError::Unsupported {
            what: format!(
                "{}: no Operator contract address; set protocols.streamr.operator_address (shown on your operator page in the Streamr Hub)",
                self.node
            ),
        })
    }

    /// `GET /info` of the node's info plugin.
    pub async fn info(&self) -> Result<InfoReading, AdapterError> {
        let client = self
            .info
            .as_ref()
            .ok_or_else(|| AdapterError::Unsupported {
                what: format!(
                    "{}: the info plugin is not configured. {INFO_PLUGIN_OFFER}",
                    self.node
                ),
            })?;
        let body = client.get_bytes("/info").await?;
        let url = client.url("/info");
        let raw: RawInfo = decode(&url, &body)?;
        let Some(control) = raw.control_layer else {
            return Ok(InfoReading {
                diagnostic: false,
                node_id: None,
                websocket: None,
                tls: None,
                connection_count: None,
                neighbor_count: None,
                stream_parts: Vec::new(),
            });
        };
        let pd = control.local_peer_descriptor;
        let node_id = match &pd.node_id {
            Some(v) => Some(node_id_hex(v).ok_or_else(|| {
                malformed(
                    &url,
                    "field `controlLayer.localPeerDescriptor.nodeId`: not a byte array".to_owned(),
                )
            })?),
            None => None,
        };
        Ok(InfoReading {
            diagnostic: true,
            node_id,
            websocket: pd
                .websocket
                .as_ref()
                .map(|w| format!("{}:{}", w.host, w.port)),
            tls: pd.websocket.as_ref().map(|w| w.tls),
            connection_count: Some(control.transport.connection_count),
            neighbor_count: Some(control.neighbor_count),
            stream_parts: raw
                .content_layer
                .map(|c| c.stream_parts)
                .unwrap_or_default()
                .into_iter()
                .map(|p| StreamPart {
                    id: p.id,
                    neighbor_count: p.info.neighbor_count,
                    messages_propagated: p.info.messages_propagated,
                })
                .collect(),
        })
    }

    /// POSTs one GraphQL operation; an `errors` array is `Malformed` with the server's messages.
    async fn graphql<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        query: &str,
        variables: Value,
    ) -> Result<T, AdapterError> {
        let real = self.subgraph.base().to_owned();
        let endpoint = format!("{} ({op})", self.subgraph_shown);
        let key = format!("{op} {variables}");
        let now = self.now();
        let fresh_for = chrono::Duration::from_std(self.settings.subgraph_refresh)
            .unwrap_or(chrono::Duration::MAX);
        let cached = self
            .subgraph_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .filter(|(at, _)| now - *at < fresh_for)
            .map(|(_, v)| v.clone());
        if let Some(data) = cached {
            return self.typed_data(&endpoint, &data);
        }
        let body = json!({ "operationName": op, "query": query, "variables": variables });
        let answer = self
            .subgraph
            .post_bytes("", &body)
            .await
            .map_err(|e| redact_err(e, &real, &endpoint))?;
        let v: Value = decode(&endpoint, &answer)?;
        if let Some(errors) = v
            .get("errors")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        {
            let msgs: Vec<String> = errors
                .iter()
                .map(|e| {
                    e.get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("(no message)")
                        .to_owned()
                })
                .collect();
            return Err(malformed(
                &endpoint,
                format!("GraphQL errors: {}", msgs.join("; ")),
            ));
        }
        let data = v
            .get("data")
            .filter(|d| !d.is_null())
            .ok_or_else(|| malformed(&endpoint, "no `data` in the answer".to_owned()))?;
        // Only answers that decode are kept, so a broken one is asked for again next time.
        let typed = self.typed_data(&endpoint, data)?;
        if !self.settings.subgraph_refresh.is_zero() {
            self.subgraph_cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, (now, data.clone()));
        }
        Ok(typed)
    }

    fn typed_data<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &str,
        data: &Value,
    ) -> Result<T, AdapterError> {
        let text = serde_json::to_vec(data).map_err(|e| malformed(endpoint, e.to_string()))?;
        decode(endpoint, &text).map_err(|e| match e {
            AdapterError::Malformed { endpoint, what } => AdapterError::Malformed {
                endpoint,
                what: what.replacen("field `", "field `data.", 1),
            },
            other => other,
        })
    }

    /// The subgraph's `Operator` entity with its stakes and slashings.
    pub async fn overview(&self) -> Result<OperatorOverview, AdapterError> {
        let op = self.operator()?;
        let raw: RawOverview = self
            .graphql("OperatorOverview", Q_OVERVIEW, json!({ "operatorId": op }))
            .await?;
        let ep = format!("{} (OperatorOverview)", self.subgraph_shown);
        let o = raw.operator.ok_or_else(|| {
            malformed(
                &ep,
                format!("field `data.operator`: no operator {op} in the subgraph (is operator_address the Operator contract, not a wallet?)"),
            )
        })?;
        let f = |n: &str| format!("data.operator.{n}");
        let mut stakes = Vec::new();
        for (i, s) in o.stakes.iter().enumerate() {
            let g = |n: &str| format!("data.operator.stakes[{i}].{n}");
            stakes.push(Stake {
                sponsorship: s.sponsorship.id.clone(),
                stream: s.sponsorship.stream.as_ref().map(|s| s.id.clone()),
                amount: wei(&ep, &g("amountWei"), &s.amount_wei, Token::Data)?,
                minimum_stake: wei(
                    &ep,
                    &g("minimumStakeWei"),
                    &s.minimum_stake_wei,
                    Token::Data,
                )?,
                earnings: wei(&ep, &g("earningsWei"), &s.earnings_wei, Token::Data)?,
                earnings_as_of: secs(&ep, &g("updateTimestamp"), &s.update_timestamp)?,
                joined_at: opt_secs(&ep, &g("joinTimestamp"), &s.join_timestamp)?,
                sponsorship_running: s.sponsorship.is_running,
                sponsorship_remaining: wei(
                    &ep,
                    &g("sponsorship.remainingWei"),
                    &s.sponsorship.remaining_wei,
                    Token::Data,
                )?,
                projected_insolvency: opt_secs(
                    &ep,
                    &g("sponsorship.projectedInsolvency"),
                    &s.sponsorship.projected_insolvency,
                )?,
                spot_apy: s.sponsorship.spot_apy.clone(),
            });
        }
        let mut slashing_events = Vec::new();
        for (i, s) in o.slashing_events.iter().enumerate() {
            let g = |n: &str| format!("data.operator.slashingEvents[{i}].{n}");
            slashing_events.push(SlashingEvent {
                sponsorship: s.sponsorship.id.clone(),
                amount: wei(&ep, &g("amount"), &s.amount, Token::Data)?,
                date: secs(&ep, &g("date"), &s.date)?,
            });
        }
        let earnings: Vec<Money> = stakes.iter().map(|s| s.earnings).collect();
        // The metadata is free text the owner wrote on the Hub; unreadable metadata is no error.
        let meta: Option<Value> = o
            .metadata_json_string
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok());
        Ok(OperatorOverview {
            uncollected_estimate: sum(&ep, &f("stakes[].earningsWei"), &earnings, data(0))?,
            name: meta
                .as_ref()
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            redundancy_factor: meta
                .as_ref()
                .and_then(|m| m.get("redundancyFactor"))
                .and_then(Value::as_u64),
            operators_cut_fraction: fraction(
                &ep,
                &f("operatorsCutFraction"),
                &o.operators_cut_fraction,
            )?,
            exchange_rate: o.exchange_rate.clone(),
            value_without_earnings: wei(
                &ep,
                &f("valueWithoutEarnings"),
                &o.value_without_earnings,
                Token::Data,
            )?,
            total_stake: wei(
                &ep,
                &f("totalStakeInSponsorshipsWei"),
                &o.total_stake_in_sponsorships_wei,
                Token::Data,
            )?,
            data_balance: wei(
                &ep,
                &f("dataTokenBalanceWei"),
                &o.data_token_balance_wei,
                Token::Data,
            )?,
            cumulative_earnings: wei(
                &ep,
                &f("cumulativeEarningsWei"),
                &o.cumulative_earnings_wei,
                Token::Data,
            )?,
            cumulative_profits: wei(
                &ep,
                &f("cumulativeProfitsWei"),
                &o.cumulative_profits_wei,
                Token::Data,
            )?,
            cumulative_operators_cut: wei(
                &ep,
                &f("cumulativeOperatorsCutWei"),
                &o.cumulative_operators_cut_wei,
                Token::Data,
            )?,
            slashings_count: o.slashings_count,
            delegator_count: o.delegator_count,
            value_updated_at: opt_secs(&ep, &f("valueUpdateTimestamp"), &o.value_update_timestamp)?,
            latest_heartbeat_at: opt_secs(
                &ep,
                &f("latestHeartbeatTimestamp"),
                &o.latest_heartbeat_timestamp,
            )?,
            id: o.id,
            owner: o.owner,
            nodes: o.nodes.iter().map(|n| n.to_ascii_lowercase()).collect(),
            stakes,
            slashing_events,
        })
    }

    /// One bucket per UTC day with `from <= date < to`.
    pub async fn daily_buckets(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DailyBucket>, AdapterError> {
        let op = self.operator()?;
        let raw: RawBuckets = self
            .graphql(
                "OperatorDailyBuckets",
                Q_BUCKETS,
                json!({ "operatorId": op, "from": from.timestamp().to_string(), "to": to.timestamp().to_string() }),
            )
            .await?;
        let ep = format!("{} (OperatorDailyBuckets)", self.subgraph_shown);
        raw.operator_daily_buckets
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let g = |n: &str| format!("data.operatorDailyBuckets[{i}].{n}");
                Ok(DailyBucket {
                    date: secs(&ep, &g("date"), &b.date)?,
                    value_without_earnings: wei(
                        &ep,
                        &g("valueWithoutEarnings"),
                        &b.value_without_earnings,
                        Token::Data,
                    )?,
                    profits: wei(&ep, &g("profitsWei"), &b.profits_wei, Token::Data)?,
                    losses: wei(&ep, &g("lossesWei"), &b.losses_wei, Token::Data)?,
                    operators_cut: wei(
                        &ep,
                        &g("operatorsCutWei"),
                        &b.operators_cut_wei,
                        Token::Data,
                    )?,
                    cumulative_earnings: wei(
                        &ep,
                        &g("cumulativeEarningsWei"),
                        &b.cumulative_earnings_wei,
                        Token::Data,
                    )?,
                })
            })
            .collect()
    }

    /// Flags raised against this operator, newest first.
    pub async fn flags(&self) -> Result<Vec<Flag>, AdapterError> {
        let op = self.operator()?;
        let raw: RawFlags = self
            .graphql("FlagsAgainst", Q_FLAGS, json!({ "operatorId": op }))
            .await?;
        let ep = format!("{} (FlagsAgainst)", self.subgraph_shown);
        raw.flags
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let g = |n: &str| format!("data.flags[{i}].{n}");
                let open = match f.result.as_str() {
                    "waiting" | "voting" => true,
                    "kicked" | "failed" => false,
                    other => {
                        return Err(malformed(
                            &ep,
                            format!("field `{}`: unknown flag result `{other}`", g("result")),
                        ))
                    }
                };
                Ok(Flag {
                    id: f.id.clone(),
                    result: f.result.clone(),
                    open,
                    sponsorship: f.sponsorship.id.clone(),
                    stream: f.sponsorship.stream.as_ref().map(|s| s.id.clone()),
                    flagger: f.flagger.as_ref().map(|s| s.id.clone()),
                    flagged_at: secs(&ep, &g("flaggingTimestamp"), &f.flagging_timestamp)?,
                    vote_ends_at: opt_secs(&ep, &g("voteEndTimestamp"), &f.vote_end_timestamp)?,
                    stake_at_risk: wei(
                        &ep,
                        &g("targetStakeAtRiskWei"),
                        &f.target_stake_at_risk_wei,
                        Token::Data,
                    )?,
                })
            })
            .collect()
    }

    /// The `Network` entity: live slashing fraction, flag stake, earnings limits.
    pub async fn network(&self) -> Result<NetworkParams, AdapterError> {
        let raw: RawNetworks = self.graphql("NetworkParams", Q_NETWORK, json!({})).await?;
        let ep = format!("{} (NetworkParams)", self.subgraph_shown);
        let n = raw
            .networks
            .first()
            .ok_or_else(|| malformed(&ep, "field `data.networks`: empty".to_owned()))?;
        let g = |n: &str| format!("data.networks[0].{n}");
        Ok(NetworkParams {
            slashing_fraction: fraction(&ep, &g("slashingFraction"), &n.slashing_fraction)?,
            max_allowed_earnings_fraction: fraction(
                &ep,
                &g("maxAllowedEarningsFraction"),
                &n.max_allowed_earnings_fraction,
            )?,
            fisherman_reward_fraction: fraction(
                &ep,
                &g("fishermanRewardFraction"),
                &n.fisherman_reward_fraction,
            )?,
            protocol_fee_fraction: fraction(
                &ep,
                &g("protocolFeeFraction"),
                &n.protocol_fee_fraction,
            )?,
            minimum_stake: wei(
                &ep,
                &g("minimumStakeWei"),
                &n.minimum_stake_wei,
                Token::Data,
            )?,
            early_leaver_penalty: wei(
                &ep,
                &g("earlyLeaverPenaltyWei"),
                &n.early_leaver_penalty_wei,
                Token::Data,
            )?,
            flag_stake: wei(&ep, &g("flagStakeWei"), &n.flag_stake_wei, Token::Data)?,
            flag_reviewer_count: n.flag_reviewer_count,
            review_period_seconds: n.review_period_seconds.as_i64().ok_or_else(|| {
                malformed(
                    &ep,
                    format!("field `{}`: not a number", g("reviewPeriodSeconds")),
                )
            })?,
            voting_period_seconds: n.voting_period_seconds.as_i64().ok_or_else(|| {
                malformed(
                    &ep,
                    format!("field `{}`: not a number", g("votingPeriodSeconds")),
                )
            })?,
        })
    }

    /// The subgraph's `_meta`: the last indexed block.
    pub async fn index_status(&self) -> Result<IndexStatus, AdapterError> {
        let raw: RawMeta = self.graphql("Meta", Q_META, json!({})).await?;
        let ep = format!("{} (Meta)", self.subgraph_shown);
        Ok(IndexStatus {
            block_number: raw.meta.block.number,
            block_at: opt_secs(&ep, "data._meta.block.timestamp", &raw.meta.block.timestamp)?,
            has_indexing_errors: raw.meta.has_indexing_errors,
        })
    }

    /// One JSON-RPC batch against the Operator contract, DATA and the node wallets.
    pub async fn on_chain(&self, node_wallets: &[String]) -> Result<OnChain, AdapterError> {
        let op = self.operator()?;
        let rpc = self.rpc.as_ref().ok_or_else(|| AdapterError::Unsupported {
            what: format!(
                "{}: no Polygon RPC endpoint; set protocols.streamr.rpc_url",
                self.node
            ),
        })?;
        let call = |to: &str, data: String| json!([{ "to": to, "data": data }, "latest"]);
        let mut calls: Vec<(&str, Value)> = vec![
            (
                "eth_call",
                call(op, SEL_SPONSORSHIPS_AND_EARNINGS.to_owned()),
            ),
            ("eth_call", call(op, SEL_VALUE_WITHOUT_EARNINGS.to_owned())),
            (
                "eth_call",
                call(DATA_TOKEN, format!("{SEL_BALANCE_OF}{:0>64}", &op[2..])),
            ),
        ];
        for w in node_wallets {
            calls.push(("eth_getBalance", json!([w, "latest"])));
        }
        calls.push(("eth_call", call(op, SEL_METADATA.to_owned())));
        let batch: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (m, p))| json!({ "jsonrpc": "2.0", "id": i + 1, "method": m, "params": p }))
            .collect();
        let real = rpc.base().to_owned();
        let ep = self.rpc_shown.clone();
        let answer = rpc
            .post_bytes("", &Value::Array(batch))
            .await
            .map_err(|e| redact_err(e, &real, &ep))?;
        let v: Value = decode(&ep, &answer)?;
        // A provider that does not take batches answers one error object for the whole request.
        let items = match v {
            Value::Array(items) => items,
            Value::Object(o) if o.contains_key("error") => {
                return Err(malformed(
                    &ep,
                    format!("RPC error for the batch: {}", rpc_error(&o["error"])),
                ));
            }
            _ => {
                return Err(malformed(
                    &ep,
                    "the batch answer is not an array".to_owned(),
                ))
            }
        };
        let mut by_id: BTreeMap<u64, &Value> = BTreeMap::new();
        for item in &items {
            if let Some(id) = item.get("id").and_then(Value::as_u64) {
                by_id.insert(id, item);
            }
        }
        let label = |i: usize| -> String {
            match i {
                0 => "getSponsorshipsAndEarnings()".to_owned(),
                1 => "valueWithoutEarnings()".to_owned(),
                2 => "DATA balanceOf(operator)".to_owned(),
                i if i == calls.len() - 1 => "metadata()".to_owned(),
                i => format!("eth_getBalance({})", node_wallets[i - 3]),
            }
        };
        let result = |i: usize| -> Result<&str, String> {
            let item = by_id
                .get(&(i as u64 + 1))
                .ok_or_else(|| format!("{}: no answer in the batch", label(i)))?;
            if let Some(err) = item.get("error") {
                return Err(format!("{}: RPC error {}", label(i), rpc_error(err)));
            }
            item.get("result")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{}: no `result`", label(i)))
        };
        let mut errors = Vec::new();
        let hex = result(0).map_err(|e| malformed(&ep, e))?;
        let (sponsorships, max_allowed_earnings) = decode_sponsorships(&ep, hex)?;
        let earnings: Vec<Money> = sponsorships.iter().map(|s| s.earnings).collect();
        let uncollected = sum(
            &ep,
            "getSponsorshipsAndEarnings() earnings",
            &earnings,
            data(0),
        )?;
        let mut word = |i: usize| -> Option<Money> {
            let r = result(i).map_err(|e| malformed(&ep, e)).and_then(|hex| {
                let w = abi_words(&ep, &label(i), hex)?;
                let first = w
                    .first()
                    .ok_or_else(|| malformed(&ep, format!("{}: empty", label(i))))?;
                word_wei(&ep, &label(i), first, Token::Data)
            });
            r.map_err(|e| errors.push(e.to_string())).ok()
        };
        let value_without_earnings = word(1);
        let data_balance = word(2);
        let mut node_balances = Vec::new();
        for (k, w) in node_wallets.iter().enumerate() {
            let r = result(3 + k)
                .map_err(|e| malformed(&ep, e))
                .and_then(|hex| decode_quantity(&ep, hex));
            let (balance, error) = match r {
                Ok(b) => (Some(b), None),
                Err(e) => {
                    errors.push(e.to_string());
                    (None, Some(e.to_string()))
                }
            };
            node_balances.push(WalletBalance {
                address: w.clone(),
                balance,
                error,
            });
        }
        let metadata = match result(calls.len() - 1)
            .map_err(|e| malformed(&ep, e))
            .and_then(|hex| decode_string(&ep, "metadata()", hex))
        {
            Ok(m) => Some(m),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        };
        Ok(OnChain {
            sponsorships,
            uncollected,
            max_allowed_earnings,
            value_without_earnings,
            data_balance,
            node_balances,
            metadata,
            errors,
        })
    }

    /// Collected, uncollected and their sum; exact when an RPC endpoint is set.
    pub async fn earnings(&self) -> Result<StreamrEarnings, AdapterError> {
        let o = self.overview().await?;
        let (uncollected, source) = if self.rpc.is_some() {
            (self.on_chain(&[]).await?.uncollected, "rpc")
        } else {
            (o.uncollected_estimate, "subgraph")
        };
        let lifetime = o
            .cumulative_earnings
            .checked_add(&uncollected)
            .map_err(|e| {
                malformed(
                    &self.subgraph_shown,
                    format!("field `cumulativeEarningsWei`: {e}"),
                )
            })?;
        Ok(StreamrEarnings {
            collected_lifetime: o.cumulative_earnings,
            uncollected,
            uncollected_source: source.to_owned(),
            lifetime,
        })
    }

    /// The newest `consoleMetrics` report in the configured log file (its last 256 KiB).
    pub async fn console_metrics(&self) -> Option<ConsoleMetrics> {
        let path = self.settings.console_log.clone()?;
        let text = tokio::time::timeout(self.settings.timeout, async move {
            use tokio::io::{AsyncReadExt, AsyncSeekExt};
            let mut f = tokio::fs::File::open(&path).await.ok()?;
            let len = f.metadata().await.ok()?.len();
            let from = len.saturating_sub(256 * 1024);
            f.seek(std::io::SeekFrom::Start(from)).await.ok()?;
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).await.ok()?;
            Some(String::from_utf8_lossy(&buf).into_owned())
        })
        .await
        .ok()
        .flatten()?;
        parse_console_metrics(&text)
    }

    fn now(&self) -> DateTime<Utc> {
        self.settings.clock.now()
    }
}

fn rpc_error(err: &Value) -> String {
    let code = err.get("code").map_or("?".to_owned(), Value::to_string);
    let msg = err
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("(no message)");
    format!("{code}: {msg}")
}

/// `amount × fraction` for a fraction given as a decimal string, shown in DATA with 2 places.
fn show_data(m: &Money) -> String {
    let s = m.to_decimal_string();
    match s.split_once('.') {
        Some((i, f)) => {
            let f = f.trim_end_matches('0');
            if f.is_empty() {
                format!("{i} DATA")
            } else {
                format!("{i}.{f} DATA")
            }
        }
        None => format!("{s} DATA"),
    }
}

fn percent(fraction: &str) -> String {
    // "0.1" → "10 %": shift the decimal point two places without floats.
    let (i, f) = fraction.split_once('.').unwrap_or((fraction, ""));
    let f2: String = f.chars().chain(std::iter::repeat('0')).take(2).collect();
    let rest = f.get(2..).unwrap_or("").trim_end_matches('0');
    let int = format!("{i}{f2}").trim_start_matches('0').to_owned();
    let int = if int.is_empty() { "0".to_owned() } else { int };
    if rest.is_empty() {
        format!("{int} %")
    } else {
        format!("{int}.{rest} %")
    }
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
        Ok(EarningsData {
            observed_at: self.now(),
            figures: vec![
                (EarningsKind::Lifetime, e.lifetime),
                (EarningsKind::Unpaid, e.uncollected),
            ],
        })
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
        let mut reasons = Vec::new();
        let running = self
            .settings
            .process
            .is_running(self.settings.timeout)
            .await;
        // 1. The node itself.
        let mut info_reading = None;
        if self.info.is_some() {
            match self.info().await {
                Ok(i) => info_reading = Some(i),
                Err(e @ (AdapterError::Unreachable { .. } | AdapterError::Timeout { .. })) => {
                    if running == Some(true) {
                        reasons.push(format!(
                            "the node process runs but its info plugin does not answer: {e}"
                        ));
                    } else {
                        return e.as_health();
                    }
                }
                Err(e) => reasons.push(format!("the node's info plugin: {e}")),
            }
        } else {
            match running {
                Some(false) => {
                    return HealthStatus::Unreachable(format!(
                        "{} is running on this machine",
                        self.settings.process.describe()
                    ))
                }
                Some(true) => {}
                None => reasons.push(format!(
                    "whether the node is up cannot be seen. {INFO_PLUGIN_OFFER}"
                )),
            }
        }
        if let Some(i) = &info_reading {
            if i.connection_count == Some(0) || i.neighbor_count == Some(0) {
                reasons.push("the node has no connections to the Streamr network: check that its P2P port (TCP 32200 by default) is open and forwarded".to_owned());
            }
        }
        if self.settings.operator_address.is_none() {
            reasons.push("protocols.streamr.operator_address is not set: earnings, flags and gas cannot be checked".to_owned());
            return finish(reasons);
        }
        // 2. The operator on-chain, as indexed.
        let network = self.network().await;
        if let Err(e) = &network {
            reasons.push(format!("the network parameters could not be read: {e}"));
        }
        let network = network.ok();
        let overview = match self.overview().await {
            Ok(o) => Some(o),
            Err(e) => {
                reasons.push(format!(
                    "the operator could not be read from the subgraph: {e}"
                ));
                None
            }
        };
        let now = self.now();
        if let Some(o) = &overview {
            let max_age = chrono::Duration::from_std(self.settings.heartbeat_max_age)
                .unwrap_or(chrono::Duration::MAX);
            match o.latest_heartbeat_at {
                Some(t) if now - t > max_age => reasons.push(format!(
                    "no on-chain heartbeat since {}: no node of this operator has acted as leader for over {} h",
                    t.to_rfc3339(),
                    self.settings.heartbeat_max_age.as_secs() / 3600
                )),
                None if !o.stakes.is_empty() => reasons.push("the operator has never written an on-chain heartbeat".to_owned()),
                _ => {}
            }
            for s in &o.stakes {
                let name = s.stream.as_deref().unwrap_or(&s.sponsorship);
                if !s.sponsorship_running {
                    reasons.push(format!(
                        "sponsorship {} ({name}) is not running: the {} staked there earn nothing but can still be slashed",
                        s.sponsorship,
                        show_data(&s.amount)
                    ));
                }
                if s.amount.amount < s.minimum_stake.amount {
                    reasons.push(format!(
                        "the stake in sponsorship {} ({}) is below its minimum of {}: the operator can be kicked out",
                        s.sponsorship,
                        show_data(&s.amount),
                        show_data(&s.minimum_stake)
                    ));
                }
            }
            // With one node, that node must carry every running sponsored stream.
            if let (Some(i), 1) = (&info_reading, o.nodes.len()) {
                if i.diagnostic {
                    for s in o.stakes.iter().filter(|s| s.sponsorship_running) {
                        if let Some(stream) = &s.stream {
                            let joined = i.stream_parts.iter().any(|p| {
                                p.id.split_once('#').map_or(p.id.as_str(), |(id, _)| id) == stream
                            });
                            if !joined {
                                reasons.push(format!("the node has not joined sponsored stream {stream}: it fails inspections there"));
                            }
                        }
                    }
                }
            }
            let mut last = self
                .last_slashings
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let Some(prev) = *last {
                if o.slashings_count > prev {
                    reasons.push(format!(
                        "the operator was slashed {} time(s) since the last check",
                        o.slashings_count - prev
                    ));
                }
            }
            *last = Some(o.slashings_count);
        }
        match self.flags().await {
            Ok(flags) => {
                for f in flags.iter().filter(|f| f.open) {
                    let slash = network
                        .as_ref()
                        .map(|n| {
                            format!(
                                " If the reviewers vote to kick, {} of that stake is slashed.",
                                percent(&n.slashing_fraction)
                            )
                        })
                        .unwrap_or_default();
                    reasons.push(format!(
                        "open flag against the operator in sponsorship {} ({}), {}; {} at risk.{slash} Make sure the node is online and carries that stream",
                        f.sponsorship,
                        f.stream.as_deref().unwrap_or("stream unknown"),
                        f.result,
                        show_data(&f.stake_at_risk)
                    ));
                }
            }
            Err(e) => reasons.push(format!("flags against the operator could not be read: {e}")),
        }
        match self.index_status().await {
            Ok(m) => {
                let lag = chrono::Duration::from_std(self.settings.index_max_lag)
                    .unwrap_or(chrono::Duration::MAX);
                if m.has_indexing_errors {
                    reasons.push(
                        "the subgraph reports indexing errors: its figures may be wrong".to_owned(),
                    );
                }
                if let Some(t) = m.block_at.filter(|t| now - *t > lag) {
                    reasons.push(format!(
                        "the subgraph is behind (last block {}): its figures are stale",
                        t.to_rfc3339()
                    ));
                }
            }
            Err(e) => reasons.push(format!(
                "the subgraph's index status could not be read: {e}"
            )),
        }
        // 3. Exact figures from the chain: uncollected earnings and gas.
        if self.rpc.is_some() {
            let wallets = overview
                .as_ref()
                .map(|o| o.nodes.clone())
                .unwrap_or_default();
            match self.on_chain(&wallets).await {
                Ok(c) => {
                    if c.uncollected.amount > c.max_allowed_earnings.amount {
                        let reward = network
                            .as_ref()
                            .map(|n| {
                                format!(" and keep {} of it", percent(&n.fisherman_reward_fraction))
                            })
                            .unwrap_or_default();
                        reasons.push(format!(
                            "uncollected earnings ({}) exceed the allowed {}: anyone may now collect them{reward}; the leader node is not collecting (gas?)",
                            show_data(&c.uncollected),
                            show_data(&c.max_allowed_earnings)
                        ));
                    }
                    for b in &c.node_balances {
                        match &b.balance {
                            Some(m) if m.amount < self.settings.min_pol_balance.amount => reasons.push(format!(
                                "node wallet {} holds {} POL, below the {} POL threshold: heartbeats, votes and withdrawals need gas",
                                b.address,
                                trim_decimal(&m.to_decimal_string()),
                                trim_decimal(&self.settings.min_pol_balance.to_decimal_string())
                            )),
                            Some(_) => {}
                            None => reasons.push(format!(
                                "the POL balance of node wallet {} could not be read: {}",
                                b.address,
                                b.error.as_deref().unwrap_or("unknown error")
                            )),
                        }
                    }
                }
                Err(e) => reasons.push(format!(
                    "the Operator contract could not be read over RPC: {e}"
                )),
            }
        }
        finish(reasons)
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

fn finish(reasons: Vec<String>) -> HealthStatus {
    if reasons.is_empty() {
        HealthStatus::Healthy
    } else {
        HealthStatus::Degraded(reasons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_decode_exactly() {
        assert_eq!(percent("0.1"), "10 %");
        assert_eq!(percent("0.25"), "25 %");
        assert_eq!(percent("0.005"), "0.5 %");
        assert_eq!(percent("1"), "100 %");
        assert_eq!(trim_decimal("2.500000000000000000"), "2.5");
        assert_eq!(trim_decimal("5.000"), "5");
        assert_eq!(
            redact_url("https://gateway.thegraph.com/api/SECRETKEY/subgraphs/id/EGW"),
            "https://gateway.thegraph.com/subgraphs/id/EGW"
        );
        assert_eq!(
            redact_url("https://polygon-mainnet.g.alchemy.com/v2/SECRETKEY"),
            "https://polygon-mainnet.g.alchemy.com/…"
        );
        assert_eq!(redact_url("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(
            node_id_hex(&json!({"1": 171, "0": 170})).as_deref(),
            Some("aaab")
        );
        assert_eq!(node_id_hex(&json!({"0": 170, "2": 1})), None);
        assert!(decode_quantity("x", "0x22b1c8c1227a0000").is_ok());
        assert!(decode_quantity("x", "22").is_err());
    }

    #[test]
    fn the_info_plugin_is_added_without_touching_the_rest() {
        let cfg = r#"{"client":{"auth":{"privateKey":"K"}},"plugins":{"operator":{"operatorContractAddress":"0x1"}}}"#;
        let out: Value = serde_json::from_str(&enable_info_plugin(cfg).unwrap()).unwrap();
        assert_eq!(out["plugins"]["info"], json!({}));
        assert_eq!(out["plugins"]["operator"]["operatorContractAddress"], "0x1");
        assert_eq!(out["client"]["auth"]["privateKey"], "K");
        let cfg = r#"{"plugins":{"info":{"apiAuthentication":null}}}"#;
        let out: Value = serde_json::from_str(&enable_info_plugin(cfg).unwrap()).unwrap();
        assert_eq!(out["plugins"]["info"], json!({"apiAuthentication": null}));
        assert!(enable_info_plugin("[1]").is_err());
        assert!(enable_info_plugin("{").is_err());
    }
}
