//! The node simulator: the four protocols' real local APIs over a seeded market that answers to
//! the allocation applied through the nodes' real knobs.
//!
//! `Simulator::start(SimConfig)` binds every surface on loopback and returns a `SimHandle` with
//! the URLs, credentials, knob paths, the clock and a `shutdown()`. See the README for the model.

pub mod clock;
pub mod control;
pub mod economics;
pub mod faults;
pub mod golem;
pub mod grass;
pub mod knobs;
pub mod model;
pub mod oracle;
pub mod scenario;
pub mod serve;
pub mod storj;
pub mod streamr;
pub mod world;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::middleware;
use axum::Router;
use orcha_core::{Clock, ProtocolId};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use clock::{SimClock, TimeMode};
pub use economics::{Economics, MarginalValue};
pub use faults::{FaultKind, OfflineMode, StorjShape};
pub use model::{Allocation, Curve};
pub use oracle::Score;
pub use scenario::Scenario;
pub use world::{AllocationChange, ExternalAllocation, Ledger, World};

use crate::faults::SurfaceFaults;
use crate::knobs::{HardwareProfile, KnobPaths};
use crate::serve::{Gate, Shared};

/// Why the simulator could not start or act.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot prepare the data dir {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot bind the {surface} surface on {addr}: {source}")]
    Bind {
        surface: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Scenario(#[from] scenario::ScenarioError),
    #[error(transparent)]
    NotSteppable(#[from] clock::NotSteppable),
    #[error("{0}")]
    Invalid(String),
}

/// Ports to bind; 0 lets the OS choose (the default, so parallel tests never collide).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SurfacePorts {
    pub storj: u16,
    pub golem: u16,
    pub streamr: u16,
    pub grass: u16,
    pub control: u16,
}

impl SurfacePorts {
    /// The real nodes' default ports (Storj 14002, yagna 7465, Streamr 7171) plus 7480/7490.
    pub fn defaults() -> Self {
        SurfacePorts {
            storj: 14002,
            golem: 7465,
            streamr: 7171,
            grass: 7480,
            control: 7490,
        }
    }
}

/// Everything `Simulator::start` needs.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The scenario (market, budget, initial allocation, regimes, faults).
    pub scenario: Scenario,
    /// Where config.yaml, hardware.json and the fake ya-provider are written.
    pub data_dir: PathBuf,
    /// Overrides the scenario's time mode.
    pub time: Option<TimeMode>,
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Overrides the scenario's start time (e.g. "now" for a realtime demo).
    pub start: Option<chrono::DateTime<chrono::Utc>>,
    /// Address every surface binds to; loopback unless told otherwise.
    pub bind: IpAddr,
    pub ports: SurfacePorts,
    /// The yagna app key the Golem surface accepts.
    pub golem_app_key: String,
    /// The raw token the Grass surface accepts in `Authorization`.
    pub grass_token: String,
    /// Real time between two `_monitor` SSE events.
    pub sse_interval: Duration,
    /// Real time between two background advances of the world (not used in step mode).
    pub tick_interval: Duration,
}

impl SimConfig {
    /// The demo scenario in accelerated time, writing its files under `data_dir`.
    pub fn demo(data_dir: impl Into<PathBuf>) -> Self {
        SimConfig::new(Scenario::demo(), data_dir)
    }

    pub fn new(scenario: Scenario, data_dir: impl Into<PathBuf>) -> Self {
        SimConfig {
            scenario,
            data_dir: data_dir.into(),
            time: None,
            seed: None,
            start: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ports: SurfacePorts::default(),
            golem_app_key: "orcha-sim-app-key-0123456789abcdef".into(),
            grass_token: "orcha-sim-grass-token".into(),
            sse_interval: Duration::from_secs(1),
            tick_interval: Duration::from_millis(100),
        }
    }

