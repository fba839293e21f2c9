//! Start-up and shutdown of a running Orcha: config → store → adapters → state → loop + server.
//!
//! Shared by `orcha serve` and the desktop shell, so both start the same way.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use orcha_adapters::{build_adapter, AdapterContext};
use orcha_api::metrics::Metrics;
use orcha_api::ml::MlClient;
use orcha_api::state::AppParts;
use orcha_api::{AppState, NodeRuntime};
use orcha_core::config::Config;
use orcha_core::secret::SecretStore;
use orcha_core::{Clock, SystemClock};
// Re-exported so the desktop shell can hold the locks without depending on the store.
pub use orcha_store::{DataDirLock, LockError};

/// Where the user's config file is: `CONFIG_PATH`, else the platform config directory.
pub fn config_path(explicit: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_owned();
    }
    if let Some(p) = env("CONFIG_PATH").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let base = env("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("depin-orcha").join("config.toml")
}

/// The data directory: `orchestrator.data_dir`, else the platform data directory.
pub fn data_dir(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if !config.orchestrator.data_dir.is_empty() {
        return PathBuf::from(&config.orchestrator.data_dir);
    }
    env("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("depin-orcha")
}

/// The database file: `storage.database` (or `DATABASE_URL`), else `<data_dir>/orcha.db`.
pub fn database_path(config: &Config, data_dir: &Path) -> PathBuf {
    if config.storage.database.is_empty() {
        data_dir.join("orcha.db")
    } else {
        PathBuf::from(&config.storage.database)
    }
}

/// One Orcha per data directory (`orcha_store::lock`), for either front door: takes the lock
/// of every directory in `dirs` — their `demo/` subdirectory for the demo, whose database and
/// simulated nodes are its own — or says which Orcha holds one. The desktop passes its own data
/// directory and the one `orcha serve` would use with the same config file, since both would
/// drive the nodes that file names. Hold the locks for the life of the process.
pub fn lock_data_dirs(
    dirs: &[PathBuf],
    demo: bool,
    who: &str,
) -> std::result::Result<Vec<DataDirLock>, LockError> {
    let mut held: Vec<DataDirLock> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let dir = if demo { dir.join("demo") } else { dir.clone() };
        if seen.contains(&dir) {
            continue;
        }
        held.push(DataDirLock::acquire(&dir, who)?);
        seen.push(dir);
    }
    Ok(held)
}

/// Loads the configuration with the documented environment overrides applied.
pub fn load_config(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Config, PathBuf)> {
    let path = config_path(explicit, env);
    let mut config = Config::load(&path)?;
    config.apply_env(env);
    Ok((config, path))
}

/// Everything a running Orcha is made of, before its tasks start.
pub struct Assembly {
    pub state: Arc<AppState>,
    pub database: PathBuf,
}

/// Opens the store and builds one adapter per configured node.
pub fn assemble(
    config: Config,
    secrets: Arc<dyn SecretStore>,
    env: &dyn Fn(&str) -> Option<String>,
    clock: Arc<dyn Clock>,
    demo: bool,
) -> Result<Assembly> {
    let dir = data_dir(&config, env);
    let database = database_path(&config, &dir);
    // Encrypted or plain, the file tells; both front doors come through here.
    let store = crate::db_key::open_store(&database, secrets.as_ref(), &dir)
        .with_context(|| format!("cannot open the database {}", database.display()))?;
    let mut switches = store
        .latest_audited("auto_apply:")
        .context("cannot read the operator's auto-apply switches")?;
    switches.extend(
        store
            .latest_audited("automation.paused")
            .context("cannot read the operator's pause switch")?,
    );
    let timeout = Duration::from_secs(config.orchestrator.poll_timeout);
    let mut nodes = Vec::new();
    {
        let ctx = AdapterContext {
            config: &config,
            secrets: secrets.as_ref(),
            env,
            timeout,
            clock: Arc::clone(&clock),
        };
        for node in config.nodes() {
            let adapter = build_adapter(&node, &ctx)
                .with_context(|| format!("cannot set up node {}", node.id))?;
            nodes.push(Arc::new(NodeRuntime::new(node, adapter)));
        }
    }
    let ml = MlClient::new(
        Some(config.ml.url.clone()).filter(|u| !u.is_empty()),
        Duration::from_secs(config.ml.request_timeout),
    );
    let state = AppState::new(AppParts {
        config,
        store,
        secrets,
        clock,
        metrics: Metrics::new(),
        nodes,
        ml,
        demo,
    });
    state.restore_switches(&switches);
    Ok(Assembly { state, database })
}

/// Starts and supervises the ML engine unless an external one is configured (`ml.url`).
/// Returns the supervisor's task, which ends after `cancel` fires and the engine is stopped.
pub fn start_ml_engine(
    state: &Arc<AppState>,
    env: &dyn Fn(&str) -> Option<String>,
    cancel: tokio_util::sync::CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    if !state.config.ml.url.is_empty() {
        tracing::info!(url = %state.config.ml.url, "Using an external ML engine.");
        return None;
    }
    match orcha_api::sidecar::locate_engine(&state.config.ml.command, env) {
        Ok(command) => {
            let model_dir = data_dir(&state.config, env).join("models");
            tracing::info!(command = %command.display(), "Starting the ML engine.");
            let config = orcha_api::sidecar::SidecarConfig::new(command, model_dir);
            Some(tokio::spawn(orcha_api::sidecar::supervise(
                Arc::clone(state),
                config,
                cancel,
            )))
        }
        Err(reason) => {
            tracing::warn!(%reason, "No ML engine; predictions and allocation stay off.");
            state.set_ml_status(false, reason);
            None
        }
    }
}

/// The system clock as the shared trait object.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// Desktop logging: JSON lines (key/value fields) to `<data_dir>/logs/orcha.log.<date>`, rotated
/// daily with the last 7 files kept, level from `RUST_LOG` (default `info`). Keep the returned
/// guard alive for the life of the app: dropping it flushes and stops the writer thread.
pub fn init_file_logging(data_dir: &Path) -> Result<tracing_appender::non_blocking::WorkerGuard> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("orcha.log")
        .max_log_files(7)
        .build(&dir)
        .with_context(|| format!("cannot open a log file in {}", dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .json()
        .flatten_event(true)
        .try_init()
        .map_err(|e| anyhow::anyhow!("logging is already set up: {e}"))?;
    Ok(guard)
}
