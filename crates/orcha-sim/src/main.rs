//! `orcha-sim`: run the simulated nodes, or score a scenario's policies.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use orcha_sim::{oracle, Scenario, SimConfig, Simulator, SurfacePorts, TimeMode};

#[derive(Parser)]
#[command(
    name = "orcha-sim",
    about = "Simulated Storj, Golem, Streamr and Grass nodes over a seeded market"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the four protocols' APIs and the control API until Ctrl-C.
    Run {
        /// Scenario file (TOML); the built-in demo scenario when absent.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Where config.yaml, hardware.json and the fake ya-provider go.
        #[arg(long, default_value = "orcha-sim-data")]
        data_dir: PathBuf,
        /// Simulated seconds per real second (1440 = a day per minute).
        #[arg(long, conflicts_with_all = ["realtime", "step"])]
        speed: Option<f64>,
        #[arg(long)]
        realtime: bool,
        /// Time moves only through POST /control/step.
        #[arg(long)]
        step: bool,
        #[arg(long)]
        seed: Option<u64>,
        /// Start at the current wall-clock time instead of the scenario's start.
        #[arg(long)]
        start_now: bool,
        /// Bind the real nodes' default ports (14002, 7465, 7171, 7480; control 7490).
        #[arg(long)]
        default_ports: bool,
    },
    /// Print the scores of a scenario as JSON.
    Score {
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// An allocation history (GET /control/history) to replay as "achieved".
        #[arg(long)]
        history: Option<PathBuf>,
        #[arg(long)]
        seed: Option<u64>,
    },
}

fn load(path: &Option<PathBuf>) -> anyhow::Result<Scenario> {
    Ok(match path {
        Some(p) => Scenario::load(p)?,
        None => Scenario::demo(),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            scenario,
            data_dir,
            speed,
            realtime,
            step,
            seed,
            start_now,
            default_ports,
        } => {
            let mut config = SimConfig::new(load(&scenario)?, data_dir);
            config.seed = seed;
            config.time = match (speed, realtime, step) {
                (Some(s), _, _) => Some(TimeMode::Accelerated { speed: s }),
                (_, true, _) => Some(TimeMode::Realtime),
                (_, _, true) => Some(TimeMode::Step),
                _ => None,
            };
            if start_now {
                config.start = Some(chrono::Utc::now());
            }
            if default_ports {
                config.ports = SurfacePorts::defaults();
            }
            let handle = Simulator::start(config).await?;
            let info = serde_json::json!({
                "storj": handle.storj_url(),
                "golem": handle.golem_url(),
                "golem_app_key": handle.golem_app_key(),
                "ya_provider": handle.ya_provider_path(),
                "storj_config": handle.storj_config_path(),
                "streamr": handle.streamr_url(),
                "streamr_subgraph": handle.streamr_subgraph_url(),
                "streamr_rpc": handle.streamr_rpc_url(),
                "grass": handle.grass_url(),
                "grass_token": handle.grass_token(),
                "control": handle.control_url(),
            });
            #[allow(clippy::print_stdout)]
            {
                println!("{}", serde_json::to_string_pretty(&info)?);
            }
            tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?;
            handle.shutdown().await;
        }
        Command::Score {
            scenario,
            history,
            seed,
        } => {
            let mut s = load(&scenario)?;
            if let Some(seed) = seed {
                s.seed = seed;
            }
            let cycles = oracle::scenario_cycles(&s);
            let achieved = match history {
                Some(p) => {
                    let text = std::fs::read_to_string(&p)
                        .with_context(|| format!("reading {}", p.display()))?;
                    let h: Vec<orcha_sim::AllocationChange> = serde_json::from_str(&text)
                        .with_context(|| format!("parsing {}", p.display()))?;
                    Some(oracle::replay(&s, &h, cycles))
                }
                None => None,
            };
            let world = orcha_sim::World::new(s.clone());
            let score = oracle::score(&s, world.faults(), cycles, achieved);
            #[allow(clippy::print_stdout)]
            {
                println!("{}", serde_json::to_string_pretty(&score)?);
            }
        }
    }
    Ok(())
}
