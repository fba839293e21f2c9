//! Starting with the operator's session (opt-in): the maintained Tauri autostart plugin writes the
//! XDG autostart entry (a login item on macOS, a registry key on Windows) that launches the app
//! minimised to the tray.

use orcha_api::dto::{ApiError, ErrorCode};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::AutoLaunchManager;

/// The argument the autostart entry passes: start in the tray, without opening the window.
pub const MINIMIZED_ARG: &str = "--minimized";

/// The plugin, with a fixed entry name (`depin-orcha.desktop`) so packaging and tests know it.
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_autostart::Builder::new()
        .app_name("depin-orcha")
        .arg(MINIMIZED_ARG)
        .build()
}

/// Whether this launch came from the autostart entry.
pub fn started_minimized(mut args: impl Iterator<Item = String>) -> bool {
    args.any(|a| a == MINIMIZED_ARG)
}

fn manager<R: Runtime>(
    app: &AppHandle<R>,
) -> Result<tauri::State<'_, AutoLaunchManager>, ApiError> {
    app.try_state::<AutoLaunchManager>().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unavailable,
            "starting with the session is not available in this build",
        )
    })
}

fn failed(e: tauri_plugin_autostart::Error) -> ApiError {
    ApiError::new(
        ErrorCode::Internal,
        format!("cannot change the session autostart entry: {e}"),
    )
}

/// Whether the app starts with the operator's session.
#[tauri::command]
pub async fn autostart_enabled<R: Runtime>(app: AppHandle<R>) -> Result<bool, ApiError> {
    manager(&app)?.is_enabled().map_err(failed)
}

/// Turns starting with the session on or off; answers the state read back.
#[tauri::command]
pub async fn set_autostart<R: Runtime>(app: AppHandle<R>, enabled: bool) -> Result<bool, ApiError> {
    let m = manager(&app)?;
    if enabled {
        m.enable().map_err(failed)?;
    } else {
        m.disable().map_err(failed)?;
    }
    let now = m.is_enabled().map_err(failed)?;
    tracing::info!(enabled = now, "Session autostart changed from the window.");
    Ok(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_autostart_argument_means_minimised() {
        let args = |v: &[&str]| {
            v.iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert!(started_minimized(args(&["depin-orcha", "--minimized"])));
        assert!(!started_minimized(args(&["depin-orcha"])));
        assert!(!started_minimized(args(&[
            "depin-orcha",
            "--demo",
            "--minimised"
        ])));
    }
}
