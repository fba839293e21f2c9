//! `orcha`: the headless server (`orcha serve`) and the operator's command line.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

mod backfill;
mod bench;
mod db_cli;
mod detect_cli;
mod export;
mod secret_cli;
mod service_cli;
mod usage_probe;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use orcha_api::keyring::OsKeyring;
use orcha_core::secret::SecretStore;
use orcha_server::startup;
use orcha_server::ServerOptions;
use tokio_util::sync::CancellationToken;

mod maintenance;

#[derive(Parser)]
#[command(
    name = "orcha",
    version,
    about = "DePIN Orcha: one orchestrator for the DePIN nodes on this machine"
)]
struct Cli {
    /// Configuration file (default: CONFIG_PATH, else ~/.config/depin-orcha/config.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the orchestrator with the REST + WebSocket API, /metrics and the web UI.
    Serve {
        /// Address to bind (default from the config: 127.0.0.1).
        #[arg(long)]
        bind: Option<IpAddr>,
        /// Port (default from the config: 7373; 0 picks a free one).
        #[arg(long)]
        port: Option<u16>,
        /// Directory of the built web UI (default: ./dist when it exists).
        #[arg(long)]
        ui_dir: Option<PathBuf>,
        /// Log as human-readable text instead of JSON.
        #[arg(long)]
        log_text: bool,
        /// Run against the built-in simulator (clearly labelled demo data, separate database).
        #[arg(long)]
        demo: bool,
    },
    /// Read one node once and print the normalized reading as JSON (the operator's diagnostic).
    Probe {
        /// storj, golem, streamr or grass.
        protocol: String,
        /// The node's API, e.g. http://127.0.0.1:14002 (default: the protocol's default).
        #[arg(long)]
        endpoint: Option<String>,
        /// Name of an environment variable holding the node's credential (instead of the keyring).
        #[arg(long)]
        token_env: Option<String>,
        /// Local node name, for the keyring entry `<protocol>:<name>/<kind>`.
        #[arg(long, default_value = "main")]
        name: String,
        /// Also measure the node's process (a name like `storagenode`, or a pid) from the OS.
        #[arg(long, conflicts_with_all = ["unit", "container"])]
        process: Option<String>,
        /// Also measure the node's systemd unit (through its cgroup).
        #[arg(long, conflicts_with = "container")]
        unit: Option<String>,
        /// Also measure the node's Docker container (Engine stats API).
        #[arg(long)]
        container: Option<String>,
    },
    /// Find the nodes on this machine and propose a config (saved only with --write or a yes).
    Detect(detect_cli::DetectArgs),
    /// Benchmarks: `orcha bench loop --scenario FILE` runs the loop against the simulator.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Run `orcha serve` as a hardened systemd service: install, uninstall or status.
    Service {
        #[command(subcommand)]
        action: service_cli::ServiceAction,
    },
    /// Check the configuration file and print the effective settings.
    CheckConfig,
    /// Print the committed default configuration.
    Defaults,
    /// Manage credentials in the OS keyring, or as systemd credentials for the service with
    /// `--service` (the value is read from standard input).
    Secret {
        #[command(subcommand)]
        action: secret_cli::SecretAction,
    },
    /// The API token every `/api/v1` request must carry.
    Token {
        #[command(subcommand)]
        action: maintenance::TokenAction,
    },
    /// Read every enabled node's own money record (payouts, earned periods) into the store, as
    /// Orcha does at start; a second run adds nothing (#20).
    Backfill {
        /// Only this node (`storj:main`).
        #[arg(long)]
        node: Option<String>,
        /// Print the summary as JSON (progress as plain lines on stderr).
        #[arg(long)]
        json: bool,
    },
    /// Write the operator's earnings and payouts of a date range, valued at the prices of
    /// their own time, as CSV, JSON or Koinly's CSV (#20).
    Export {
        /// First day, YYYY-MM-DD (UTC), included.
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD (UTC), included.
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: export::ExportFormat,
        /// The file to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Export the demo's database instead of the real one.
        #[arg(long)]
        demo: bool,
    },
    /// Write an encrypted backup of the database and the config file (safe while Orcha runs).
    Backup {
        /// The backup file to write.
        #[arg(long)]
        out: PathBuf,
        /// Read the passphrase from this environment variable instead of the terminal.
        #[arg(long)]
        passphrase_env: Option<String>,
    },
    /// Encrypt or decrypt the database at rest (SQLCipher; Orcha must not be running).
    Db {
        #[command(subcommand)]
        action: db_cli::DbAction,
    },
    /// Restore a backup over the database and config file (Orcha must not be running).
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Read the passphrase from this environment variable instead of the terminal.
        #[arg(long)]
        passphrase_env: Option<String>,
        /// Replace an existing database (it is kept beside the restored one).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The real orchestrator (collect, predict, optimize, evaluate, apply with auto-apply on)
    /// against the stepped simulator, scored against holding still and a perfect-foresight
    /// oracle. Prints one JSON object on its last line.
    Loop {
        /// A scenario file (the simulator's format, e.g. crates/orcha-sim/scenarios/steady.toml).
        #[arg(long)]
        scenario: PathBuf,
        /// Simulated days (default: the scenario's duration).
        #[arg(long)]
        days: Option<u64>,
        #[arg(long)]
        seed: Option<u64>,
        /// Plan with the Rust fallback optimizer instead of the ML engine.
        #[arg(long)]
        no_ml: bool,
        /// Keep the run's database, simulator files and logs in this directory (created if
        /// missing) instead of a temporary one, to inspect the decisions afterwards.
        #[arg(long, value_name = "DIR")]
        work_dir: Option<std::path::PathBuf>,
        /// Print only the JSON result.
        #[arg(long)]
        json: bool,
    },
}

