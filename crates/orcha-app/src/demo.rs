//! Demo mode: the simulator runs in-process and Orcha watches it exactly as it would real nodes.
//!
//! Demo data never mixes with real data: it has its own database file under `<data_dir>/demo/`,
//! credentials live in memory (never in the OS keyring), and every status says `demo: true`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use orcha_core::config::Config;
use orcha_core::secret::{MemorySecretStore, SecretKey, SecretStore, Sensitive};
use orcha_core::{Clock, NodeId};
use orcha_sim::{SimConfig, SimHandle, Simulator};

/// The running simulator plus the configuration and secrets that point Orcha at it.
pub struct Demo {
    pub sim: SimHandle,
    pub config: Config,
    pub secrets: Arc<dyn SecretStore>,
    pub clock: Arc<dyn Clock>,
    pub database: PathBuf,
}

/// Days of history the demo makes before it reaches the real now.
const HISTORY_DAYS: i64 = 2;
/// Simulated seconds per real second while it catches up: two days in about two minutes, with
/// a poll every 5 real seconds landing every two simulated hours.
const CATCH_UP_SPEED: f64 = 1440.0;

/// How often the demo polls and plans, in real (and, once caught up, simulated) seconds.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub poll_secs: u64,
    pub cycle_secs: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            poll_secs: 5,
            cycle_secs: 30,
        }
    }
}

/// Starts the simulator with `sim_config` (defaults to the built-in demo scenario) and derives
/// the configuration that points every protocol at it.
pub async fn start(
    base: &Config,
    data_dir: &Path,
    sim_config: Option<SimConfig>,
    options: &DemoOptions,
) -> Result<Demo> {
    let demo_dir = data_dir.join("demo");
    std::fs::create_dir_all(&demo_dir)
        .with_context(|| format!("cannot create {}", demo_dir.display()))?;
    let sim_config = sim_config.unwrap_or_else(|| {
        let mut c = SimConfig::demo(demo_dir.join("sim"));
        // The simulated world keeps the real "now": it starts HISTORY_DAYS in the past, runs
        // through them at CATCH_UP_SPEED while Orcha polls it (so there is history to show at
        // once), then keeps wall-clock time, so "polled 5 s ago" and the browser agree.
        let now = chrono::Utc::now();
        c.start = Some(now - chrono::Duration::days(HISTORY_DAYS));
        c.time = Some(orcha_sim::TimeMode::CatchUp {
            speed: CATCH_UP_SPEED,
        });
        // Golem's knob ends at this machine's logical CPUs (ya-provider caps a profile to the
        // machine it runs on), so the simulated provider starts within them.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let initial = &mut c.scenario.initial;
        initial.golem_cpu_threads = initial.golem_cpu_threads.min(cores);
        c
    });
    // The simulator's market values every token at fixed USD prices; the demo uses exactly those
    // (labelled `demo`) instead of asking CoinGecko: demo mode never reaches the internet.
    let sim_prices = sim_config.scenario.prices;
    let sim_budget = sim_config.scenario.budget;
    let sim = Simulator::start(sim_config)
        .await
        .context("cannot start the demo simulator")?;

    let mut config = base.clone();
    let database = demo_dir.join("orcha-demo.db");
    config.storage.database = database.display().to_string();
    config.orchestrator.poll_interval = options.poll_secs;
    config.orchestrator.optimization_interval = options.cycle_secs;
    // The simulated machine, not this one, is what the demo divides: its nodes' allocations
    // (terabytes of Storj disk) are sized for it, and this box's free disk is not theirs.
    let a = &mut config.allocation;
    a.grant_cpu_cores = sim_budget.cpu_threads;
    a.grant_memory_mib = (sim_budget.mem_gib * 1024.0).round() as u64;
    a.grant_disk_gib = (sim_budget.disk_gb * 1e9 / (1u64 << 30) as f64).floor() as u64;
    a.bandwidth_up_mbps = sim_budget.bandwidth_mbps.round() as u64;
    a.bandwidth_down_mbps = sim_budget.bandwidth_mbps.round() as u64;
    // The same for the knobs' maxima: the grants above, not this box.
    config.usage.machine_bounds = false;
    // Streamr and Grass have no knob of their own; on a real machine their CPU and bandwidth
    // are a cgroup and a `tc` class, here the simulator's emulation of them (same apply path).
    for node in ["streamr:main", "grass:main"] {
        let how = config.allocation.nodes.entry(node.to_owned()).or_default();
        how.runs_as = orcha_core::config::RunsAs::Simulated;
        how.simulator = sim.control_url().to_owned();
    }
    let p = &mut config.protocols;
    p.storj.enabled = true;
    p.storj.name = "main".into();
    p.storj.api_endpoint = sim.storj_url().to_owned();
    p.storj.config_yaml = sim.storj_config_path().display().to_string();
    p.storj.poll_interval = 0;
    p.storj.payout_poll_interval = options.cycle_secs;
    p.storj.nodes.clear();
    p.golem.enabled = true;
    p.golem.name = "main".into();
    p.golem.api_endpoint = sim.golem_url().to_owned();
    p.golem.ya_provider = sim.ya_provider_path().display().to_string();
    p.golem.poll_interval = 0;
    p.golem.nodes.clear();
    p.streamr.enabled = true;
    p.streamr.name = "main".into();
    p.streamr.api_endpoint = sim.streamr_url().to_owned();
    p.streamr.subgraph_url = sim.streamr_subgraph_url();
    p.streamr.rpc_url = sim.streamr_rpc_url();
    p.streamr.operator_address = sim.streamr_operator_address().to_owned();
    p.streamr.poll_interval = 0;
    p.streamr.nodes.clear();
    p.grass.enabled = true;
    p.grass.name = "main".into();
    p.grass.api_endpoint = sim.grass_url().to_owned();
    // The simulated cloud API has no rate limit, and simulated time runs fast.
    p.grass.poll_interval = options.poll_secs;
    p.grass.nodes.clear();

    let decimal = |v: f64| format!("{v}");
    config.prices.fiat = "usd".into();
    config.prices.source = "fixed-only".into();
    config.prices.fixed_mode = "override".into();
    config.prices.fixed = [("glm", sim_prices.glm_usd), ("data", sim_prices.data_usd)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), decimal(v)))
        .collect();
    config.prices.grass_fiat_per_point = decimal(sim_prices.grass_usd_per_point);

    let secrets = Arc::new(MemorySecretStore::default());
    let put = |node: &str, kind: &str, value: &str| -> Result<()> {
        let id: NodeId = node.parse()?;
        secrets.set(
            &SecretKey::for_node(&id, kind),
            Sensitive::new(value.to_owned()),
        )?;
        Ok(())
    };
    put("golem:main", "app_key", sim.golem_app_key())?;
    put("grass:main", "token", sim.grass_token())?;
    let clock = sim.core_clock();
    Ok(Demo {
        sim,
        config,
        secrets,
        clock,
        database,
    })
}
