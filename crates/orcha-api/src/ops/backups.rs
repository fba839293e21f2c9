//! Scheduled backups over the API: list them, or make one now (`crate::backups`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use orcha_core::config::BACKUP_PASSPHRASE_KEY;
use orcha_core::secret::SecretKey;

use crate::actor::Actor;
use crate::backups::{BackupFile, BackupRunError};
use crate::dto::*;
use crate::state::AppState;

fn dto(b: BackupFile) -> BackupFileDto {
    BackupFileDto {
        name: b.name,
        bytes: b.bytes,
        modified_at: DateTime::<Utc>::from(b.modified),
    }
}

pub async fn backups(state: &Arc<AppState>) -> Result<BackupsDto, ApiError> {
    let database = state.db(|s| Ok(s.path().to_owned())).await?;
    let dir = crate::backups::backup_dir(state, &database);
    let secrets = Arc::clone(&state.secrets);
    let passphrase_stored = tokio::task::spawn_blocking(move || {
        secrets.get(&SecretKey(BACKUP_PASSPHRASE_KEY.to_owned()))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?
    .is_some();
    let listed = {
        let d = dir.clone();
        tokio::task::spawn_blocking(move || crate::backups::list(&d))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::internal(format!("{}: {e}", dir.display())))?
    };
    Ok(BackupsDto {
        dir: dir.display().to_string(),
        // The schedule in force, which follows Settings without a restart.
        interval_hours: state.backup_schedule.borrow().interval_hours,
        retention: state.backup_schedule.borrow().retention,
        passphrase_stored,
        backups: listed.into_iter().map(dto).collect(),
    })
}

pub async fn run_backup(state: &Arc<AppState>, actor: Actor) -> Result<BackupFileDto, ApiError> {
    crate::backups::run_once(state, actor.as_str())
        .await
        .map(dto)
        .map_err(|e| match e {
            BackupRunError::NoPassphrase => {
                ApiError::bad_field(BACKUP_PASSPHRASE_KEY, e.to_string())
            }
            BackupRunError::Keyring(_) => ApiError::new(ErrorCode::Unavailable, e.to_string()),
            BackupRunError::Failed(_) => ApiError::internal(e),
        })
}