/// A probe whose reading has a failed part, so scripts and service checks can tell why from the
/// exit code alone: 3 unreachable (or timed out), 4 unauthorized, 5 malformed, 6 rate limited.
/// "Not supported" parts (Grass has no local resource usage) are not failures.
#[derive(Debug, thiserror::Error)]
#[error("the probe of {node} failed: {kind}")]
struct ProbeFailed {
    node: String,
    kind: &'static str,
}

impl ProbeFailed {
    /// The most telling failure in a reading: credentials first (the operator must act), then
    /// reachability, then what the node answered.
    fn of(reading: &serde_json::Value) -> Option<Self> {
        let kinds: Vec<&str> = ["node_info", "earnings", "resources", "measured_usage"]
            .iter()
            .filter_map(|part| reading[part]["error"]["kind"].as_str())
            .collect();
        let kind = [
            "unauthorized",
            "unreachable",
            "timeout",
            "malformed",
            "rate_limited",
        ]
        .into_iter()
        .find(|k| kinds.contains(k))?;
        Some(ProbeFailed {
            node: reading["node"].as_str().unwrap_or("the node").to_owned(),
            kind,
        })
    }

    fn exit_code(&self) -> u8 {
        match self.kind {
            "unreachable" | "timeout" => 3,
            "unauthorized" => 4,
            "malformed" => 5,
            _ => 6,
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line per cause, most specific last, so the operator sees key, file and line.
            eprintln!("orcha: {e:#}");
            match e.downcast_ref::<ProbeFailed>() {
                Some(failed) => ExitCode::from(failed.exit_code()),
                None => ExitCode::FAILURE,
            }
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            bind,
            port,
            ui_dir,
            log_text,
            demo,
        } => {
            init_logging(!log_text);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(serve(cli.config, bind, port, ui_dir, demo))
        }
        Command::CheckConfig => {
            let (config, path) = startup::load_config(cli.config.as_deref(), &env)?;
            let nodes: Vec<String> = config
                .nodes()
                .iter()
                .map(|n| format!("{} → {}", n.id, n.api_endpoint))
                .collect();
            let mut out = std::io::stdout().lock();
            use std::io::Write;
            writeln!(out, "config {}: ok", path.display())?;
            writeln!(
                out,
                "nodes: {}",
                if nodes.is_empty() {
                    "none enabled".to_owned()
                } else {
                    nodes.join(", ")
                }
            )?;
            Ok(())
        }
        Command::Defaults => {
            use std::io::Write;
            std::io::stdout()
                .lock()
                .write_all(orcha_core::config::DEFAULT_TOML.as_bytes())?;
            Ok(())
        }
        Command::Secret { action } => secret_cli::run(action, cli.config, &env),
        Command::Detect(args) => {
            let (config, path) = startup::load_config(cli.config.as_deref(), &env)?;
            detect_cli::run(args, &config, &path, &OsKeyring::new())
        }
        Command::Bench {
            what:
                BenchCommand::Loop {
                    scenario,
                    days,
                    seed,
                    no_ml,
                    work_dir,
                    json,
                },
        } => bench::run_loop(scenario, days, seed, no_ml, work_dir, json),
        Command::Service { action } => service_cli::run(action, cli.config, &env),
        Command::Token { action } => maintenance::token(cli.config, action),
        Command::Export {
            from,
            to,
            format,
            out,
            demo,
        } => export::run(cli.config, &from, &to, format, out.as_deref(), demo, &env),
        Command::Backfill { node, json } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(backfill::run(cli.config, node.as_deref(), json, &env))
        }
        Command::Backup {
            out,
            passphrase_env,
        } => maintenance::backup(cli.config, &out, passphrase_env.as_deref()),
        Command::Db { action } => db_cli::run(cli.config, action, &env),
        Command::Restore {
            file,
            passphrase_env,
            force,
        } => maintenance::restore(cli.config, &file, passphrase_env.as_deref(), force),
        Command::Probe {
            protocol,
            endpoint,
            token_env,
            name,
            process,
            unit,
            container,
        } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let mut reading =
                runtime.block_on(probe(cli.config, &protocol, endpoint, token_env, &name))?;
            if let Some(target) = usage_probe::target(process, unit, container) {
                let measured = runtime.block_on(usage_probe::measure(target));
                if let serde_json::Value::Object(o) = &mut reading {
                    o.insert("measured_usage".to_owned(), measured);
                }
            }
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", serde_json::to_string_pretty(&reading)?)?;
            match ProbeFailed::of(&reading) {
                Some(failed) => Err(failed.into()),
                None => Ok(()),
            }
        }
    }
}

