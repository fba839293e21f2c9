//! Scheduled backups: every `backup.interval_hours` an online, age-encrypted backup of the
//! database and config file (`orcha_store::backup`) goes to `backup.dir`, and the oldest beyond
//! `backup.retention` are deleted. The passphrase is the keyring entry `backup:passphrase`.
//!
//! The same code answers "Back up now" (`ops::run_backup`). A failed scheduled backup opens the
//! `backup_failed` alert, which the next good one clears. The interval and the retention follow
//! a Settings save at once (`AppState::backup_schedule`); `backup.dir` waits for a restart. An
//! encrypted database is backed up under its own key (`orcha_store::backup`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use orcha_core::config::BACKUP_PASSPHRASE_KEY;
use orcha_core::secret::SecretKey;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// Scheduled and on-demand backups are named `orcha-<UTC time>[-n].backup`.
const PREFIX: &str = "orcha-";
const SUFFIX: &str = ".backup";
const ALERT_RULE: &str = "backup_failed";

/// Why a backup was not made; the message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum BackupRunError {
    #[error("no backup passphrase is stored (keyring entry `{BACKUP_PASSPHRASE_KEY}`); set one in Settings or with `orcha secret set {BACKUP_PASSPHRASE_KEY}`")]
    NoPassphrase,
    #[error("the keyring cannot be read: {0}")]
    Keyring(String),
    #[error("{0}")]
    Failed(String),
}

/// The part of `[backup]` that applies without a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// 0: no scheduled backups.
    pub interval_hours: u64,
    pub retention: u32,
}

impl Schedule {
    pub fn of(config: &orcha_core::config::Config) -> Schedule {
        Schedule {
            interval_hours: config.backup.interval_hours,
            retention: config.backup.retention,
        }
    }
}

/// One backup file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    pub name: String,
    pub path: PathBuf,
    pub bytes: u64,
    pub modified: SystemTime,
}

/// Where backups go: `backup.dir`, else `backups/` beside the database.
pub fn backup_dir(state: &AppState, database: &Path) -> PathBuf {
    if state.config.backup.dir.is_empty() {
        database.parent().unwrap_or(Path::new(".")).join("backups")
    } else {
        PathBuf::from(&state.config.backup.dir)
    }
}

/// The backups in `dir`, newest first (by modification time, then name).
pub fn list(dir: &Path) -> std::io::Result<Vec<BackupFile>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with(PREFIX) && name.ends_with(SUFFIX)) {
            continue;
        }
        let meta = entry.metadata()?;
        if !meta.is_file() {
            continue;
        }
        out.push(BackupFile {
            name,
            path: entry.path(),
            bytes: meta.len(),
            modified: meta.modified()?,
        });
    }
    out.sort_by(|a, b| (b.modified, &b.name).cmp(&(a.modified, &a.name)));
    Ok(out)
}

/// Deletes every backup in `dir` beyond the newest `keep`; returns the names deleted.
pub fn prune(dir: &Path, keep: usize) -> std::io::Result<Vec<String>> {
    let mut gone = Vec::new();
    for old in list(dir)?.into_iter().skip(keep) {
        std::fs::remove_file(&old.path)?;
        gone.push(old.name);
    }
    Ok(gone)
}

/// A name not yet taken in `dir` for a backup made at `now`.
fn fresh_name(dir: &Path, now: DateTime<Utc>) -> String {
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let mut name = format!("{PREFIX}{stamp}{SUFFIX}");
    let mut n = 1;
    while dir.join(&name).exists() {
        name = format!("{PREFIX}{stamp}-{n}{SUFFIX}");
        n += 1;
    }
    name
}

