//! The operator's money (#20): payout events as the nodes recorded them, and export files.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::MoneyDto;

/// `GET /api/v1/payouts?from=…&to=…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PayoutsQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// One payout, hold-back or release from a node's own record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PayoutDto {
    pub node: String,
    pub protocol: String,
    /// `payout`, `held` or `released`.
    pub kind: String,
    pub amount: MoneyDto,
    pub at: DateTime<Utc>,
    /// The transaction hash, receipt or paystub period, when the node gives one.
    pub reference: Option<String>,
    /// Where the figure comes from, as a sentence.
    pub detail: String,
    pub detected_at: DateTime<Utc>,
}

/// A node whose payout record could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PayoutGapDto {
    pub node: String,
    pub reason: String,
}

/// What one read of every node's payout record added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PayoutScanDto {
    pub added: Vec<PayoutDto>,
    /// Past earned periods (paystubs, daily buckets) stored for the first time.
    pub periods_added: u32,
    /// What a node could not provide (payouts or history), and why.
    pub gaps: Vec<PayoutGapDto>,
}

/// `GET /api/v1/export?from=YYYY-MM-DD&to=YYYY-MM-DD&format=csv|json|koinly`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ExportQuery {
    /// First day (UTC), included.
    pub from: String,
    /// Last day (UTC), included.
    pub to: String,
    /// `csv`, `json` or `koinly`.
    pub format: String,
}

/// An export file's name, media type and text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ExportFileDto {
    pub file_name: String,
    pub media_type: String,
    pub content: String,
    pub rows: u32,
}

/// `GET /api/v1/earnings/fiat-history?from=…&to=…&bucket=day|week|month`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct FiatHistoryQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `day`, `week` (from Monday, UTC) or `month`.
    pub bucket: String,
}

/// One protocol's earnings in one bucket, valued at the prices of their own days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ProtocolFiatDto {
    pub protocol: String,
    /// Exact decimal in the operator's fiat, summed from each day's rounded value.
    pub fiat: String,
    /// Days of earnings in the bucket that had no price: not in `fiat`, not counted as 0.
    pub unpriced_days: u32,
    /// True when the value rests on the operator's own assumption (Grass points).
    pub assumption: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct FiatBucketDto {
    pub start: DateTime<Utc>,
    pub protocols: Vec<ProtocolFiatDto>,
}

/// Earnings in fiat over time, per protocol, for the stacked history chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct FiatHistoryDto {
    pub fiat: String,
    pub bucket: String,
    pub buckets: Vec<FiatBucketDto>,
}

/// Progress of reading the nodes' money records (payouts and past earnings), one event per node
/// read and one when the scan is finished, so the dashboard can show a bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct MoneyScanEventDto {
    /// The node just read; `None` on the final event.
    pub node: Option<String>,
    /// Nodes read so far, of `total`.
    pub done: u32,
    pub total: u32,
    /// Payouts and past periods stored for the first time so far.
    pub added: u32,
    /// What the node just read could not provide, if anything.
    pub gap: Option<String>,
    pub finished: bool,
}
