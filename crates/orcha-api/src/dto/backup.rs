//! Scheduled backups as the API shows them: the files, the schedule and whether it can run.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One encrypted backup file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct BackupFileDto {
    /// The file name, e.g. `orcha-20260601T120000Z.backup`.
    pub name: String,
    pub bytes: u64,
    pub modified_at: DateTime<Utc>,
}

/// `GET /api/v1/backups`: where backups go, the schedule, and the files, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct BackupsDto {
    pub dir: String,
    /// Hours between scheduled backups; 0 means none are scheduled.
    pub interval_hours: u64,
    /// How many backups are kept.
    pub retention: u32,
    /// Whether the keyring holds the passphrase (`backup:passphrase`); without it none can run.
    pub passphrase_stored: bool,
    pub backups: Vec<BackupFileDto>,
}
