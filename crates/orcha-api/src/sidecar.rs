//! Supervision of the ML engine sidecar: start it, learn its port, health-check it, restart it
//! with exponential back-off when it dies or hangs, and stop it on shutdown.
//!
//! The engine is started as `orcha-ml serve --host 127.0.0.1 --port 0`; its first stdout line is
//! `listening on <port>`. The child is killed when its handle drops, so an aborted supervisor
//! never leaves an orphan behind.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// How the sidecar is run and watched.
#[derive(Debug, Clone)]
pub struct SidecarConfig {
    /// The `orcha-ml` executable.
    pub command: PathBuf,
    /// Where the engine keeps trained models.
    pub model_dir: PathBuf,
    /// Time allowed from spawn to the first healthy answer.
    pub start_timeout: Duration,
    pub health_interval: Duration,
    /// Consecutive failed health checks after which a running engine counts as hung.
    pub max_failed_checks: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// The running engine's process id (0 while none runs), for status and tests.
    pub pid: Arc<AtomicU32>,
}

impl SidecarConfig {
    pub fn new(command: PathBuf, model_dir: PathBuf) -> Self {
        SidecarConfig {
            command,
            model_dir,
            start_timeout: Duration::from_secs(60),
            health_interval: Duration::from_secs(10),
            max_failed_checks: 3,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            pid: Arc::new(AtomicU32::new(0)),
        }
    }
}

/// Finds the engine: the configured command, `ORCHA_ML_COMMAND`, a bundled `orcha-ml` next to
/// the executable, the development venv (`ml-engine/.venv/bin/orcha-ml`) near the executable or
/// the working directory, then `orcha-ml` on `PATH`.
pub fn locate_engine(
    configured: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PathBuf, String> {
    if !configured.is_empty() {
        let p = PathBuf::from(configured);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("ml.command {configured:?} does not exist"))
        };
    }
    if let Some(p) = env("ORCHA_ML_COMMAND").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("ORCHA_ML_COMMAND {} does not exist", p.display()))
        };
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        candidates.push(dir.join("orcha-ml"));
        candidates.push(dir.join("orcha-ml").join("orcha-ml"));
        for up in dir.ancestors().take(4) {
            candidates.push(up.join("ml-engine/.venv/bin/orcha-ml"));
        }
    }
    if let Ok(cwd) = std::env::current_dir() {
        candidates.push(cwd.join("ml-engine/.venv/bin/orcha-ml"));
    }
    if let Some(path) = env("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join("orcha-ml")));
    }
    candidates
        .iter()
        .find(|c| c.is_file())
        .cloned()
        .ok_or_else(|| "the ML engine is not installed (no orcha-ml found; run ml-engine/scripts/install.sh or set ml.command)".to_owned())
}

/// Runs the engine until `cancel` fires, restarting it with back-off whenever it stops or hangs.
pub async fn supervise(state: Arc<AppState>, config: SidecarConfig, cancel: CancellationToken) {
    let mut backoff = config.first_backoff;
    let mut restarts = 0u32;
    loop {
        // run_once handles cancellation itself, so the engine is always reaped before we go on.
        let ran_healthy = run_once(&state, &config, &cancel).await;
        state.ml.set_base(None);
        if cancel.is_cancelled() {
            break;
        }
        if ran_healthy {
            // A sidecar that ran fine for a while starts over with the short back-off.
            backoff = config.first_backoff;
        }
        restarts += 1;
        state.report_ml_status(
            false,
            format!(
                "ML engine stopped; restart #{restarts} in {} s",
                backoff.as_secs_f32()
            ),
        );
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(config.max_backoff);
    }
    state.ml.set_base(None);
    state.report_ml_status(false, "ML engine stopped with the app".to_owned());
}

/// Starts one engine process and watches it; returns whether it ever became healthy. The child
/// is stopped before this returns (or killed on drop if this future is dropped).
/// A fresh secret for one engine start: 32 random bytes from the OS, hex-encoded.
fn new_secret() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| format!("no randomness for the engine's secret: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

async fn run_once(state: &AppState, config: &SidecarConfig, cancel: &CancellationToken) -> bool {
    let secret = match new_secret() {
        Ok(s) => s,
        Err(e) => {
            state.report_ml_status(false, e);
            return false;
        }
    };
    let mut child = match Command::new(&config.command)
        // `--exit-with-parent`: a killed app cannot stop its child, so the engine watches for it.
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--exit-with-parent",
        ])
        .env("ORCHA_ML_MODEL_DIR", &config.model_dir)
        // Through the environment, never argv: other local users can read a process's argv.
        .env("ORCHA_ML_SECRET", &secret)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            state.report_ml_status(
                false,
                format!(
                    "cannot start the ML engine {}: {e}",
                    config.command.display()
                ),
            );
            return false;
        }
    };
    let pid = child.id().unwrap_or_default();
    config.pid.store(pid, Ordering::SeqCst);
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        stop(&mut child).await;
        return false;
    };
    // The engine's own log goes to ours, so a crash reason is never lost.
    let stderr_task = tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            tracing::debug!(target: "orcha_ml", "{line}");
        }
    });
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::select! {
        _ = cancel.cancelled() => None,
        line = tokio::time::timeout(config.start_timeout, lines.next_line()) => line.ok(),
    };
    let port = match first {
        Some(Ok(Some(line))) => line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.trim().parse::<u16>().ok()),
        _ => None,
    };
    let Some(port) = port else {
        state.report_ml_status(false, "the ML engine did not announce its port".to_owned());
        stop(&mut child).await;
        stderr_task.abort();
        return false;
    };
    let stdout_task =
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let base = format!("http://127.0.0.1:{port}");
    state.ml.set_secret(Some(secret));
    state.ml.set_base(Some(base.clone()));
    tracing::info!(pid, %base, "ML engine started.");

    // Wait for the first healthy answer within the start timeout.
    let deadline = tokio::time::Instant::now() + config.start_timeout;
    let mut healthy = false;
    while tokio::time::Instant::now() < deadline && !cancel.is_cancelled() {
        if let Ok(h) = state.ml.health().await {
            state.report_ml_status(
                true,
                format!(
                    "ML engine {} ({}) at {base}",
                    h.status,
                    h.version.unwrap_or_default()
                ),
            );
            healthy = true;
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if healthy {
        let mut failed = 0;
        let mut tick = tokio::time::interval(config.health_interval);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                status = child.wait() => {
                    tracing::warn!(pid, ?status, "The ML engine exited.");
                    break;
                }
                _ = tick.tick() => match state.ml.health().await {
                    Ok(_) => failed = 0,
                    Err(e) => {
                        failed += 1;
                        tracing::warn!(pid, failed, error = %e, "ML engine health check failed.");
                        if failed >= config.max_failed_checks {
                            state.report_ml_status(false, format!("ML engine hung ({failed} failed health checks): {e}"));
                            break;
                        }
                    }
                },
            }
        }
    }
    stop(&mut child).await;
    config.pid.store(0, Ordering::SeqCst);
    stdout_task.abort();
    stderr_task.abort();
    healthy
}

/// Kills the engine and reaps it, so no zombie or orphan is left.
async fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
}
