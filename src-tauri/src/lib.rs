//! The desktop shell: window, tray, Tauri commands (one-liners over `orcha_api::ops`) and the
//! bridge that forwards domain events to the window as Tauri events.
//!
//! Everything else — the orchestrator, store, adapters — is the same code `orcha serve` runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use orcha_api::dto::Event;
use orcha_api::keyring::OsKeyring;
use orcha_api::{ops, AppState};
use orcha_server::startup;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, RunEvent, WindowEvent};
use tokio_util::sync::CancellationToken;

/// The Tauri commands: each is one line over the API function of the same name.
pub mod commands {
    use std::sync::Arc;

    use orcha_api::dto::*;
    use orcha_api::{ops, AppState};

    type S<'a> = tauri::State<'a, Arc<AppState>>;

    #[tauri::command]
    pub async fn status(s: S<'_>) -> Result<StatusDto, ApiError> {
        ops::status(&s).await
    }
    #[tauri::command]
    pub async fn nodes(s: S<'_>) -> Result<Vec<NodeDto>, ApiError> {
        ops::nodes(&s).await
    }
    #[tauri::command]
    pub async fn series(s: S<'_>, q: SeriesQuery) -> Result<SeriesDto, ApiError> {
        ops::series(&s, q).await
    }
    #[tauri::command]
    pub async fn earnings_history(
        s: S<'_>,
        q: EarningsHistoryQuery,
    ) -> Result<EarningsHistoryDto, ApiError> {
        ops::earnings_history(&s, q).await
    }
    #[tauri::command]
    pub async fn decisions(s: S<'_>, limit: u32) -> Result<Vec<DecisionDto>, ApiError> {
        ops::decisions(&s, limit).await
    }
    #[tauri::command]
    pub async fn latest_cycle(s: S<'_>) -> Result<Option<CycleDto>, ApiError> {
        ops::latest_cycle(&s).await
    }
    #[tauri::command]
    pub async fn alerts(s: S<'_>, q: AlertQuery) -> Result<Vec<AlertDto>, ApiError> {
        ops::alerts(&s, q).await
    }
    #[tauri::command]
    pub async fn acknowledge_alert(s: S<'_>, id: i64) -> Result<(), ApiError> {
        ops::acknowledge_alert(&s, id).await
    }
    #[tauri::command]
    pub async fn run_cycle_now(s: S<'_>) -> Result<(), ApiError> {
        ops::run_cycle_now(&s).await
    }
    #[tauri::command]
    pub async fn set_paused(s: S<'_>, req: PauseRequest) -> Result<StatusDto, ApiError> {
        ops::set_paused(&s, req).await
    }
    #[tauri::command]
    pub async fn allocation(s: S<'_>) -> Result<AllocationDto, ApiError> {
        ops::allocation(&s).await
    }
    #[tauri::command]
    pub async fn approve_plan(
        s: S<'_>,
        req: ApprovePlanRequest,
    ) -> Result<ApplyResultDto, ApiError> {
        ops::approve_plan(&s, req).await
    }
    #[tauri::command]
    pub async fn set_auto_apply(
        s: S<'_>,
        req: AutoApplyRequest,
    ) -> Result<AutoApplyRequest, ApiError> {
        ops::set_auto_apply(&s, req).await
    }
    #[tauri::command]
    pub async fn what_if(s: S<'_>, req: WhatIfRequest) -> Result<WhatIfDto, ApiError> {
        ops::what_if(&s, req).await
    }
    #[tauri::command]
    pub async fn forecast(s: S<'_>, q: ForecastQuery) -> Result<ForecastDto, ApiError> {
        ops::forecast(&s, &q.node, q.hours).await
    }
    #[tauri::command]
    pub async fn prices(s: S<'_>) -> Result<PricesDto, ApiError> {
        ops::prices(&s).await
    }
    #[tauri::command]
    pub async fn earnings_totals(s: S<'_>) -> Result<EarningsTotalsDto, ApiError> {
        ops::earnings_totals(&s).await
    }
    #[tauri::command]
    pub async fn secret_status(s: S<'_>, key: String) -> Result<SecretStatusDto, ApiError> {
        ops::secret_status(&s, key).await
    }
    #[tauri::command]
    pub async fn set_secret(s: S<'_>, req: SetSecretRequest) -> Result<SecretStatusDto, ApiError> {
        ops::set_secret(&s, req).await
    }
    #[tauri::command]
    pub async fn delete_secret(s: S<'_>, key: String) -> Result<SecretStatusDto, ApiError> {
        ops::delete_secret(&s, key).await
    }
    #[tauri::command]
    pub async fn settings(s: S<'_>) -> Result<SettingsDto, ApiError> {
        ops::settings(&s).await
    }
    #[tauri::command]
    pub async fn update_settings(
        s: S<'_>,
        req: SettingsValuesDto,
    ) -> Result<SettingsSavedDto, ApiError> {
        ops::update_settings(&s, req).await
    }
    #[tauri::command]
    pub async fn alert_channels(s: S<'_>) -> Result<Vec<AlertChannelDto>, ApiError> {
        ops::alert_channels(&s).await
    }
    #[tauri::command]
    pub async fn send_test_alert(s: S<'_>) -> Result<Vec<AlertChannelDto>, ApiError> {
        ops::send_test_alert(&s).await
    }
    #[tauri::command]
    pub async fn alert_secret_status(s: S<'_>, key: String) -> Result<SecretStatusDto, ApiError> {
        ops::alert_secret_status(&s, key).await
    }
    #[tauri::command]
    pub async fn set_alert_secret(
        s: S<'_>,
        req: SetSecretRequest,
    ) -> Result<SecretStatusDto, ApiError> {
        ops::set_alert_secret(&s, req).await
    }
    #[tauri::command]
    pub async fn delete_alert_secret(s: S<'_>, key: String) -> Result<SecretStatusDto, ApiError> {
        ops::delete_alert_secret(&s, key).await
    }
}