/// Makes one backup now, then prunes beyond the retention; audited as `backup` by `actor`.
pub async fn run_once(state: &AppState, actor: &str) -> Result<BackupFile, BackupRunError> {
    let secrets = Arc::clone(&state.secrets);
    let pass = tokio::task::spawn_blocking(move || {
        secrets.get(&SecretKey(BACKUP_PASSPHRASE_KEY.to_owned()))
    })
    .await
    .map_err(|e| BackupRunError::Failed(e.to_string()))?
    .map_err(|e| BackupRunError::Keyring(e.to_string()))?
    .ok_or(BackupRunError::NoPassphrase)?;
    // A connection of its own (with the database's key, when it is encrypted): the copy does
    // not hold the application's store for its whole length.
    let (database, store) = state
        .db(|s| Ok((s.path().to_owned(), s.reopen()?)))
        .await
        .map_err(|e| BackupRunError::Failed(e.to_string()))?;
    let dir = backup_dir(state, &database);
    let config = state.settings.operator_file();
    let keep = state.backup_schedule.borrow().retention.max(1) as usize;
    let now = state.clock.now();
    let made = tokio::task::spawn_blocking(move || -> Result<BackupFile, String> {
        orcha_store::create_private_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let out = dir.join(fresh_name(&dir, now));
        store
            .write_backup(
                config.as_deref(),
                &out,
                orcha_store::backup::SecretString::from(pass.expose().to_owned()),
                now,
            )
            .map_err(|e| e.to_string())?;
        prune(&dir, keep).map_err(|e| format!("pruning {}: {e}", dir.display()))?;
        let meta = std::fs::metadata(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        Ok(BackupFile {
            name: out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes: meta.len(),
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            path: out,
        })
    })
    .await
    .map_err(|e| BackupRunError::Failed(e.to_string()))?
    .map_err(BackupRunError::Failed)?;
    let (actor, name) = (actor.to_owned(), made.name.clone());
    state
        .db(move |s| s.audit_config(now, &actor, "backup", None, Some(&name)))
        .await
        .map_err(|e| BackupRunError::Failed(format!("audit log not writable: {e}")))?;
    Ok(made)
}

/// The scheduled backups: every `backup.interval_hours` as it is now, none while it is 0.
pub async fn run(state: Arc<AppState>, cancel: CancellationToken) {
    run_scheduled(state, Duration::from_secs(3600), cancel).await;
}

/// [`run`] with `hour` as the length of an hour (tests shorten it). A change of the schedule
/// takes effect between backups: the next one is due an interval after the newest backup on
/// disk (or the last attempt), at the new interval.
pub async fn run_scheduled(state: Arc<AppState>, hour: Duration, cancel: CancellationToken) {
    let mut schedule = state.backup_schedule.subscribe();
    let dir = match state.db(|s| Ok(s.path().to_owned())).await {
        Ok(db) => backup_dir(&state, &db),
        Err(e) => {
            tracing::error!(error = %e, "Scheduled backups are off: the database path is unknown.");
            return;
        }
    };
    let mut last_attempt: Option<std::time::Instant> = None;
    loop {
        let hours = schedule.borrow_and_update().interval_hours;
        let period = hour.saturating_mul(u32::try_from(hours).unwrap_or(u32::MAX));
        let since_newest = list(&dir)
            .ok()
            .and_then(|l| l.first().and_then(|b| b.modified.elapsed().ok()));
        let since = match (since_newest, last_attempt.map(|t| t.elapsed())) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let wait = since.map_or(Duration::ZERO, |s| period.saturating_sub(s));
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = schedule.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
            // Off (0 hours): wait for a change of the schedule only.
            _ = tokio::time::sleep(wait), if hours > 0 => {}
        }
        last_attempt = Some(std::time::Instant::now());
        backup_and_alert(&state).await;
    }
}

/// One scheduled backup; a failure opens the `backup_failed` alert, a success clears it.
async fn backup_and_alert(state: &AppState) {
    let at = state.clock.now();
    match run_once(state, crate::actor::Actor::Orchestrator.as_str()).await {
        Ok(b) => {
            tracing::info!(file = %b.path.display(), "Scheduled backup written.");
            let _ = state.db(move |s| s.clear_alert(None, ALERT_RULE, at)).await;
        }
        Err(e) => {
            tracing::error!(error = %e, "Scheduled backup failed.");
            let msg = format!("Scheduled backup failed: {e}");
            let _ = state
                .db(move |s| s.open_alert(None, ALERT_RULE, "warning", &msg, at))
                .await;
        }
    }
}

/// One backup every `period`, the first one a period after the newest backup on disk (at once
/// when there is none), so restarts neither skip nor repeat backups.
pub async fn run_every(state: Arc<AppState>, period: Duration, cancel: CancellationToken) {
    let dir = match state.db(|s| Ok(s.path().to_owned())).await {
        Ok(db) => backup_dir(&state, &db),
        Err(e) => {
            tracing::error!(error = %e, "Scheduled backups are off: the database path is unknown.");
            return;
        }
    };
    let since_newest = list(&dir)
        .ok()
        .and_then(|l| l.first().and_then(|b| b.modified.elapsed().ok()));
    let mut wait = since_newest.map_or(Duration::ZERO, |s| period.saturating_sub(s));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        backup_and_alert(&state).await;
        wait = period;
    }
}
