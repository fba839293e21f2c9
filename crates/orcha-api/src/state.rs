//! The application state both front doors share: store, nodes, clock, metrics and the event bus.
//!
//! There is no global state: one `AppState` is built at start-up and passed by `Arc` to the
//! orchestrator, the REST routes and the Tauri commands.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use orcha_core::config::{Config, NodeConfig};
use orcha_core::event::DomainEvent;
use orcha_core::secret::SecretStore;
use orcha_core::{Clock, HealthStatus, ProtocolAdapter, ResourceMetrics};
use orcha_store::{Store, StoreError};
use tokio::sync::{broadcast, Notify};

use crate::bound_secrets::HostBoundSecrets;
use crate::dto::{Event, MlStatusDto, PollDto};
use crate::error::DbError;
use crate::metrics::Metrics;
use crate::ml::MlClient;
use crate::notifications::Notifications;
use crate::policy::Controls;
use crate::price_book::PriceBook;
use crate::settings_file::SettingsFile;

/// What the orchestrator last learned about a node, kept in memory for the API.
#[derive(Debug, Clone, Default)]
pub struct NodeLive {
    pub connected: bool,
    pub version: Option<String>,
    pub health: Option<(HealthStatus, DateTime<Utc>)>,
    pub last_poll: Option<PollDto>,
    pub metrics: ResourceMetrics,
    /// What the OS measured on the newest poll (`None`: not measured).
    pub measured: Option<crate::usage::MeasuredLive>,
    /// The amounts in force, as the newest cycle read them (empty before the first cycle).
    pub allocated: crate::policy::Amounts,
}

/// One configured node: its settings, its adapter and its live state.
pub struct NodeRuntime {
    pub config: NodeConfig,
    pub adapter: Arc<dyn ProtocolAdapter>,
    live: Mutex<NodeLive>,
    /// The node's OS meter, kept between polls for its counter deltas.
    pub meter: Mutex<crate::usage::MeterSlot>,
}

impl NodeRuntime {
    pub fn new(config: NodeConfig, adapter: Arc<dyn ProtocolAdapter>) -> Self {
        NodeRuntime {
            config,
            adapter,
            live: Mutex::new(NodeLive::default()),
            meter: Mutex::new(crate::usage::MeterSlot::default()),
        }
    }

