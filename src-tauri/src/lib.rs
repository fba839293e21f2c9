//! The desktop shell: start-up, the window's life cycle and shutdown. The Tauri commands
//! (`commands`, generated from the operation table), the tray (`tray`), the event bridge
//! (`bridge`) and the shell's own commands (`shell`) live in their modules.
//!
//! Everything else — the orchestrator, store, adapters — is the same code `orcha serve` runs,
//! assembled by `orcha-app`.

pub mod autostart;
pub mod bridge;
pub mod commands;
pub mod shell;
pub mod tray;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use orcha_api::keyring::OsKeyring;
use orcha_app::startup;
use tauri::{Manager, RunEvent, WindowEvent};
use tokio_util::sync::CancellationToken;

pub use bridge::event_payload;
pub use commands::configure;
use shell::{show_main, LaunchMode};

/// The running orchestrator's stop switch, kept in Tauri's state until exit.
struct Running {
    cancel: CancellationToken,
    task: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    deadline: Duration,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The file logger's writer guard, kept in Tauri's state so buffered lines are flushed on exit.
struct LogGuard<G> {
    _guard: G,
}

/// Desktop logs go to rotating JSON files under `<data_dir>/logs` (a desktop user has no
/// terminal); if that directory cannot be used, to standard error instead.
fn init_logging(app: &tauri::App, data_dir: &std::path::Path) {
    match startup::init_file_logging(data_dir) {
        Ok(guard) => {
            app.manage(LogGuard { _guard: guard });
        }
        Err(e) => {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
            tracing::warn!(error = %format!("{e:#}"), "No log file; logging to standard error.");
        }
    }
}

/// The data-directory locks of this process (`startup::lock_data_dirs`), kept in Tauri's state
/// so they live as long as the app.
struct DataDirLocks {
    _held: Vec<startup::DataDirLock>,
}

fn start(app: &tauri::App) -> anyhow::Result<()> {
    let (mut config, config_path) = startup::load_config(None, &env)?;
    // Where `orcha serve` would keep its data with this same config file (and so drive the
    // same nodes): locked below together with the desktop's own directory.
    let serve_dir = startup::data_dir(&config, &env);
    if config.orchestrator.data_dir.is_empty() {
        config.orchestrator.data_dir = app.path().app_data_dir()?.display().to_string();
    }
    init_logging(app, std::path::Path::new(&config.orchestrator.data_dir));
    let metrics_port = config.orchestrator.metrics_port;
    let deadline = Duration::from_secs(config.orchestrator.shutdown_deadline);
    // `--demo` (or ORCHA_DEMO=1) runs against the built-in simulator with its own database.
    let forced =
        std::env::args().any(|a| a == "--demo") || env("ORCHA_DEMO").is_some_and(|v| v == "1");
    let launch = LaunchMode::new(std::path::Path::new(&config.orchestrator.data_dir), forced);
    let demo = forced || launch.demo_chosen();
    // One Orcha per data directory: refused, naming the holder, while `orcha serve` (or another
    // desktop) drives these nodes and this database. Held until the process exits.
    let locks = startup::lock_data_dirs(
        &[
            std::path::PathBuf::from(&config.orchestrator.data_dir),
            serve_dir,
        ],
        demo,
        "desktop",
    )
    .inspect_err(|e| tracing::error!(error = %e, "Another Orcha drives this data directory."))?;
    app.manage(DataDirLocks { _held: locks });
    let scratch_settings = demo.then(|| {
        std::path::PathBuf::from(&config.orchestrator.data_dir)
            .join("demo")
            .join("settings.toml")
    });
    let (config, secrets, clock, sim) = if demo {
        let data_dir = std::path::PathBuf::from(&config.orchestrator.data_dir);
        let options = orcha_app::demo::DemoOptions::default();
        let d = tauri::async_runtime::block_on(orcha_app::demo::start(
            &config, &data_dir, None, &options,
        ))?;
        (d.config, d.secrets, d.clock, Some(d.sim))
    } else {
        let keyring: Arc<dyn orcha_core::secret::SecretStore> = Arc::new(OsKeyring::new());
        (config, keyring, startup::system_clock(), None)
    };
    let assembly = startup::assemble(config, secrets, &env, clock, demo)?;
    let state = assembly.state;
    // Settings are saved to the operator's file; the demo, which has none, to a scratch file.
    match scratch_settings {
        Some(scratch) => state.settings.use_scratch(scratch)?,
        None => state.settings.use_file(config_path),
    }
    tracing::info!(database = %assembly.database.display(), nodes = state.nodes.len(), "Desktop app starting.");
    app.manage(Arc::clone(&state));
    app.manage(launch);
    tray::build_tray(app.handle())?;
    // The window is created hidden (tauri.conf.json) so a session autostart stays in the tray.
    if !autostart::started_minimized(std::env::args()) {
        show_main(app.handle());
    }
    let cancel = CancellationToken::new();
    let (handle, st, c) = (app.handle().clone(), Arc::clone(&state), cancel.clone());
    let task = tauri::async_runtime::spawn(async move {
        let ml_engine = startup::start_ml_engine(&st, &env, c.child_token());
        let orchestrator = orcha_api::orchestrator::spawn(Arc::clone(&st), c.child_token());
        let metrics = (metrics_port != 0).then(|| {
            tokio::spawn(orcha_app::metrics_listener::serve_loopback(
                Arc::clone(&st),
                metrics_port,
                c.child_token(),
            ))
        });
        bridge::bridge(handle, st, c.clone()).await;
        orchestrator.shutdown(deadline).await;
        if let Some(m) = metrics {
            // Cancelled with the rest; graceful shutdown waits for open scrapes up to the deadline.
            if tokio::time::timeout(deadline, m).await.is_err() {
                tracing::warn!("The /metrics listener did not stop in time.");
            }
        }
        if let Some(ml) = ml_engine {
            // The supervisor stops and reaps the engine once cancelled.
            let _ = tokio::time::timeout(deadline + Duration::from_secs(5), ml).await;
        }
        if let Some(sim) = sim {
            sim.shutdown().await;
        }
    });
    app.manage(Running {
        cancel,
        task: Mutex::new(Some(task)),
        deadline,
    });
    Ok(())
}

pub fn run() {
    // Logging starts in `start`, once the data directory (where the log files go) is known.
    // A second launch focuses the running window instead of starting another orchestrator on
    // the same database.
    let app = configure(tauri::Builder::default())
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            show_main(app)
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(autostart::plugin())
        .setup(|app| start(app).map_err(|e| format!("{e:#}").into()))
        .on_window_event(|window, event| {
            // Closing the window keeps Orcha running in the tray; Quit in the tray menu exits.
            if let WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(a) => a,
        Err(e) => {
            eprintln!("depin-orcha: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            if let Some(running) = handle.try_state::<Running>() {
                running.cancel.cancel();
                let task = running
                    .task
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                if let Some(task) = task {
                    let deadline = running.deadline + Duration::from_secs(1);
                    let _ = tauri::async_runtime::block_on(async {
                        tokio::time::timeout(deadline, task).await
                    });
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use orcha_api::metrics::Metrics;
    use orcha_api::ml::MlClient;
    use orcha_api::state::AppParts;
    use orcha_api::AppState;

    /// Calls a command as the window would, answering its JSON or its error.
    pub(crate) fn invoke(
        webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
        cmd: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        tauri::test::get_ipc_response(
            webview,
            tauri::webview::InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: tauri::ipc::InvokeBody::Json(body),
                headers: Default::default(),
                invoke_key: tauri::test::INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<serde_json::Value>().unwrap())
    }

    /// A mock-runtime app with an empty state and its window.
    fn mock_app() -> (
        tempfile::TempDir,
        tauri::App<tauri::test::MockRuntime>,
        tauri::WebviewWindow<tauri::test::MockRuntime>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(AppParts {
            config: orcha_core::config::Config::default(),
            store: orcha_store::Store::open(&dir.path().join("orcha.db")).unwrap(),
            secrets: Arc::new(orcha_core::secret::MemorySecretStore::default()),
            clock: Arc::new(orcha_core::SystemClock),
            metrics: Metrics::new(),
            nodes: vec![],
            ml: MlClient::new(None, Duration::from_secs(1)),
            demo: false,
        });
        let app = configure(tauri::test::mock_builder())
            .manage(state)
            .build(tauri::test::mock_context(tauri::test::noop_assets()))
            .unwrap();
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        (dir, app, webview)
    }

    #[test]
    fn commands_answer_through_ipc_with_the_api_layer_shapes() {
        let (_dir, _app, webview) = mock_app();
        let status = invoke(&webview, "status", serde_json::json!({})).unwrap();
        assert_eq!(status["nodes_total"], 0);
        assert_eq!(status["ml"]["available"], false);
        let err = invoke(&webview, "decisions", serde_json::json!({ "limit": 0 })).unwrap_err();
        assert_eq!(err["code"], "bad_request", "{err}");
        assert_eq!(err["field"], "limit");
        let ok = invoke(
            &webview,
            "set_secret",
            serde_json::json!({ "req": { "key": "golem:main/app_key", "value": "k" } }),
        )
        .unwrap();
        assert_eq!(ok["stored"], true);
    }

    #[test]
    fn every_operation_of_the_table_is_a_command() {
        let (_dir, _app, webview) = mock_app();
        for op in orcha_api::operations::OPERATIONS {
            // Without its argument a command fails on the argument, never as an unknown command.
            if let Err(e) = invoke(&webview, op.name, serde_json::json!({})) {
                let text = e.to_string();
                assert!(
                    !text.contains("not found") || e["code"].is_string(),
                    "{}: {text}",
                    op.name
                );
            }
        }
    }

    #[test]
    fn switching_the_demo_before_start_up_is_a_clear_error() {
        let app = crate::commands::configure(tauri::test::mock_builder())
            .build(tauri::test::mock_context(tauri::test::noop_assets()))
            .unwrap();
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        let err = invoke(&webview, "switch_demo", serde_json::json!({ "on": true })).unwrap_err();
        assert_eq!(err["code"], "unavailable", "{err}");
        assert!(err["message"]
            .as_str()
            .unwrap()
            .contains("not finished starting"));
    }
}
