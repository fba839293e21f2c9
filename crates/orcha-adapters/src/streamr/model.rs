//! Streamr readings after normalization: operator, stakes, flags, network parameters, on-chain values.

use chrono::{DateTime, Utc};
use orcha_core::Money;
use serde::Serialize;

use crate::probe::ser_money;

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

/// Earnings kept apart the three honest ways: the contract's totals (everyone's money) and the
/// owner's own part of them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StreamrEarnings {
    /// The contract's collected total (delegators' profits + the owner's cut).
    #[serde(serialize_with = "ser_money")]
    pub collected_lifetime: Money,
    /// The contract's uncollected total, before the protocol fee and the split.
    #[serde(serialize_with = "ser_money")]
    pub uncollected: Money,
    /// `rpc` (exact) or `subgraph` (as of the last on-chain event: an estimate).
    pub uncollected_source: String,
    /// The contract's total: collected + uncollected.
    #[serde(serialize_with = "ser_money")]
    pub lifetime: Money,
    /// The owner's own earnings, collected and uncollected (see `owner.rs`); absent without an
    /// RPC endpoint, since the owner's token share is read from the contract.
    #[serde(serialize_with = "ser_opt_money")]
    pub owner_collected: Option<Money>,
    #[serde(serialize_with = "ser_opt_money")]
    pub owner_uncollected: Option<Money>,
    /// Why the owner's figures are absent, when they are.
    pub owner_error: Option<String>,
}

pub(super) fn ser_opt_money<S: serde::Serializer>(
    m: &Option<Money>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => crate::probe::ser_money(m, s),
        None => s.serialize_none(),
    }
}
