//! The Tauri commands, generated from the operation table (`orcha_api::for_each_operation!`):
//! one command per operation, named like it, its one argument named as in the table.

use std::sync::Arc;

use orcha_api::dto::*;
use orcha_api::{ops, AppState};

/// Expands the table into `#[tauri::command]` fns and `configure`, which registers them.
macro_rules! tauri_commands {
    (state = $st:ident; actor = $ac:ident; $(
        $(#[doc = $doc:literal])*
        $name:ident ( $($kind:ident $arg:ident : $argty:ty $(= $default:expr)?)? ) -> $resp:ty,
        $method:ident $path:literal => $call:expr;
    )*) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command]
            pub async fn $name(
                $st: tauri::State<'_, Arc<AppState>>,
                $($arg: $argty)?
            ) -> Result<$resp, ApiError> {
                let $st: &Arc<AppState> = &$st;
                // Every change made through the window is recorded as the desktop's.
                let $ac = orcha_api::Actor::Desktop;
                let _ = $ac;
                $call.await
            }
        )*

        /// Registers every command: the table's, and the shell's own (`crate::shell`,
        /// `crate::autostart`), which are not operations: they act on the desktop session. Shared by the app and the mock-runtime tests.
        pub fn configure<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
            builder.invoke_handler(tauri::generate_handler![
                $($name,)*
                crate::shell::switch_demo,
                crate::shell::restart_app,
                crate::autostart::autostart_enabled,
                crate::autostart::set_autostart,
            ])
        }
    };
}

orcha_api::for_each_operation!(tauri_commands);
