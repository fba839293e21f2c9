//! Domain events the orchestrator publishes on a broadcast channel.
//!
//! Front doors turn these into DTOs (`orcha_api::dto::Event`) for the WebSocket and Tauri.

use chrono::{DateTime, Utc};

use crate::domain::{EarningsData, HealthStatus, NodeId, ResourceMetrics};

/// The six steps of an optimization cycle, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CycleStep {
    Collect,
    Predict,
    Optimize,
    Evaluate,
    Apply,
    Monitor,
}

impl CycleStep {
    pub const ALL: [CycleStep; 6] = [
        CycleStep::Collect,
        CycleStep::Predict,
        CycleStep::Optimize,
        CycleStep::Evaluate,
        CycleStep::Apply,
        CycleStep::Monitor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CycleStep::Collect => "collect",
            CycleStep::Predict => "predict",
            CycleStep::Optimize => "optimize",
            CycleStep::Evaluate => "evaluate",
            CycleStep::Apply => "apply",
            CycleStep::Monitor => "monitor",
        }
    }
}

/// How a step ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Done(String),
    Skipped(String),
    Failed(String),
}

impl StepOutcome {
    pub fn status(&self) -> &'static str {
        match self {
            StepOutcome::Done(_) => "done",
            StepOutcome::Skipped(_) => "skipped",
            StepOutcome::Failed(_) => "failed",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            StepOutcome::Done(d) | StepOutcome::Skipped(d) | StepOutcome::Failed(d) => d,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum DomainEvent {
    Sample {
        node: NodeId,
        metrics: ResourceMetrics,
    },
    Earnings {
        node: NodeId,
        earnings: EarningsData,
    },
    Health {
        node: NodeId,
        status: HealthStatus,
        at: DateTime<Utc>,
    },
    PollFailed {
        node: NodeId,
        kind: &'static str,
        message: String,
        at: DateTime<Utc>,
    },
    CycleStep {
        cycle: i64,
        step: CycleStep,
        outcome: StepOutcome,
        at: DateTime<Utc>,
    },
    MlStatus {
        available: bool,
        detail: String,
        at: DateTime<Utc>,
    },
    Automation {
        paused: bool,
        at: DateTime<Utc>,
    },
}
