//! Streamr wire types: the subgraph's GraphQL entities and the `info` plugin's JSON as they are.

use serde::Deserialize;
use serde_json::Value;

/// The Graph writes BigInt as strings and Int as numbers; timestamps come as both.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
pub(super) enum NumOrStr {
    N(i64),
    S(String),
}

impl NumOrStr {
    pub(super) fn as_i64(&self) -> Option<i64> {
        match self {
            NumOrStr::N(n) => Some(*n),
            NumOrStr::S(s) => s.trim().parse().ok(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct RawId {
    pub(super) id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawSponsorship {
    pub(super) id: String,
    pub(super) is_running: bool,
    pub(super) remaining_wei: String,
    #[serde(default)]
    pub(super) projected_insolvency: Option<NumOrStr>,
    #[serde(default, rename = "spotAPY")]
    pub(super) spot_apy: Option<String>,
    #[serde(default)]
    pub(super) stream: Option<RawId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawStake {
    pub(super) amount_wei: String,
    pub(super) minimum_stake_wei: String,
    pub(super) earnings_wei: String,
    pub(super) update_timestamp: NumOrStr,
    #[serde(default)]
    pub(super) join_timestamp: Option<NumOrStr>,
    pub(super) sponsorship: RawSponsorship,
}

#[derive(Deserialize)]
pub(super) struct RawSlashing {
    pub(super) amount: String,
    pub(super) date: NumOrStr,
    pub(super) sponsorship: RawId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawOperator {
    pub(super) id: String,
    pub(super) owner: String,
    pub(super) nodes: Vec<String>,
    #[serde(default)]
    pub(super) metadata_json_string: Option<String>,
    pub(super) operators_cut_fraction: String,
    pub(super) value_without_earnings: String,
    pub(super) total_stake_in_sponsorships_wei: String,
    pub(super) data_token_balance_wei: String,
    #[serde(default)]
    pub(super) value_update_timestamp: Option<NumOrStr>,
    pub(super) exchange_rate: String,
    pub(super) cumulative_profits_wei: String,
    pub(super) cumulative_operators_cut_wei: String,
    pub(super) cumulative_earnings_wei: String,
    pub(super) slashings_count: u32,
    pub(super) delegator_count: u32,
    #[serde(default)]
    pub(super) latest_heartbeat_timestamp: Option<NumOrStr>,
    pub(super) stakes: Vec<RawStake>,
    #[serde(default)]
    pub(super) slashing_events: Vec<RawSlashing>,
}

#[derive(Deserialize)]
pub(super) struct RawOverview {
    pub(super) operator: Option<RawOperator>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawBucket {
    pub(super) date: NumOrStr,
    pub(super) value_without_earnings: String,
    pub(super) profits_wei: String,
    pub(super) losses_wei: String,
    pub(super) operators_cut_wei: String,
    pub(super) cumulative_earnings_wei: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawBuckets {
    pub(super) operator_daily_buckets: Vec<RawBucket>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawFlagSponsorship {
    pub(super) id: String,
    #[serde(default)]
    pub(super) stream: Option<RawId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawFlag {
    pub(super) id: String,
    pub(super) result: String,
    pub(super) flagging_timestamp: NumOrStr,
    #[serde(default)]
    pub(super) vote_end_timestamp: Option<NumOrStr>,
    pub(super) target_stake_at_risk_wei: String,
    #[serde(default)]
    pub(super) flagger: Option<RawId>,
    pub(super) sponsorship: RawFlagSponsorship,
}

#[derive(Deserialize)]
pub(super) struct RawFlags {
    pub(super) flags: Vec<RawFlag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawNetwork {
    pub(super) slashing_fraction: String,
    pub(super) early_leaver_penalty_wei: String,
    pub(super) minimum_stake_wei: String,
    pub(super) max_allowed_earnings_fraction: String,
    pub(super) fisherman_reward_fraction: String,
    pub(super) protocol_fee_fraction: String,
    pub(super) flag_stake_wei: String,
    pub(super) flag_reviewer_count: u32,
    pub(super) review_period_seconds: NumOrStr,
    pub(super) voting_period_seconds: NumOrStr,
}

#[derive(Deserialize)]
pub(super) struct RawNetworks {
    pub(super) networks: Vec<RawNetwork>,
}

#[derive(Deserialize)]
pub(super) struct RawBlock {
    pub(super) number: u64,
    #[serde(default)]
    pub(super) timestamp: Option<NumOrStr>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawMetaInner {
    pub(super) block: RawBlock,
    pub(super) has_indexing_errors: bool,
}

#[derive(Deserialize)]
pub(super) struct RawMeta {
    #[serde(rename = "_meta")]
    pub(super) meta: RawMetaInner,
}

#[derive(Deserialize)]
pub(super) struct RawWebsocket {
    pub(super) host: String,
    pub(super) port: u16,
    #[serde(default)]
    pub(super) tls: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawPeerDescriptor {
    #[serde(default)]
    pub(super) node_id: Option<Value>,
    #[serde(default)]
    pub(super) websocket: Option<RawWebsocket>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawTransport {
    pub(super) connection_count: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawControlLayer {
    pub(super) local_peer_descriptor: RawPeerDescriptor,
    pub(super) transport: RawTransport,
    pub(super) neighbor_count: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawStreamPartInfo {
    pub(super) neighbor_count: u64,
    #[serde(default)]
    pub(super) messages_propagated: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct RawStreamPart {
    pub(super) id: String,
    pub(super) info: RawStreamPartInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawContentLayer {
    pub(super) stream_parts: Vec<RawStreamPart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawInfo {
    #[serde(default)]
    pub(super) control_layer: Option<RawControlLayer>,
    #[serde(default)]
    pub(super) content_layer: Option<RawContentLayer>,
}
