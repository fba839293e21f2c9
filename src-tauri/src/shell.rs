//! The desktop shell's own commands (no `ops` behind them: they restart the app), the launch
//! mode they change, and showing the window.

use orcha_api::dto::{ApiError, ErrorCode};
use tauri::{AppHandle, Manager, Runtime};

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

/// How the app starts next: in the demo, or on the operator's nodes.
pub struct LaunchMode {
    /// `<data dir>/launch-mode`, holding `demo` while the operator is trying the demo.
    file: std::path::PathBuf,
    /// Started with `--demo` or `ORCHA_DEMO=1`, which the window cannot undo.
    forced: bool,
}

impl LaunchMode {
    pub fn new(data_dir: &std::path::Path, forced: bool) -> Self {
        LaunchMode {
            file: data_dir.join("launch-mode"),
            forced,
        }
    }

    /// Whether the operator chose the demo from the window last time.
    pub fn demo_chosen(&self) -> bool {
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

/// Brings the dashboard window to the front (tray "Open", a second launch).
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

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
}