    pub fn live(&self) -> NodeLive {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes the live state; the guard never outlives the closure, so never an `.await`.
    pub fn update_live<T>(&self, f: impl FnOnce(&mut NodeLive) -> T) -> T {
        f(&mut self.live.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

pub struct AppState {
    pub config: Config,
    store: Arc<Mutex<Store>>,
    /// The credential store every operation reads and writes: `credentials`, host-bound.
    pub secrets: Arc<dyn SecretStore>,
    /// The same store as `secrets`, for re-binding credentials when endpoints change.
    pub credentials: Arc<HostBoundSecrets>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    pub nodes: Vec<Arc<NodeRuntime>>,
    pub ml: MlClient,
    /// True when the nodes are the built-in simulator.
    pub demo: bool,
    events: broadcast::Sender<Event>,
    paused: AtomicBool,
    ml_status: Mutex<MlStatusDto>,
    next_cycle_at: Mutex<Option<DateTime<Utc>>>,
    /// When each series was last sent to the ML engine for training.
    last_training: Mutex<std::collections::BTreeMap<String, DateTime<Utc>>>,
    /// Wakes the orchestrator to run a cycle now.
    pub cycle_now: Notify,
    /// The operator's allocation switches (per-node auto-apply) set while the app runs.
    pub allocation: Controls,
    /// Token prices in the operator's fiat (refreshed by `crate::prices::run`).
    pub prices: PriceBook,
    /// Alert notification bookkeeping: rate limiter, each channel's last result, send tasks.
    pub notifications: Arc<Notifications>,
    /// Where settings are saved, and what was saved since the start.
    pub settings: SettingsFile,
    /// One apply at a time: the cycle's apply step, an approved plan and the start-up
    /// reconciliation all take it (see `cycle::apply::ApplyPermit`).
    pub apply_lock: tokio::sync::Mutex<()>,
    /// The backup schedule in force: the config's at start, then each saved setting's, so the
    /// scheduled backups follow a change without a restart (`crate::backups::run`).
    pub backup_schedule: tokio::sync::watch::Sender<crate::backups::Schedule>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("nodes", &self.nodes.len())
            .field("demo", &self.demo)
            .finish()
    }
}

/// Everything `AppState::new` needs; built by the front door at start-up.
pub struct AppParts {
    pub config: Config,
    pub store: Store,
    pub secrets: Arc<dyn SecretStore>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    pub nodes: Vec<Arc<NodeRuntime>>,
    pub ml: MlClient,
    pub demo: bool,
}

impl AppState {
    pub fn new(parts: AppParts) -> Arc<AppState> {
        let (events, _) = broadcast::channel(1024);
        // Credentials go only to the host they were entered for (see `crate::bound_secrets`).
        let credentials = HostBoundSecrets::for_config(parts.secrets, &parts.config);
        let secrets: Arc<dyn SecretStore> = credentials.clone();
        let ml_detail = if parts.ml.base().is_some() {
            "not checked yet"
        } else {
            "no ML engine is configured or running"
        };
        let prices = PriceBook::from_config(
            &parts.config,
            Arc::clone(&secrets),
            Arc::clone(&parts.clock),
            parts.demo,
        );
        let backup_schedule =
            tokio::sync::watch::Sender::new(crate::backups::Schedule::of(&parts.config));
        Arc::new(AppState {
            backup_schedule,
            prices,
            ml_status: Mutex::new(MlStatusDto {
                available: false,
                url: parts.ml.base(),
                detail: ml_detail.to_owned(),
            }),
            config: parts.config,
            store: Arc::new(Mutex::new(parts.store)),
            secrets,
            credentials,
            clock: parts.clock,
            metrics: parts.metrics,
            nodes: parts.nodes,
            ml: parts.ml,
            demo: parts.demo,
            events,
            paused: AtomicBool::new(false),
            next_cycle_at: Mutex::new(None),
            last_training: Mutex::new(std::collections::BTreeMap::new()),
            cycle_now: Notify::new(),
            allocation: Controls::default(),
            notifications: Arc::default(),
            settings: SettingsFile::default(),
            apply_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Runs `f` on the store in a blocking thread; the store's lock is taken and released there,
    /// never across an `.await`.
    pub async fn db<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || {
            let mut guard = store.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard)
        })
        .await?
        .map_err(DbError::from)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Publishes an event to every subscriber; having none is fine.
    pub fn publish(&self, event: Event) {
        let _ = self.events.send(event);
    }

    pub fn publish_domain(&self, event: &DomainEvent) {
        self.publish(Event::from_domain(event));
    }

    pub fn node(&self, id: &str) -> Option<&Arc<NodeRuntime>> {
        self.nodes.iter().find(|n| n.config.id.to_string() == id)
    }

    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Puts back the switches the operator flipped in an earlier run (pause, per-node
    /// auto-apply), from the newest audit row of each; unknown nodes and values are ignored.
    pub fn restore_switches(&self, audited: &[(String, Option<String>)]) {
        for (key, value) in audited {
            let Some(on) = value.as_deref().and_then(|v| v.parse::<bool>().ok()) else {
                continue;
            };
            if key == "automation.paused" {
                self.set_paused(on);
            } else if let Some(node) = key.strip_prefix("auto_apply:") {
                if let Some(rt) = self.node(node) {
                    self.allocation.set_auto_apply(&rt.config.id, on);
                }
            }
        }
    }

    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        self.metrics.automation_paused.set(i64::from(paused));
    }

    pub fn ml_status(&self) -> MlStatusDto {
        self.ml_status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records the engine's state; returns true when it changed (so callers emit an event).
    pub fn set_ml_status(&self, available: bool, detail: String) -> bool {
        let mut s = self.ml_status.lock().unwrap_or_else(|e| e.into_inner());
        let changed = s.available != available || s.detail != detail;
        s.available = available;
        s.detail = detail;
        self.metrics.ml_up.set(i64::from(available));
        changed
    }

    /// Records the engine's state and, when it changed, tells every subscriber.
    pub fn report_ml_status(&self, available: bool, detail: String) {
        if self.set_ml_status(available, detail.clone()) {
            self.publish_domain(&DomainEvent::MlStatus {
                available,
                detail,
                at: self.clock.now(),
            });
        }
    }

    pub fn last_training(&self, series: &str) -> Option<DateTime<Utc>> {
        self.last_training
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(series)
            .copied()
    }

    pub fn set_last_training(&self, series: &str, at: DateTime<Utc>) {
        self.last_training
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(series.to_owned(), at);
    }

    pub fn next_cycle_at(&self) -> Option<DateTime<Utc>> {
        *self.next_cycle_at.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_next_cycle_at(&self, at: Option<DateTime<Utc>>) {
        *self.next_cycle_at.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}
