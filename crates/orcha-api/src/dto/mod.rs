//! Data transfer objects: everything that crosses IPC, REST or the WebSocket.
//!
//! These are the only serialized types; TypeScript types are generated from them into
//! `ui/src/bindings.ts` (see `tests/bindings.rs`), so the UI never hand-writes a mirror.

use chrono::{DateTime, Utc};
use orcha_core::event::{CycleStep, DomainEvent, StepOutcome};
use orcha_core::{Capability, EarningsKind, HealthStatus, Knob, Money, ResourceMetrics};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub mod convert;
mod decision;
pub use decision::*;
mod forecast;
pub use forecast::*;
mod money;
pub use money::*;
mod settings;
pub use settings::*;
mod prices;
pub use prices::*;
mod audit;
pub use audit::*;
mod backup;
pub use backup::*;
pub mod curves;
mod usage;
pub use curves::{MarginalValueDto, NodeCurvesDto, ResourceCurveDto, ResponseCurvesDto};
pub use orcha_fleet::dto::*;
pub use usage::{DetectedNodeDto, DetectionDto, MeasuredResourceDto, MeasuredUsageDto};
mod bindings;
pub use bindings::typescript_bindings;

/// The closed set of error codes the UI may branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    NotFound,
    Conflict,
    Unauthorized,
    Unavailable,
    Internal,
}

/// The one error shape of every API operation, on every transport.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema, thiserror::Error,
)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The request field the error is about, when there is one (forms show it next to the field).
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn bad_field(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            code: ErrorCode::BadRequest,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::NotFound, message)
    }

    /// Internal failures are logged in full and reported with their context only.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "Internal API error.");
        ApiError::new(ErrorCode::Internal, err.to_string())
    }
}

/// An exact amount: base units as a string (they exceed JavaScript's safe integers), plus the
/// same amount as a decimal string for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct MoneyDto {
    pub token: String,
    pub base_units: String,
    pub decimals: u8,
    pub decimal: String,
}