/// Commands of the desktop shell itself (no `ops` behind them): they restart the app.
pub mod shell {
    use orcha_api::dto::{ApiError, ErrorCode};
    use tauri::{AppHandle, Manager, Runtime};

    use crate::LaunchMode;

    /// Restarts into the demo (`on`) or back to the operator's nodes. The choice is kept in the
    /// data directory, so it also holds for the next launch until the operator leaves the demo.
    #[tauri::command]
    pub async fn switch_demo<R: Runtime>(app: AppHandle<R>, on: bool) -> Result<(), ApiError> {
        let Some(mode) = app.try_state::<LaunchMode>() else {
            return Err(ApiError::new(
                ErrorCode::Unavailable,
                "the app has not finished starting",
            ));
        };
        if !on && mode.forced {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "the app was started with --demo (or ORCHA_DEMO=1); start it without that to leave the demo",
            ));
        }
        mode.remember(on).map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("cannot write {}: {e}", mode.file.display()),
            )
        })?;
        // Through the exit flow, so the orchestrator and the ML engine stop before the restart.
        app.request_restart();
        Ok(())
    }

    /// Restarts the app, e.g. after settings that only take effect at start were saved.
    #[tauri::command]
    pub async fn restart_app<R: Runtime>(app: AppHandle<R>) -> Result<(), ApiError> {
        app.request_restart();
        Ok(())
    }
}

/// How the app starts next: in the demo, or on the operator's nodes.
pub struct LaunchMode {
    /// `<data dir>/launch-mode`, holding `demo` while the operator is trying the demo.
    file: std::path::PathBuf,
    /// Started with `--demo` or `ORCHA_DEMO=1`, which the window cannot undo.
    forced: bool,
}

impl LaunchMode {
    fn new(data_dir: &std::path::Path, forced: bool) -> Self {
        LaunchMode {
            file: data_dir.join("launch-mode"),
            forced,
        }
    }

    /// Whether the operator chose the demo from the window last time.
    fn demo_chosen(&self) -> bool {
        std::fs::read_to_string(&self.file).is_ok_and(|s| s.trim() == "demo")
    }

