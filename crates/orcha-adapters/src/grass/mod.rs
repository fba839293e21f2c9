//! Grass adapter: points and devices from the dashboard's undocumented cloud API (`https://api.getgrass.io`, raw session token), plus whether the local app runs.
//!
//! What is known about Grass is in `shared/protocols/streamr-grass.md` §2; all of it is
//! reverse-engineered by third parties and unverified against a live account. The node itself
//! (extension or desktop app) exposes nothing locally, so Orcha reads the same API the dashboard
//! uses: `GET /retrieveUser`, `/activeDevices` and `/epochEarnings`, each answering
//! `{"result":{"data":…}}`. The adapter never speaks the node protocol (director check-in and
//! relay WebSocket): that would look like a second node on the account.
//!
//! Points are not money: they are `Token::Points`, converted to fiat only with a value per point
//! the operator sets. `totalPoints` of 0 while an epoch runs means "not settled yet" and is
//! reported as unknown, never as "earned 0". The API is Cloudflare-fronted and rate-limits, so
//! readings are cached between polls and a 429 or an HTML page starts an exponential back-off.

mod client;
mod health;
mod history;
mod model;
mod normalize;
mod wire;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orcha_core::secret::Sensitive;
use orcha_core::{
    AdapterError, AppliedAllocation, Capability, Clock, EarningsData, HealthStatus, Knob, NodeId,
    NodeInfo, ProtocolAdapter, ProtocolId, ResourceKind, ResourceMetrics, ResourceVector,
    RestartCost,
};

use crate::http::JsonClient;
use crate::process::LocalProcess;

pub use self::model::{Device, Epoch, GrassUser, Snapshot};

/// The two domains the dashboard API has answered on; either can be configured, and when one
/// cannot be reached the other is tried.
pub const KNOWN_ENDPOINTS: [&str; 2] = ["https://api.getgrass.io", "https://api.grass.io"];
/// Told to the operator whenever the API refuses the token (or none is stored).
pub const TOKEN_HINT: &str = "the Grass session token is missing or expired: log in at https://app.grass.io, open the browser's developer tools → Application → Local Storage → app.grass.io, copy the value of `accessToken` (older builds: `token`) and store it with `orcha secret set grass:<name>/token` or ORCHA_GRASS_TOKEN";
/// Points are floats in the API; six decimals keep every value it has been seen to send.
pub const POINTS_DECIMALS: u8 = 6;
/// No account holds a trillion points; more is a broken payload.
const ABSURD_POINTS: f64 = 1e12;
const EPOCH_PATH: &str = "/epochEarnings?input=%7B%22limit%22%3A1%2C%22isLatestOnly%22%3Atrue%7D";

/// How one Grass adapter is set up.
#[derive(Clone)]
pub struct GrassSettings {
    /// The dashboard API, e.g. `https://api.getgrass.io`.
    pub endpoint: String,
    /// The raw session token (`Authorization: <token>`, no scheme).
    pub token: Option<Sensitive<String>>,
    pub timeout: Duration,
    /// Readings are reused for this long, so one poll (earnings + health) costs one round of
    /// requests.
    pub min_refresh: Duration,
    /// First back-off after a 429 or an HTML page, doubled per repeat.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// A device not connected for this long is reported.
    pub device_stale_after: Duration,
    pub process: LocalProcess,
    pub clock: Arc<dyn Clock>,
}

impl GrassSettings {
    pub fn new(endpoint: &str, token: Option<Sensitive<String>>, clock: Arc<dyn Clock>) -> Self {
        GrassSettings {
            endpoint: endpoint.to_owned(),
            token,
            timeout: Duration::from_secs(15),
            min_refresh: Duration::from_secs(240),
            backoff_base: Duration::from_secs(300),
            backoff_max: Duration::from_secs(6 * 3600),
            device_stale_after: Duration::from_secs(2 * 3600),
            process: LocalProcess::Named("grass".to_owned()),
            clock,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The adapter.

#[derive(Default)]
struct Backoff {
    failures: u32,
    until: Option<DateTime<Utc>>,
}

pub struct GrassAdapter {
    node: NodeId,
    clients: Vec<JsonClient>,
    settings: GrassSettings,
    cache: Mutex<Option<Snapshot>>,
    backoff: Mutex<Backoff>,
}

#[async_trait]
impl ProtocolAdapter for GrassAdapter {
    fn protocol_name(&self) -> ProtocolId {
        ProtocolId::Grass
    }

    fn node_id(&self) -> &NodeId {
        &self.node
    }

    async fn connect(&self) -> Result<NodeInfo, AdapterError> {
        let s = self.snapshot().await?;
        Ok(NodeInfo {
            // The API does not say which app version runs here.
            version: None,
            remote_id: s.user.user_id.or(s.user.username),
        })
    }

    async fn disconnect(&self) -> Result<(), AdapterError> {
        Ok(())
    }

    async fn get_current_earnings(&self) -> Result<EarningsData, AdapterError> {
        let s = self.snapshot().await?;
        Ok(EarningsData {
            observed_at: s.observed_at,
            figures: self.figures(&s),
        })
    }

    async fn get_resource_usage(&self) -> Result<ResourceMetrics, AdapterError> {
        // The app reports nothing about its own use; everything is "not measured".
        Ok(ResourceMetrics {
            observed_at: Some(self.now()),
            ..Default::default()
        })
    }

    async fn apply_allocation(
        &self,
        allocation: &ResourceVector,
    ) -> Result<AppliedAllocation, AdapterError> {
        if *allocation != ResourceVector::default() {
            return Err(AdapterError::Unsupported {
                what: format!("{}: the Grass app has no resource settings; only OS-level CPU priority or bandwidth shaping could limit it, and Orcha does not apply those", self.node),
            });
        }
        Ok(AppliedAllocation {
            node: self.node.clone(),
            read_back: BTreeMap::new(),
            restarted: false,
        })
    }

    /// Grass's closed epochs, in points (never money: points have no market price).
    async fn earnings_history(&self) -> Result<Vec<orcha_core::EarnedPeriod>, AdapterError> {
        self.epoch_history().await
    }

    async fn health_check(&self) -> HealthStatus {
        self.health().await
    }

    fn capabilities(&self) -> Vec<Capability> {
        let fixed = |resource: ResourceKind, p: &str| Capability {
            resource,
            knob: Knob::None,
            min: 0,
            max: 0,
            step: 0,
            restart_required: false,
            restart_cost: RestartCost::default(),
            preconditions: vec![
                p.to_owned(),
                "the Grass app has no settings; Orcha only watches it".to_owned(),
            ],
        };
        vec![
            fixed(ResourceKind::Cpu, "CPU can only be limited at the OS level (priority, cgroups, docker --cpus for the unofficial container)"),
            fixed(ResourceKind::Memory, "memory can only be limited at the OS level"),
            fixed(ResourceKind::Disk, "Grass stores nothing worth allocating"),
            fixed(ResourceKind::Bandwidth, "bandwidth can only be shaped at the OS level; fewer bytes served means fewer Network points"),
        ]
    }
}
