//! Streamr subgraph reads: the operator overview, daily buckets, flags, network parameters and index status.

use chrono::{DateTime, Utc};
use orcha_core::{AdapterError, Money, Token};
use serde_json::{json, Value};

use super::model::{
    DailyBucket, Flag, IndexStatus, NetworkParams, OperatorOverview, SlashingEvent, Stake,
};
use super::normalize::{fraction, malformed, opt_secs, secs, sum, wei};
use super::wire::{RawBuckets, RawFlags, RawMeta, RawNetworks, RawOverview};
use super::{data, StreamrAdapter};

const Q_OVERVIEW: &str = "query OperatorOverview($operatorId: ID!) { operator(id: $operatorId) { id owner nodes metadataJsonString contractVersion operatorsCutFraction valueWithoutEarnings totalStakeInSponsorshipsWei dataTokenBalanceWei valueUpdateTimestamp valueUpdateBlockNumber operatorTokenTotalSupplyWei exchangeRate cumulativeProfitsWei cumulativeOperatorsCutWei cumulativeEarningsWei slashingsCount delegatorCount isEligibleToVote latestHeartbeatTimestamp latestHeartbeatMetadata stakes(first: 100) { id amountWei lockedWei minimumStakeWei earningsWei updateTimestamp joinTimestamp sponsorship { id isRunning totalPayoutWeiPerSec totalStakedWei remainingWei projectedInsolvency spotAPY operatorCount minimumStakingPeriodSeconds stream { id } } } slashingEvents(first: 100, orderBy: date, orderDirection: desc) { amount date sponsorship { id } } } }";
const Q_BUCKETS: &str = "query OperatorDailyBuckets($operatorId: String!, $from: BigInt!, $to: BigInt!) { operatorDailyBuckets(first: 1000, orderBy: date, orderDirection: asc, where: { operator: $operatorId, date_gte: $from, date_lt: $to }) { date valueWithoutEarnings totalStakeInSponsorshipsWei dataTokenBalanceWei profitsWei lossesWei operatorsCutWei cumulativeEarningsWei totalDelegatedWei totalUndelegatedWei delegatorCountAtStart delegatorCountChange } }";
const Q_FLAGS: &str = "query FlagsAgainst($operatorId: String!) { flags(where: { target: $operatorId }, orderBy: flaggingTimestamp, orderDirection: desc, first: 50) { id result flaggingTimestamp voteStartTimestamp voteEndTimestamp flagResolutionTimestamp protectionEndTimestamp votesForKick votesAgainstKick reviewerCount targetStakeAtRiskWei metadata flagger { id } sponsorship { id stream { id } } } }";
const Q_NETWORK: &str = "query NetworkParams { networks(first: 1) { id slashingFraction earlyLeaverPenaltyWei minimumStakeWei minimumSelfDelegationFraction maxAllowedEarningsFraction fishermanRewardFraction protocolFeeFraction flagStakeWei flagReviewerRewardWei flaggerRewardWei flagReviewerCount reviewPeriodSeconds votingPeriodSeconds flagProtectionSeconds minimumDelegationSeconds } }";
const Q_META: &str = "query Meta { _meta { block { number timestamp hash } hasIndexingErrors } }";

impl StreamrAdapter {
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
}