    fn remember(&self, demo: bool) -> std::io::Result<()> {
        if demo {
            if let Some(dir) = self.file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&self.file, "demo\n")
        } else {
            match std::fs::remove_file(&self.file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        }
    }
}

/// Registers the commands; shared by the app and the mock-runtime tests.
pub fn configure<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::status,
        commands::nodes,
        commands::series,
        commands::earnings_history,
        commands::decisions,
        commands::latest_cycle,
        commands::alerts,
        commands::acknowledge_alert,
        commands::run_cycle_now,
        commands::set_paused,
        commands::allocation,
        commands::approve_plan,
        commands::set_auto_apply,
        commands::what_if,
        commands::forecast,
        commands::prices,
        commands::earnings_totals,
        commands::secret_status,
        commands::set_secret,
        commands::delete_secret,
        commands::settings,
        commands::update_settings,
        commands::alert_channels,
        commands::send_test_alert,
        commands::alert_secret_status,
        commands::set_alert_secret,
        commands::delete_alert_secret,
        shell::switch_demo,
        shell::restart_app,
    ])
}

/// The event's payload as the window receives it: the same DTO the WebSocket carries.
pub fn event_payload(event: &Event) -> serde_json::Value {
    serde_json::to_value(event)
        .ok()
        .and_then(|mut v| v.get_mut("payload").map(serde_json::Value::take))
        .unwrap_or_default()
}

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

/// Serves `/metrics` on 127.0.0.1:`port` until `cancel` fires, when the operator set
/// `orchestrator.metrics_port` (off by default). The desktop app has no other HTTP listener.
async fn serve_metrics(state: Arc<AppState>, port: u16, cancel: CancellationToken) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(%addr, error = %e, "Cannot serve /metrics; is the port in use?");
            return;
        }
    };
    tracing::info!(%addr, "Serving /metrics.");
    let router = orcha_server::metrics_router(state);
    if let Err(e) = orcha_server::serve(listener, router, cancel).await {
        tracing::error!(error = %e, "The /metrics listener failed.");
    }
}

/// The overall state the tray icon shows, worst first.
fn tray_state(state: &AppState) -> (&'static [u8], String) {
    let total = state.nodes.len();
    let lives: Vec<_> = state.nodes.iter().map(|n| n.live()).collect();
    let down = lives
        .iter()
        .filter(|l| {
            matches!(
                l.health,
                Some((orcha_core::HealthStatus::Unreachable(_), _))
            )
        })
        .count();
    let degraded = lives
        .iter()
        .filter(|l| matches!(l.health, Some((orcha_core::HealthStatus::Degraded(_), _))))
        .count();
    let ml = state.ml_status();
    let next = state
        .next_cycle_at()
        .map(|t| t.format("%H:%M UTC").to_string())
        .unwrap_or_else(|| "not scheduled".into());
    let paused = if state.paused() {
        " · automation paused"
    } else {
        ""
    };
    let (icon, summary): (&[u8], String) = if down > 0 {
        (
            include_bytes!("../../icons/tray-down.png"),
            format!("{down} of {total} nodes down"),
        )
    } else if degraded > 0 {
        (
            include_bytes!("../../icons/tray-degraded.png"),
            format!("{degraded} of {total} nodes degraded"),
        )
    } else if !ml.available {
        (
            include_bytes!("../../icons/tray-ml-down.png"),
            format!("{total} nodes; ML engine unavailable"),
        )
    } else {
        (
            include_bytes!("../../icons/tray-healthy.png"),
            format!("all {total} nodes healthy"),
        )
    };
    (icon, format!("{summary} · next cycle {next}{paused}"))
}

/// The tray menu's first line (disabled): today's earnings, node health and the next cycle.
struct TrayInfo(MenuItem<tauri::Wry>);

