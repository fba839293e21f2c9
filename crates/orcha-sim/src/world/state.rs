//! What each simulated node remembers (Storj days and months, Golem jobs and invoices, Streamr
//! traffic, Grass epochs) and the ledger of what they truly earned; the surfaces serve from here.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::knobs::HardwareProfile;

/// The truth: what each node really earned, in integer nano-dollars (1e-9 USD).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Ledger {
    pub nano_usd_by_node: BTreeMap<String, i64>,
    pub total_nano_usd: i64,
    /// Earnings lost to restarts and interrupted jobs.
    pub switching_loss_nano_usd: i64,
    /// Earnings lost to Streamr slashing (failed inspections while below the resource floor).
    pub streamr_slashed_nano_usd: i64,
    /// Failed Streamr inspections.
    pub streamr_slashings: u64,
    /// Total earnings at the end of every completed cycle.
    pub cycle_totals_nano_usd: Vec<i64>,
    /// Display only: `nano_usd_by_node` in dollars (derived, never accumulated).
    pub usd_by_node: BTreeMap<String, f64>,
    /// Display only: `total_nano_usd` in dollars (derived, never accumulated).
    pub total_usd: f64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct StorjDay {
    pub date: NaiveDate,
    pub at_rest_byte_hours: f64,
    pub egress_usage: f64,
    pub egress_repair: f64,
    pub egress_audit: f64,
    pub ingress_usage: f64,
    pub ingress_repair: f64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct StorjMonth {
    pub year: i32,
    pub month: u32,
    pub storage_cents: f64,
    pub egress_cents: f64,
    pub repair_audit_cents: f64,
    pub egress_bytes: f64,
    pub repair_audit_bytes: f64,
    pub byte_hours: f64,
    pub ingress_bytes: f64,
}

impl StorjMonth {
    pub fn period(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct StorjState {
    pub allocated_bytes: f64,
    /// Data stored for satellites (what Storj pays for); grows with ingress up to the allocation.
    pub used_bytes: f64,
    /// Data a `disk_filling` fault adds: on disk, never paid.
    pub filler_bytes: f64,
    pub online_score: f64,
    pub started_at: DateTime<Utc>,
    pub last_pinged: DateTime<Utc>,
    pub days: Vec<StorjDay>,
    pub months: Vec<StorjMonth>,
    pub restarts: u32,
    pub config_error: Option<String>,
    pub down_until: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Activity {
    pub id: String,
    pub agreement_id: String,
    pub start_minute: u64,
    pub usd: f64,
    pub cpu_sec: f64,
    pub duration_sec: f64,
    pub state: &'static str,
    pub reason: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Agreement {
    pub id: String,
    pub timestamp: DateTime<Utc>,
    pub approved: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub(crate) struct Invoice {
    pub id: String,
    pub agreement_id: String,
    pub activity_ids: Vec<String>,
    pub amount: String,
    pub amount_glm: f64,
    pub created: DateTime<Utc>,
    pub created_minute: u64,
    pub status: &'static str,
}

#[derive(Clone, Debug)]
pub(crate) struct Payment {
    pub id: String,
    pub agreement_id: String,
    pub amount: String,
    pub timestamp: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub(crate) struct GolemState {
    pub profile: HardwareProfile,
    pub config_error: Option<String>,
    pub running: Vec<Activity>,
    pub finished: VecDeque<Activity>,
    pub agreements: Vec<Agreement>,
    pub invoices: Vec<Invoice>,
    pub first_open_invoice: usize,
    pub payments: Vec<Payment>,
    pub created_total: u64,
    pub terminated_total: u64,
    pub lost_total: u64,
    pub received_glm: f64,
    pub last_activity: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct StreamrState {
    pub bytes_sent: f64,
    pub bytes_received: f64,
    pub messages_sent: f64,
    pub messages_received: f64,
    pub messages_propagated: f64,
    pub earnings_data: f64,
    /// DATA lost to slashing.
    pub slashed_data: f64,
    /// Minutes the node was below its resource floor (payouts missed).
    pub missed_minutes: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct GrassEpoch {
    pub index: u64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub points: f64,
    pub uptime_s: f64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct GrassState {
    pub total_uptime_s: f64,
    pub settled_points: f64,
    pub epochs: Vec<GrassEpoch>,
}
