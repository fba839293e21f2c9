//! The `[backup]` table: scheduled, encrypted backups of the database and config.

use serde::Deserialize;

/// The keyring entry of the passphrase scheduled backups are encrypted with (`orcha secret set
/// backup:passphrase`, or the Settings screen); never in the config file.
pub const BACKUP_PASSPHRASE_KEY: &str = "backup:passphrase";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Hours between scheduled backups; 0 means no scheduled backups (`orcha backup` and
    /// "Back up now" still work).
    pub interval_hours: u64,
    /// Where backups go; empty means `<data_dir>/backups`. Absolute.
    pub dir: String,
    /// How many backups to keep; older ones are deleted after each new one.
    pub retention: u32,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            interval_hours: 0,
            dir: String::new(),
            retention: 7,
        }
    }
}

impl BackupConfig {
    /// Cross-key checks, each error naming the dotted key.
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.retention == 0 {
            return Err("`backup.retention` must keep at least 1 backup".to_owned());
        }
        if !self.dir.is_empty() && !std::path::Path::new(&self.dir).is_absolute() {
            return Err(format!(
                "`backup.dir` = {:?} must be an absolute path (or empty for <data_dir>/backups)",
                self.dir
            ));
        }
        if self.interval_hours > 24 * 366 {
            return Err("`backup.interval_hours` must be at most a year (8784)".to_owned());
        }
        Ok(())
    }
}