async fn probe(
    config_file: Option<PathBuf>,
    protocol: &str,
    endpoint: Option<String>,
    token_env: Option<String>,
    name: &str,
) -> Result<serde_json::Value> {
    let protocol: orcha_core::ProtocolId = protocol.parse()?;
    let (config, _) = startup::load_config(config_file.as_deref(), &env)?;
    let id = orcha_core::NodeId::new(protocol, name)?;
    let endpoint = endpoint.unwrap_or_else(|| {
        config
            .protocols
            .tables()
            .iter()
            .find(|t| t.protocol == protocol)
            .map(|t| t.api_endpoint.to_owned())
            .unwrap_or_default()
    });
    let token = match &token_env {
        Some(var) => Some(
            std::env::var(var)
                .with_context(|| format!("--token-env {var}: the variable is not set"))?,
        ),
        None => None,
    };
    // A token from --token-env stands in for every credential of this protocol.
    let prefix = format!("ORCHA_{}_", protocol.as_str().to_ascii_uppercase());
    let lookup = move |k: &str| match &token {
        Some(t) if k.starts_with(&prefix) => Some(t.clone()),
        _ => std::env::var(k).ok(),
    };
    let node = orcha_core::config::NodeConfig {
        id,
        api_endpoint: endpoint,
        poll_interval: Duration::from_secs(config.orchestrator.poll_interval),
        auto_apply: false,
    };
    let keyring = OsKeyring::new();
    let ctx = orcha_adapters::AdapterContext {
        config: &config,
        secrets: &keyring,
        env: &lookup,
        timeout: Duration::from_secs(config.orchestrator.poll_timeout),
        clock: std::sync::Arc::new(orcha_core::SystemClock),
    };
    let adapter = orcha_adapters::build_adapter(&node, &ctx)?;
    Ok(orcha_adapters::probe::probe(adapter.as_ref()).await)
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

async fn serve(
    config_file: Option<PathBuf>,
    bind: Option<IpAddr>,
    port: Option<u16>,
    ui_dir: Option<PathBuf>,
    demo: bool,
) -> Result<()> {
    let (config, config_path) = startup::load_config(config_file.as_deref(), &env)?;
    let bind = match bind {
        Some(b) => b,
        None => config
            .orchestrator
            .bind
            .parse()
            .context("orchestrator.bind")?,
    };
    let port = port.unwrap_or(config.orchestrator.api_port);
    let server = config.server.clone();
    // The demo has no operator file to save settings to; it gets a scratch file of its own.
    let scratch_settings = demo.then(|| {
        startup::data_dir(&config, &env)
            .join("demo")
            .join("settings.toml")
    });
    // One Orcha per data directory, taken before anything opens the database; the demo keeps
    // its own database and so its own lock.
    let _lock = startup::lock_data_dirs(&[startup::data_dir(&config, &env)], demo, "orcha serve")?;
    // Demo mode swaps the nodes, database, credentials and clock for the simulator's.
    let (config, secrets, clock, sim) = if demo {
        let data_dir = startup::data_dir(&config, &env);
        let d = orcha_server::demo::start(
            &config,
            &data_dir,
            None,
            &orcha_server::demo::DemoOptions::default(),
        )
        .await?;
        tracing::info!(database = %d.database.display(), "Demo mode: nodes are simulated.");
        (d.config, d.secrets, d.clock, Some(d.sim))
    } else {
        let keyring: Arc<dyn SecretStore> = Arc::new(OsKeyring::new());
        // A systemd service (or a container's secrets mount) brings its credentials in
        // `$CREDENTIALS_DIRECTORY`: they come first, the keyring (if any) after.
        let secrets: Arc<dyn SecretStore> =
            match orcha_fleet::credentials::CredentialsDirStore::from_env(&env) {
                Some(credentials) => {
                    tracing::info!("Reading credentials from $CREDENTIALS_DIRECTORY first.");
                    Arc::new(orcha_fleet::credentials::CredentialsFirst {
                        credentials,
                        fallback: keyring,
                    })
                }
                None => keyring,
            };
        (config, secrets, startup::system_clock(), None)
    };
    let data_dir = startup::data_dir(&config, &env);
    // Every request to the API needs the install's token, loopback included.
    let (api_token, token_source) =
        orcha_server::token::load_or_create(&data_dir, &orcha_server::token::os_keyring(), &env)?;
    tracing::info!(source = %token_source, "API token ready (`orcha token show` prints it).");
    if !bind.is_loopback() {
        tracing::warn!(%bind, "The API is reachable from the network over plain HTTP; prefer 127.0.0.1 and an SSH tunnel.");
    }
    let deadline = Duration::from_secs(config.orchestrator.shutdown_deadline);
    let assembly = startup::assemble(config, secrets, &env, clock, demo)?;
    let state = assembly.state;
    match scratch_settings {
        Some(scratch) => state
            .settings
            .use_scratch(scratch)
            .context("cannot prepare the demo settings file")?,
        None => state.settings.use_file(config_path.clone()),
    }
    tracing::info!(config = %config_path.display(), database = %assembly.database.display(), nodes = state.nodes.len(), "Orcha starting.");

    let listener = tokio::net::TcpListener::bind(SocketAddr::new(bind, port))
        .await
        .with_context(|| format!("cannot listen on {bind}:{port}"))?;
    let addr = listener.local_addr()?;
    let metrics_listener = match server.metrics_listen.trim() {
        "" => None,
        at => {
            let at: SocketAddr = at.parse().context("server.metrics_listen")?;
            if !at.ip().is_loopback() {
                bail!("server.metrics_listen {at}: /metrics without a token is for loopback only");
            }
            Some(
                tokio::net::TcpListener::bind(at)
                    .await
                    .with_context(|| format!("cannot listen on {at} for /metrics"))?,
            )
        }
    };
    let ui_dir =
        ui_dir.or_else(|| Some(PathBuf::from("dist")).filter(|d| d.join("index.html").is_file()));
    let mut options = ServerOptions::new(api_token);
    options.ui_dir = ui_dir;
    options.allowed_hosts = server.allowed_hosts;
    options.metrics = metrics_listener.is_none();
    let login_code = options.auth.login_code();
    let router = orcha_server::router(Arc::clone(&state), options);
    {
        use std::io::Write;
        // The first stdout line is the address, so scripts and tests can find a port chosen with 0;
        // the second is the one-time link that logs a browser in (it works once, for 10 minutes).
        // One write, so a reader that takes the first line and closes the pipe gets both lines
        // in the pipe before it closes, and the second write cannot fail with EPIPE.
        let mut out = std::io::stdout().lock();
        out.write_all(
            format!("listening on http://{addr}\nlogin: http://{addr}/login?code={login_code}\n")
                .as_bytes(),
        )?;
        out.flush()?;
    }
    tracing::info!(%addr, "API listening.");

    let cancel = CancellationToken::new();
    if let Some(l) = metrics_listener {
        tracing::info!(addr = %l.local_addr()?, "Serving /metrics without a token on loopback.");
        tokio::spawn(orcha_server::serve(
            l,
            orcha_server::metrics_router(Arc::clone(&state)),
            cancel.child_token(),
        ));
    }
    let ml_engine = startup::start_ml_engine(&state, &env, cancel.child_token());
    let orchestrator = orcha_api::orchestrator::spawn(Arc::clone(&state), cancel.child_token());
    let server = tokio::spawn(orcha_server::serve(listener, router, cancel.child_token()));

    shutdown_signal().await;
    tracing::info!("Shutting down.");
    cancel.cancel();
    orchestrator.shutdown(deadline).await;
    if let Some(ml) = ml_engine {
        // The supervisor kills and reaps the engine once cancelled; give it the deadline.
        if tokio::time::timeout(deadline + Duration::from_secs(5), ml)
            .await
            .is_err()
        {
            tracing::warn!("The ML engine supervisor did not stop in time.");
        }
    }
    match tokio::time::timeout(deadline, server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => tracing::error!(error = %e, "The API server failed."),
        Ok(Err(e)) => tracing::error!(error = %e, "The API server task panicked."),
        Err(_) => tracing::warn!("The API server did not stop in time."),
    }
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    tracing::info!("Stopped.");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "Cannot listen for SIGTERM; only Ctrl-C stops Orcha.");
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