/// "Today: 1.23 USD" over all nodes, or why there is no fiat figure.
async fn today_line(state: &Arc<AppState>) -> String {
    let totals = match ops::earnings_totals(state).await {
        Ok(t) => t,
        Err(e) => return format!("Today: unknown ({})", e.message),
    };
    let Some(today) = totals.overall.iter().find(|w| w.window == "today") else {
        return "Today: not enough readings yet".to_owned();
    };
    let fiat = totals.fiat.to_uppercase();
    let unpriced = if today.unpriced.is_empty() {
        String::new()
    } else {
        " + unpriced tokens".to_owned()
    };
    match &today.fiat.value {
        Some(v) => format!("Today: {} {fiat}{unpriced}", two_places(v)),
        None if today.amounts.is_empty() => "Today: not enough readings yet".to_owned(),
        None => format!("Today: no {fiat} price for what was earned"),
    }
}

/// An exact decimal string cut to two places for the tray (the dashboard shows it exactly).
fn two_places(v: &str) -> String {
    match v.split_once('.') {
        Some((int, frac)) => format!("{int}.{:0<2}", &frac[..frac.len().min(2)]),
        None => format!("{v}.00"),
    }
}

fn build_tray(app: &AppHandle) -> tauri::Result<()> {
    let info = MenuItem::with_id(app, "info", "DePIN Orcha — starting", false, None::<&str>)?;
    let top = PredefinedMenuItem::separator(app)?;
    app.manage(TrayInfo(info.clone()));
    let open = MenuItem::with_id(app, "open", "Open dashboard", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause automation", true, None::<&str>)?;
    let cycle = MenuItem::with_id(app, "cycle", "Run a cycle now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit DePIN Orcha", true, None::<&str>)?;
    let sep = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&info, &top, &open, &pause, &cycle, &sep, &quit])?;
    let pause_item = pause.clone();
    TrayIconBuilder::with_id("main")
        .icon(Image::from_bytes(include_bytes!("../../icons/tray-ml-down.png"))?)
        .tooltip("DePIN Orcha — starting")
        .menu(&menu)
        .on_menu_event(move |app, ev| {
            let state = app.state::<Arc<AppState>>().inner().clone();
            match ev.id.as_ref() {
                "open" => show_main(app),
                "pause" => {
                    let paused = !state.paused();
                    let _ = pause_item.set_text(if paused { "Resume automation" } else { "Pause automation" });
                    tauri::async_runtime::spawn(async move {
                        if let Err(e) = ops::set_paused(&state, orcha_api::dto::PauseRequest { paused }).await {
                            tracing::error!(error = %e.message, "Could not change automation from the tray.");
                        }
                    });
                }
                "cycle" => state.cycle_now.notify_one(),
                "quit" => app.exit(0),
                _ => {}
            }
        })
        .build(app)?;
    Ok(())
}