impl From<&Money> for MoneyDto {
    fn from(m: &Money) -> Self {
        MoneyDto {
            token: m.token.as_str().to_owned(),
            base_units: m.amount.to_string(),
            decimals: m.decimals,
            decimal: m.to_decimal_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    Healthy,
    Degraded,
    Unreachable,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct HealthDto {
    pub state: HealthState,
    pub reasons: Vec<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

impl HealthDto {
    pub fn from_status(status: &HealthStatus, checked_at: Option<DateTime<Utc>>) -> Self {
        let state = match status {
            HealthStatus::Healthy => HealthState::Healthy,
            HealthStatus::Degraded(_) => HealthState::Degraded,
            HealthStatus::Unreachable(_) => HealthState::Unreachable,
            HealthStatus::Unknown => HealthState::Unknown,
        };
        HealthDto {
            state,
            reasons: status.reasons(),
            checked_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct EarningsFigureDto {
    /// `lifetime`, `current_period_estimate`, `unpaid`, `paid_out`, `held`, `pending`,
    /// `accepted` or `settled`.
    pub kind: String,
    pub amount: MoneyDto,
    pub observed_at: DateTime<Utc>,
}

impl EarningsFigureDto {
    pub fn new(kind: EarningsKind, m: &Money, at: DateTime<Utc>) -> Self {
        EarningsFigureDto {
            kind: kind.as_str().to_owned(),
            amount: m.into(),
            observed_at: at,
        }
    }
}

/// One resource measurement; `value` is never a stand-in for "not measured" (absent instead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct MetricValueDto {
    pub metric: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct CapabilityDto {
    pub resource: String,
    /// `protocol_setting`, `cgroup`, `docker`, `traffic_control` or `none`.
    pub knob: String,
    pub setting: Option<String>,
    pub min: String,
    pub max: String,
    pub step: String,
    pub restart_required: bool,
    #[ts(type = "number")]
    pub restart_downtime_secs: u64,
    pub loses_jobs: bool,
    pub reputation_risk: Option<String>,
    pub preconditions: Vec<String>,
}

impl From<&Capability> for CapabilityDto {
    fn from(c: &Capability) -> Self {
        let (knob, setting) = match &c.knob {
            Knob::ProtocolSetting(s) => ("protocol_setting", Some(s.clone())),
            Knob::Cgroup => ("cgroup", None),
            Knob::Docker => ("docker", None),
            Knob::TrafficControl => ("traffic_control", None),
            Knob::None => ("none", None),
        };
        CapabilityDto {
            resource: c.resource.as_str().to_owned(),
            knob: knob.to_owned(),
            setting,
            // u64 amounts (bytes) exceed JavaScript's safe integers, so they travel as strings.
            min: c.min.to_string(),
            max: c.max.to_string(),
            step: c.step.to_string(),
            restart_required: c.restart_required,
            restart_downtime_secs: c.restart_cost.downtime.as_secs(),
            loses_jobs: c.restart_cost.loses_jobs,
            reputation_risk: c.restart_cost.reputation_risk.clone(),
            preconditions: c.preconditions.clone(),
        }
    }
}

/// The outcome of the newest poll of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PollDto {
    pub at: DateTime<Utc>,
    pub ok: bool,
    /// The `AdapterError` kind when the poll failed.
    pub error_kind: Option<String>,
    pub error: Option<String>,
    pub consecutive_failures: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct NodeDto {
    pub id: String,
    pub protocol: String,
    pub name: String,
    pub endpoint: String,
    pub auto_apply: bool,
    pub version: Option<String>,
    pub health: HealthDto,
    pub last_poll: Option<PollDto>,
    pub earnings: Vec<EarningsFigureDto>,
    pub resources: Vec<MetricValueDto>,
    pub capabilities: Vec<CapabilityDto>,
    /// What the OS measured for the node (`None`: not measured, e.g. in demo mode).
    pub measured: Option<MeasuredUsageDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct MlStatusDto {
    pub available: bool,
    pub url: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct StepDto {
    #[ts(type = "number")]
    pub cycle: i64,
    /// `collect`, `predict`, `optimize`, `evaluate`, `apply` or `monitor`.
    pub step: String,
    /// `done`, `skipped` or `failed`.
    pub status: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct CycleDto {
    #[ts(type = "number")]
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub steps: Vec<StepDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct StatusDto {
    pub version: String,
    /// True when the data comes from the built-in simulator, never from real nodes.
    pub demo: bool,
    pub paused: bool,
    pub ml: MlStatusDto,
    pub nodes_total: u32,
    pub nodes_healthy: u32,
    pub nodes_degraded: u32,
    pub nodes_unreachable: u32,
    pub next_cycle_at: Option<DateTime<Utc>>,
    pub last_cycle: Option<CycleDto>,
    pub now: DateTime<Utc>,
    /// Server-clock seconds per real second: 1 normally, the simulator's speed in the demo (its
    /// clock runs fast), 0 when stepped. `now + elapsed × clock_speed` is the server's now.
    pub clock_speed: f64,
    /// True when saved settings wait for a restart to take effect.
    pub restart_required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PointDto {
    pub ts: DateTime<Utc>,
    pub value: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SeriesDto {
    pub node: String,
    pub metric: String,
    /// `raw`, `minute` or `hour`.
    pub resolution: String,
    pub points: Vec<PointDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SeriesQuery {
    pub node: String,
    pub metric: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct EarningsHistoryQuery {
    pub node: String,
    pub kind: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct EarningsPointDto {
    pub at: DateTime<Utc>,
    pub amount: MoneyDto,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct EarningsHistoryDto {
    pub node: String,
    pub kind: String,
    pub points: Vec<EarningsPointDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct DecisionDto {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number | null")]
    pub cycle: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// `apply`, `recommend` or `skip`.
    pub verdict: String,
    pub reason: String,
    pub proposed_plan: Option<String>,
    pub expected_gain: Option<String>,
    pub switching_cost: Option<String>,
    pub applied_result: Option<Box<AppliedResultDto>>,
    pub rollback: Option<Box<RollbackDto>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AlertDto {
    #[ts(type = "number")]
    pub id: i64,
    pub node: Option<String>,
    pub rule: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    pub message: String,
    pub opened_at: DateTime<Utc>,
    pub cleared_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AlertQuery {
    #[serde(default)]
    pub include_cleared: bool,
}

/// One notification channel: whether it is configured and how its last send went. Never
/// carries a credential or a URL (webhook URLs may embed one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AlertChannelDto {
    /// `ntfy`, `webhook`, `discord`, `telegram` or `email`.
    pub channel: String,
    pub configured: bool,
    pub last_sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

/// The JSON body the generic webhook channel posts for every notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AlertNotificationDto {
    /// `open`, `cleared` or `test`.
    pub state: String,
    #[ts(type = "number | null")]
    pub id: Option<i64>,
    pub rule: String,
    pub severity: String,
    pub node: Option<String>,
    pub message: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SecretStatusDto {
    /// The keyring entry, e.g. `golem:main/app_key`.
    pub key: String,
    /// Whether a value is stored; the value itself never leaves the keyring.
    pub stored: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SetSecretRequest {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PauseRequest {
    pub paused: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SampleEventDto {
    pub node: String,
    pub at: DateTime<Utc>,
    pub values: Vec<MetricValueDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct EarningsEventDto {
    pub node: String,
    pub figures: Vec<EarningsFigureDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct HealthEventDto {
    pub node: String,
    pub health: HealthDto,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PollFailedEventDto {
    pub node: String,
    pub error_kind: String,
    pub message: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AutomationEventDto {
    pub paused: bool,
    pub at: DateTime<Utc>,
}

/// An amount of one resource in base units (millicores, bytes, bytes, bits per second), as a
/// string because bytes exceed JavaScript's safe integers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ResourceAmountDto {
    /// `cpu`, `memory`, `disk` or `bandwidth`.
    pub resource: String,
    pub amount: String,
}

/// One node's allocation: in force, proposed, what survives the policy, and why not the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct NodeAllocationDto {
    pub node: String,
    pub auto_apply: bool,
    pub current: Vec<ResourceAmountDto>,
    pub proposed: Vec<ResourceAmountDto>,
    pub changes: Vec<ResourceAmountDto>,
    pub restart: bool,
    pub reasons: Vec<String>,
    /// Fiat per hour as a decimal string with its currency ("0.120000 USD"); absent when the
    /// node's earnings cannot be valued.
    pub earnings_now_per_hour: Option<String>,
    pub earnings_after_per_hour: Option<String>,
}

/// Current vs proposed allocation of every node, from the newest plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AllocationDto {
    /// The decision holding the newest plan; absent before the first plan.
    #[ts(type = "number | null")]
    pub decision_id: Option<i64>,
    pub created_at: Option<DateTime<Utc>>,
    /// `apply`, `recommend` or `skip`.
    pub verdict: Option<String>,
    pub reason: Option<String>,
    /// `engine`, `fallback` or `operator`.
    pub source: Option<String>,
    pub expected_gain: Option<String>,
    pub switching_cost: Option<String>,
    pub budget: Vec<ResourceAmountDto>,
    pub nodes: Vec<NodeAllocationDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ApprovePlanRequest {
    /// A decision whose verdict is `recommend`.
    #[ts(type = "number")]
    pub decision_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ApplyResultDto {
    /// The decision recording the approval and its result.
    #[ts(type = "number")]
    pub decision_id: i64,
    /// `applied`, `rolled_back` or `refused`.
    pub status: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AutoApplyRequest {
    pub node: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct NodeAmountsDto {
    pub node: String,
    pub amounts: Vec<ResourceAmountDto>,
}

/// An allocation the operator edited, to be valued without applying it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct WhatIfRequest {
    pub nodes: Vec<NodeAmountsDto>,
}

/// What an edited allocation would earn and whether the policy would let it through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct WhatIfDto {
    /// What the policy would say if the operator approved it: `apply` or `skip`.
    pub verdict: String,
    pub reason: String,
    pub horizon_hours: u32,
    pub expected_gain: String,
    pub switching_cost: String,
    pub nodes: Vec<NodeAllocationDto>,
}

/// Every event, with the same name and payload on the WebSocket and as a Tauri event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "event", content = "payload", rename_all = "kebab-case")]
pub enum Event {
    Sample(SampleEventDto),
    Earnings(EarningsEventDto),
    Health(HealthEventDto),
    PollFailed(PollFailedEventDto),
    CycleStep(StepDto),
    MlStatus(MlStatusDto),
    Automation(AutomationEventDto),
    Decision(DecisionDto),
    Alert(AlertDto),
    /// #20: progress of reading the nodes' money records.
    MoneyScan(MoneyScanEventDto),
}

impl Event {
    /// The event name used on both transports (`sample`, `cycle-step`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Event::Sample(_) => "sample",
            Event::Earnings(_) => "earnings",
            Event::Health(_) => "health",
            Event::PollFailed(_) => "poll-failed",
            Event::CycleStep(_) => "cycle-step",
            Event::MlStatus(_) => "ml-status",
            Event::Automation(_) => "automation",
            Event::Decision(_) => "decision",
            Event::Alert(_) => "alert",
            Event::MoneyScan(_) => "money-scan",
        }
    }

    pub fn from_domain(e: &DomainEvent) -> Event {
        match e {
            DomainEvent::Sample { node, metrics } => Event::Sample(SampleEventDto {
                node: node.to_string(),
                at: metrics.observed_at.unwrap_or_default(),
                values: metric_values(metrics),
            }),
            DomainEvent::Earnings { node, earnings } => Event::Earnings(EarningsEventDto {
                node: node.to_string(),
                figures: earnings
                    .figures
                    .iter()
                    .map(|(k, m)| EarningsFigureDto::new(*k, m, earnings.observed_at))
                    .collect(),
            }),
            DomainEvent::Health { node, status, at } => Event::Health(HealthEventDto {
                node: node.to_string(),
                health: HealthDto::from_status(status, Some(*at)),
            }),
            DomainEvent::PollFailed {
                node,
                kind,
                message,
                at,
            } => Event::PollFailed(PollFailedEventDto {
                node: node.to_string(),
                error_kind: (*kind).to_owned(),
                message: message.clone(),
                at: *at,
            }),
            DomainEvent::CycleStep {
                cycle,
                step,
                outcome,
                at,
            } => Event::CycleStep(step_dto(*cycle, *step, outcome, *at)),
            DomainEvent::MlStatus {
                available, detail, ..
            } => Event::MlStatus(MlStatusDto {
                available: *available,
                url: None,
                detail: detail.clone(),
            }),
            DomainEvent::Automation { paused, at } => Event::Automation(AutomationEventDto {
                paused: *paused,
                at: *at,
            }),
        }
    }
}

pub fn metric_values(m: &ResourceMetrics) -> Vec<MetricValueDto> {
    m.measured()
        .into_iter()
        .map(|(metric, value)| MetricValueDto {
            metric: metric.to_owned(),
            value,
        })
        .collect()
}

pub fn step_dto(cycle: i64, step: CycleStep, outcome: &StepOutcome, at: DateTime<Utc>) -> StepDto {
    StepDto {
        cycle,
        step: step.as_str().to_owned(),
        status: outcome.status().to_owned(),
        detail: outcome.detail().to_owned(),
        at,
    }
}
