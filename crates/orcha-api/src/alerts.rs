//! Alerts: rules evaluated after every poll and cycle, opened once per incident, cleared on
//! recovery, stored in SQLite and published as events.
//!
//! The rules and notification channels are being built (issue "Observability and alerts"); this
//! module is where the orchestrator hands them each poll and cycle outcome.

use std::sync::Arc;

use crate::orchestrator::PollOutcome;
use crate::state::{AppState, NodeRuntime};

/// Called by the orchestrator after every poll of a node.
// Hooks share the async shape the alert rules need (they write to the store).
#[allow(clippy::unused_async)]
pub async fn after_poll(_state: &AppState, _node: &NodeRuntime, _outcome: &PollOutcome) {}

/// Called after every optimization cycle.
#[allow(clippy::unused_async)]
pub async fn after_cycle(_state: &Arc<AppState>, _cycle: i64) {}