fn show_main(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Shows a desktop notification for a newly opened alert (not for clears or acknowledgements).
fn notify(app: &AppHandle, alert: &orcha_api::dto::AlertDto) {
    use tauri_plugin_notification::NotificationExt;
    if alert.cleared_at.is_some() || alert.acknowledged_at.is_some() {
        return;
    }
    let node = alert
        .node
        .as_deref()
        .map(|n| format!(" on {n}"))
        .unwrap_or_default();
    let shown = app
        .notification()
        .builder()
        .title(format!(
            "DePIN Orcha: {}{node}",
            alert.rule.replace('_', " ")
        ))
        .body(alert.message.clone())
        .show();
    // Without a notification daemon (a headless box) the alert is still in the app and the log.
    if let Err(e) = shown {
        tracing::debug!(error = %e, "Could not show a desktop notification.");
    }
}

/// Forwards every event to the window and keeps the tray in step with the nodes.
async fn bridge(app: AppHandle, state: Arc<AppState>, cancel: CancellationToken) {
    let mut rx = state.subscribe();
    let mut refresh = tokio::time::interval(Duration::from_secs(5));
    let (mut ticks, mut today) = (0u64, String::from("Today: …"));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            msg = rx.recv() => match msg {
                Ok(event) => {
                    if let Event::Alert(alert) = &event {
                        notify(&app, alert);
                    }
                    if let Err(e) = app.emit(event.name(), event_payload(&event)) {
                        tracing::warn!(error = %e, "Could not forward an event to the window.");
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => tracing::warn!(skipped = n, "The window fell behind; events were skipped."),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            _ = refresh.tick() => {
                let (icon, summary) = tray_state(&state);
                // Earnings change with polls, not every tick; a few queries every 30 s is enough.
                if ticks % 6 == 0 {
                    today = today_line(&state).await;
                }
                ticks += 1;
                if let Some(tray) = app.tray_by_id("main") {
                    if let Ok(img) = Image::from_bytes(icon) {
                        let _ = tray.set_icon(Some(img));
                    }
                    let _ = tray.set_tooltip(Some(format!("{today} · {summary}")));
                }
                // Linux panels show no tooltips (StatusNotifierItem through libayatana has none),
                // so the same facts head the tray menu.
                if let Some(info) = app.try_state::<TrayInfo>() {
                    let _ = info.0.set_text(format!("{today} · {summary}"));
                }
            }
        }
    }
}

fn start(app: &tauri::App) -> anyhow::Result<()> {
    let (mut config, config_path) = startup::load_config(None, &env)?;
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
    let scratch_settings = demo.then(|| {
        std::path::PathBuf::from(&config.orchestrator.data_dir)
            .join("demo")
            .join("settings.toml")
    });
    let (config, secrets, clock, sim) = if demo {
        let data_dir = std::path::PathBuf::from(&config.orchestrator.data_dir);
        let options = orcha_server::demo::DemoOptions::default();
        let d = tauri::async_runtime::block_on(orcha_server::demo::start(
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
    build_tray(app.handle())?;
    let cancel = CancellationToken::new();
    let (handle, st, c) = (app.handle().clone(), Arc::clone(&state), cancel.clone());
    let task = tauri::async_runtime::spawn(async move {
        let ml_engine = startup::start_ml_engine(&st, &env, c.child_token());
        let orchestrator = orcha_api::orchestrator::spawn(Arc::clone(&st), c.child_token());
        let metrics = (metrics_port != 0).then(|| {
            tokio::spawn(serve_metrics(
                Arc::clone(&st),
                metrics_port,
                c.child_token(),
            ))
        });
        bridge(handle, st, c.clone()).await;
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
    use super::*;
    use orcha_api::metrics::Metrics;
    use orcha_api::ml::MlClient;
    use orcha_api::state::AppParts;

    fn invoke(
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

    #[test]
    fn commands_answer_through_ipc_with_the_api_layer_shapes() {
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
    fn the_tray_shows_money_to_two_places_without_rounding_up() {
        assert_eq!(two_places("1.23456"), "1.23");
        assert_eq!(two_places("1.5"), "1.50");
        assert_eq!(two_places("7"), "7.00");
        assert_eq!(two_places("0.009"), "0.00");
    }

    #[test]
    fn the_demo_choice_is_remembered_until_the_operator_leaves_it() {
        let dir = tempfile::tempdir().unwrap();
        let mode = LaunchMode::new(&dir.path().join("data"), false);
        assert!(!mode.demo_chosen(), "a first launch is not the demo");
        mode.remember(true).unwrap();
        assert!(LaunchMode::new(&dir.path().join("data"), false).demo_chosen());
        mode.remember(false).unwrap();
        assert!(!mode.demo_chosen());
        // Leaving twice is not an error.
        mode.remember(false).unwrap();
    }

    #[test]
    fn switching_the_demo_before_start_up_is_a_clear_error() {
        let app = configure(tauri::test::mock_builder())
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

    #[test]
    fn events_carry_the_websocket_payload() {
        let e = Event::Automation(orcha_api::dto::AutomationEventDto {
            paused: true,
            at: chrono_now(),
        });
        assert_eq!(e.name(), "automation");
        assert_eq!(event_payload(&e)["paused"], true);
    }

    fn chrono_now() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
}