    /// A step-mode configuration for tests.
    pub fn stepped(scenario: Scenario, data_dir: impl Into<PathBuf>) -> Self {
        SimConfig {
            time: Some(TimeMode::Step),
            ..SimConfig::new(scenario, data_dir)
        }
    }
}

/// The entry point.
#[derive(Debug)]
pub struct Simulator;

struct Surface {
    name: &'static str,
    protocol: ProtocolId,
    port: u16,
}

impl Simulator {
    /// Writes the knob files, binds every surface and starts the background tasks.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let mut scenario = config.scenario.clone();
        if let Some(seed) = config.seed {
            scenario.seed = seed;
        }
        if let Some(start) = config.start {
            scenario.start = start;
            scenario.market.start_weekday =
                chrono::Datelike::weekday(&start).num_days_from_monday();
            scenario.market.start_hour_of_day = f64::from(chrono::Timelike::hour(&start))
                + f64::from(chrono::Timelike::minute(&start)) / 60.0;
        }
        let time = config.time.unwrap_or(scenario.time);
        let paths = KnobPaths::new(&config.data_dir);
        let init = scenario.initial;
        knobs::write_all(
            &paths,
            init.storj_disk_gb,
            HardwareProfile {
                cpu_threads: init.golem_cpu_threads.max(1.0) as u32,
                mem_gib: init.golem_mem_gib,
                storage_gib: init.golem_storage_gib,
            },
        )
        .map_err(|source| SimError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;

        let clock = Arc::new(SimClock::new(scenario.start, time));
        let cancel = CancellationToken::new();
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..4)
            .map(|_| watch::channel(SurfaceFaults::default()))
            .unzip();
        let (listen_tx, listen_rx): (Vec<_>, Vec<_>) = (0..4).map(|_| watch::channel(true)).unzip();
        let senders: [watch::Sender<SurfaceFaults>; 4] = senders
            .try_into()
            .map_err(|_| SimError::Invalid("internal: four surfaces expected".into()))?;
        let mut world = World::new(scenario);
        world.attach(paths.clone(), senders);
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            clock: clock.clone(),
            app_key: config.golem_app_key.clone(),
            grass_token: config.grass_token.clone(),
            cancel: cancel.clone(),
            sse_interval: config.sse_interval,
            surfaces: receivers.iter().cloned().zip(listen_rx).collect(),
        });

        let surfaces = [
            Surface {
                name: "storj",
                protocol: ProtocolId::Storj,
                port: config.ports.storj,
            },
            Surface {
                name: "golem",
                protocol: ProtocolId::Golem,
                port: config.ports.golem,
            },
            Surface {
                name: "streamr",
                protocol: ProtocolId::Streamr,
                port: config.ports.streamr,
            },
            Surface {
                name: "grass",
                protocol: ProtocolId::Grass,
                port: config.ports.grass,
            },
        ];
        let mut tasks = Vec::new();
        let mut urls = Vec::new();
        for (s, listening) in surfaces.into_iter().zip(listen_tx) {
            let idx = world::index(s.protocol);
            let faults = receivers[idx].clone();
            let addr = SocketAddr::new(config.bind, s.port);
            let listener = match TcpListener::bind(addr).await {
                Ok(l) => l,
                Err(source) => {
                    stop_tasks(&cancel, tasks).await;
                    return Err(SimError::Bind {
                        surface: s.name,
                        addr,
                        source,
                    });
                }
            };
            let local = listener.local_addr().map_err(|source| SimError::Bind {
                surface: s.name,
                addr,
                source,
            })?;
            let (router, error_key): (Router, &'static str) = match s.protocol {
                ProtocolId::Storj => (storj::router(shared.clone()), "error"),
                ProtocolId::Golem => (golem::router(shared.clone(), faults.clone()), "message"),
                ProtocolId::Streamr => (streamr::router(shared.clone()), "message"),
                ProtocolId::Grass => (grass::router(shared.clone(), faults.clone()), "error"),
            };
            let gate = Gate {
                faults: faults.clone(),
                cancel: cancel.clone(),
                error_key,
            };
            let router = router.layer(middleware::from_fn_with_state(gate, serve::fault_layer));
            tasks.push(tokio::spawn(serve::run_surface(
                listener,
                router,
                faults,
                listening,
                cancel.clone(),
            )));
            urls.push(format!("http://{local}"));
        }
        let control_addr = SocketAddr::new(config.bind, config.ports.control);
        let control_listener = match TcpListener::bind(control_addr).await {
            Ok(l) => l,
            Err(source) => {
                stop_tasks(&cancel, tasks).await;
                return Err(SimError::Bind {
                    surface: "control",
                    addr: control_addr,
                    source,
                });
            }
        };
        let control_local = control_listener
            .local_addr()
            .map_err(|source| SimError::Bind {
                surface: "control",
                addr: control_addr,
                source,
            })?;
        let control_router = control::router(shared.clone());
        let stop = cancel.clone();
        tasks.push(tokio::spawn(async move {
            let shutdown = async move { stop.cancelled().await };
            if let Err(e) = axum::serve(control_listener, control_router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!(error = %e, "control server stopped");
            }
        }));
        if time != TimeMode::Step {
            // Accelerated and real time need the world to move even when nobody asks, so the
            // ledger accrues, faults start and end, and knob edits are noticed promptly.
            let sh = shared.clone();
            let every = config.tick_interval.max(Duration::from_millis(5));
            tasks.push(tokio::spawn(async move {
                let mut ticker = tokio::time::interval(every);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = sh.cancel.cancelled() => break,
                        _ = ticker.tick() => { drop(sh.world()); }
                    }
                }
            }));
        }
        Ok(SimHandle {
            shared,
            clock,
            cancel,
            tasks,
            storj_url: urls.first().cloned().unwrap_or_default(),
            golem_url: urls.get(1).cloned().unwrap_or_default(),
            streamr_url: urls.get(2).cloned().unwrap_or_default(),
            grass_url: urls.get(3).cloned().unwrap_or_default(),
            control_url: format!("http://{control_local}"),
            paths,
            golem_app_key: config.golem_app_key,
            grass_token: config.grass_token,
        })
    }
}

