//! Where settings saves go (the operator's file or the demo's scratch file) and what was saved.
//!
//! Kept in `AppState`, so it sits below `state`; the settings operations in `ops::settings` do
//! the editing and checking.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::dto::SettingsValuesDto;

/// Where saves go and what was saved since the app started; one per `AppState`.
#[derive(Debug, Default)]
pub struct SettingsFile {
    pub(crate) inner: Mutex<FileState>,
    /// Serializes saves: each one reads, edits and replaces the whole file.
    pub(crate) save: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
pub(crate) struct FileState {
    pub(crate) path: Option<PathBuf>,
    pub(crate) scratch: bool,
    /// The values as last saved; `None` until the first save (the running config is in force).
    pub(crate) saved: Option<SettingsValuesDto>,
}

impl SettingsFile {
    /// Saves go to the operator's config file (`--config`, `CONFIG_PATH` or the default path).
    pub fn use_file(&self, path: PathBuf) {
        let mut s = self.lock();
        s.path = Some(path);
        s.scratch = false;
    }

    /// Demo mode: saves go to a scratch file. One left by an earlier demo run is removed, since
    /// its values (the simulator's ports among them) belong to that run.
    pub fn use_scratch(&self, path: PathBuf) -> std::io::Result<()> {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut s = self.lock();
        s.path = Some(path);
        s.scratch = true;
        Ok(())
    }

    /// The operator's config file, when saves go to one (not the demo's scratch file): what a
    /// backup carries besides the database.
    pub fn operator_file(&self) -> Option<PathBuf> {
        let s = self.lock();
        s.path.clone().filter(|p| !s.scratch && p.is_file())
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, FileState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