async fn stop_tasks(cancel: &CancellationToken, tasks: Vec<JoinHandle<()>>) {
    cancel.cancel();
    for t in tasks {
        let abort = t.abort_handle();
        if tokio::time::timeout(Duration::from_secs(5), t)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

/// A running simulator. Dropping it without `shutdown()` cancels the tasks but does not wait.
#[derive(Debug)]
pub struct SimHandle {
    shared: Arc<Shared>,
    clock: Arc<SimClock>,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    storj_url: String,
    golem_url: String,
    streamr_url: String,
    grass_url: String,
    control_url: String,
    paths: KnobPaths,
    golem_app_key: String,
    grass_token: String,
}

impl SimHandle {
    /// Storj dashboard API base URL (what `protocols.storj.api_endpoint` should be).
    pub fn storj_url(&self) -> &str {
        &self.storj_url
    }
    /// yagna REST base URL.
    pub fn golem_url(&self) -> &str {
        &self.golem_url
    }
    /// Streamr node `info` plugin base URL; the subgraph is `{url}/subgraph`, JSON-RPC `{url}/rpc`.
    pub fn streamr_url(&self) -> &str {
        &self.streamr_url
    }
    pub fn streamr_subgraph_url(&self) -> String {
        format!("{}/subgraph", self.streamr_url)
    }
    pub fn streamr_rpc_url(&self) -> String {
        format!("{}/rpc", self.streamr_url)
    }
    /// The operator contract address the Streamr surfaces answer for.
    pub fn streamr_operator_address(&self) -> &'static str {
        streamr::OPERATOR
    }
    /// Grass cloud API base URL.
    pub fn grass_url(&self) -> &str {
        &self.grass_url
    }
    /// Control API base URL.
    pub fn control_url(&self) -> &str {
        &self.control_url
    }
    pub fn golem_app_key(&self) -> &str {
        &self.golem_app_key
    }
    pub fn grass_token(&self) -> &str {
        &self.grass_token
    }
    /// The fake `ya-provider` executable (POSIX shell script).
    pub fn ya_provider_path(&self) -> &Path {
        &self.paths.ya_provider
    }
    /// The Storj `config.yaml` whose `storage.allocated-disk-space` is the disk knob.
    pub fn storj_config_path(&self) -> &Path {
        &self.paths.storj_config
    }
    /// ya-provider's `hardware.json` (what the fake ya-provider edits).
    pub fn hardware_json_path(&self) -> &Path {
        &self.paths.hardware_json
    }
    pub fn data_dir(&self) -> &Path {
        &self.paths.data_dir
    }
    /// The simulator's clock; the app can run on it to follow accelerated time.
    pub fn clock(&self) -> Arc<SimClock> {
        self.clock.clone()
    }
    /// The clock as `orcha_core::Clock`.
    pub fn core_clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Step mode: moves time forward, brings the world up to it and waits until every surface's
    /// port is open or closed as the world now says.
    pub async fn step(&self, by: chrono::Duration) -> Result<(), SimError> {
        self.clock.advance(by)?;
        drop(self.shared.world());
        self.shared.settle().await;
        Ok(())
    }

    /// Injects a fault on `target` now, for `duration_minutes` simulated minutes (None = until
    /// cleared), and waits until it shows on the wire.
    pub async fn inject_fault(
        &self,
        target: ProtocolId,
        kind: FaultKind,
        duration_minutes: Option<u64>,
    ) -> u64 {
        let id = self
            .shared
            .world()
            .inject_fault(target, kind, 0, duration_minutes);
        self.shared.settle().await;
        id
    }

    pub async fn clear_fault(&self, id: u64) -> bool {
        let ok = self.shared.world().clear_fault(id);
        self.shared.settle().await;
        ok
    }

    /// Sets the allocation of the resources the nodes have no knob for (cgroup/tc emulation).
    pub fn set_external_allocation(&self, ext: ExternalAllocation) -> Result<Allocation, SimError> {
        self.shared
            .world()
            .set_external(ext)
            .map_err(SimError::Invalid)
    }

    /// The allocation currently in force (as read from the knobs).
    pub fn allocation(&self) -> Allocation {
        self.shared.world().allocation()
    }

    pub fn history(&self) -> Vec<AllocationChange> {
        self.shared.world().history().to_vec()
    }

    pub fn ledger(&self) -> Ledger {
        self.shared.world().ledger()
    }

    /// What one more unit of each resource earns per hour on each node now (USD/h per unit),
    /// the truth `GET /control/curves` serves.
    pub fn marginal_values(&self) -> Vec<MarginalValue> {
        self.shared.world().marginal_values()
    }

    /// The four scores over the cycles completed so far.
    pub fn score(&self) -> Score {
        live_score(&self.shared.world())
    }

    /// Runs `f` on the world brought up to now (tests and tooling).
    pub fn with_world<T>(&self, f: impl FnOnce(&World) -> T) -> T {
        f(&self.shared.world())
    }

    /// Stops every surface and task: cancel, wait up to 5 s each, then abort the stragglers.
    pub async fn shutdown(mut self) {
        let tasks = std::mem::take(&mut self.tasks);
        stop_tasks(&self.cancel, tasks).await;
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The score of a running world over its completed cycles, achieved = the world's ledger.
pub fn live_score(w: &World) -> Score {
    let cycles = w
        .ledger
        .cycle_totals_nano_usd
        .len()
        .min(oracle::scenario_cycles(w.scenario()));
    let achieved = if cycles == 0 {
        0.0
    } else {
        economics::usd_of(w.ledger.cycle_totals_nano_usd[cycles - 1])
    };
    oracle::score(w.scenario(), w.faults(), cycles, Some(achieved))
}
