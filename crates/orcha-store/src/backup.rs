//! Encrypted backups: an online SQLite copy plus the config file, in a tar sealed with age.
//!
//! The database is copied with SQLite's online backup API, so a backup taken while Orcha runs is
//! consistent. The archive (`manifest.json`, `orcha.db`, optionally `config.toml`) is encrypted
//! to a passphrase with age's scrypt recipient (the maintained, audited format behind `rage`).
//! A restore decrypts and checks everything before it touches a file: a wrong passphrase or a
//! damaged archive changes nothing, and the replaced database is kept beside the new one.
//!
//! An encrypted database (SQLCipher) is copied with `sqlcipher_export` under its own key (the
//! online backup API cannot copy an encrypted database), and its key goes into the sealed
//! archive as `db.key`, so no plaintext copy is ever written and the passphrase alone restores
//! it on a new machine. See docs/security.md, "Encryption at rest".

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

// Re-exported: callers hand the passphrase over in the same type.
pub use age::secrecy::SecretString;
use chrono::{DateTime, Utc};

use crate::cipher::DbKey;
use crate::{create_private_dir, Store};

const FORMAT: &str = "orcha-backup/1";
/// Neither a database nor a config file of Orcha comes near this; a bigger member is not ours.
const MAX_MEMBER_BYTES: u64 = 64 << 30;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("{path}: the passphrase does not open this backup; nothing was changed")]
    WrongPassphrase { path: PathBuf },
    #[error("{path} is not an Orcha backup ({reason}); nothing was changed")]
    NotABackup { path: PathBuf, reason: String },
    #[error(
        "{path} already exists; pass --force to replace it (it is kept as {path}.replaced-<time>)"
    )]
    WouldReplace { path: PathBuf },
    #[error("the database in the backup is not usable ({reason}); nothing was changed")]
    BadDatabase { reason: String },
    #[error("the database key: {reason}; nothing was changed")]
    Key { reason: String },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::Io {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// What a backup holds, as its manifest says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub format: String,
    pub created_at: DateTime<Utc>,
    pub schema_version: i64,
    pub orcha_version: String,
    pub has_config: bool,
    /// The database in the archive is encrypted; its key is the member `db.key`.
    #[serde(default)]
    pub encrypted: bool,
}

/// What `restore` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub manifest: Manifest,
    /// Where the database that was replaced now is.
    pub replaced_database: Option<PathBuf>,
    pub replaced_config: Option<PathBuf>,
    /// The restored database is encrypted.
    pub encrypted: bool,
}

/// Decides, once the archive has been checked and before anything is touched, which key the
/// restored database gets (`None`: plain). It is told the archive's key (`None` for a backup of
/// a plain database).
pub type ChooseKey<'a> = &'a mut dyn FnMut(Option<&DbKey>) -> Result<Option<DbKey>, String>;

impl Store {
    /// Writes an encrypted backup of this database (and `config`, when given) to `out`.
    pub fn write_backup(
        &self,
        config: Option<&Path>,
        out: &Path,
        passphrase: SecretString,
        now: DateTime<Utc>,
    ) -> Result<Manifest, BackupError> {
        let dir = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(io(dir))?;
        let work = tempfile::tempdir_in(dir).map_err(io(dir))?;
        let copy = work.path().join("orcha.db");
        match &self.key {
            None => self
                .conn
                .backup(rusqlite::MAIN_DB, &copy, None)
                .map_err(|e| BackupError::Io {
                    path: self.path.clone(),
                    reason: format!("online backup failed: {e}"),
                })?,
            // Under its own key: the copy on disk is as unreadable as the database.
            Some(key) => self
                .export_to(&copy, Some(key))
                .map_err(|e| BackupError::Io {
                    path: self.path.clone(),
                    reason: format!("encrypted copy failed: {e}"),
                })?,
        }
        let config_bytes = match config {
            Some(p) if p.exists() => Some(std::fs::read(p).map_err(io(p))?),
            _ => None,
        };
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            created_at: now,
            schema_version: self.schema_version().map_err(|e| BackupError::Io {
                path: self.path.clone(),
                reason: e.to_string(),
            })?,
            orcha_version: env!("CARGO_PKG_VERSION").to_owned(),
            has_config: config_bytes.is_some(),
            encrypted: self.key.is_some(),
        };
        let sealed = work.path().join("backup.age");
        {
            let file = std::fs::File::create(&sealed).map_err(io(&sealed))?;
            let encryptor = age::Encryptor::with_user_passphrase(passphrase);
            let writer = encryptor
                .wrap_output(std::io::BufWriter::new(file))
                .map_err(io(&sealed))?;
            let mut tar = tar::Builder::new(writer);
            let manifest_json =
                serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Io {
                    path: sealed.clone(),
                    reason: e.to_string(),
                })?;
            append(&mut tar, "manifest.json", &manifest_json, &sealed)?;
            tar.append_path_with_name(&copy, "orcha.db")
                .map_err(io(&sealed))?;
            if let Some(bytes) = &config_bytes {
                append(&mut tar, "config.toml", bytes, &sealed)?;
            }
            if let Some(key) = &self.key {
                append(&mut tar, "db.key", key.to_hex().as_bytes(), &sealed)?;
            }
            let writer = tar.into_inner().map_err(io(&sealed))?;
            let mut inner = writer.finish().map_err(io(&sealed))?;
            inner.flush().map_err(io(&sealed))?;
            inner
                .into_inner()
                .map_err(|e| io(&sealed)(e.into_error()))?
                .sync_all()
                .map_err(io(&sealed))?;
        }
        // The backup holds the whole history and the config: private, and never half-written.
        let bytes = std::fs::read(&sealed).map_err(io(&sealed))?;
        orcha_core::atomic_file::write_atomically(out, &bytes, 0o600).map_err(io(out))?;
        Ok(manifest)
    }
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    bytes: &[u8],
    archive: &Path,
) -> Result<(), BackupError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)
        .map_err(io(archive))
}

/// Restores `backup` over `db` (and `config`, when given and the backup has one) as a plain
/// database. Without `force` an existing database is not replaced. Nothing is touched until the
/// archive has been decrypted and its database opened and checked.
pub fn restore(
    backup: &Path,
    passphrase: SecretString,
    db: &Path,
    config: Option<&Path>,
    force: bool,
    now: DateTime<Utc>,
) -> Result<Restored, BackupError> {
    restore_with_key(backup, passphrase, db, config, force, now, &mut |_| {
        Ok(None)
    })
}

/// [`restore`], with the restored database encrypted as `choose_key` decides: a backup of an
/// encrypted database restored onto an encrypted install stays encrypted (re-keyed to the
/// install's key when it differs, through `sqlcipher_export`).
pub fn restore_with_key(
    backup: &Path,
    passphrase: SecretString,
    db: &Path,
    config: Option<&Path>,
    force: bool,
    now: DateTime<Utc>,
    choose_key: ChooseKey<'_>,
) -> Result<Restored, BackupError> {
    if db.exists() && !force {
        return Err(BackupError::WouldReplace {
            path: db.to_owned(),
        });
    }
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(io(dir))?;
    let work = tempfile::tempdir_in(dir).map_err(io(dir))?;
    let (manifest, config_bytes, archive_key) = unpack(backup, passphrase, work.path())?;
    let unpacked = work.path().join("orcha.db");
    check_database(&unpacked, archive_key.as_ref())?;
    let key = choose_key(archive_key.as_ref()).map_err(|reason| BackupError::Key { reason })?;
    let restored_db = if key == archive_key {
        unpacked
    } else {
        // Re-keyed (or decrypted, or encrypted) into a second file, checked the same way.
        let rekeyed = work.path().join("orcha-rekeyed.db");
        Store::open_with_key(&unpacked, archive_key.as_ref())
            .and_then(|s| s.export_to(&rekeyed, key.as_ref()))
            .map_err(|e| BackupError::BadDatabase {
                reason: e.to_string(),
            })?;
        check_database(&rekeyed, key.as_ref())?;
        rekeyed
    };
    let suffix = format!("replaced-{}", now.format("%Y%m%dT%H%M%SZ"));
    let replaced_database = set_aside(db, &suffix)?;
    for ext in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{ext}", db.display()));
        set_aside(&side, &suffix)?;
    }
    std::fs::rename(&restored_db, db).map_err(io(db))?;
    let replaced_config = match (config, config_bytes) {
        (Some(path), Some(bytes)) => {
            let aside = set_aside(path, &suffix)?;
            orcha_core::atomic_file::write_atomically(path, &bytes, 0o600).map_err(io(path))?;
            aside
        }
        _ => None,
    };
    Ok(Restored {
        manifest,
        replaced_database,
        replaced_config,
        encrypted: key.is_some(),
    })
}

/// Opens the unpacked database with `key`, checks its integrity and folds its WAL back into
/// the file, so the single file moved into place is complete.
fn check_database(path: &Path, key: Option<&DbKey>) -> Result<(), BackupError> {
    let bad = |e: crate::StoreError| BackupError::BadDatabase {
        reason: e.to_string(),
    };
    let store = Store::open_with_key(path, key).map_err(bad)?;
    let check = store.integrity_check().map_err(bad)?;
    if check != "ok" {
        return Err(BackupError::BadDatabase { reason: check });
    }
    store
        .conn
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .map_err(|e| BackupError::BadDatabase {
            reason: e.to_string(),
        })
}

fn set_aside(path: &Path, suffix: &str) -> Result<Option<PathBuf>, BackupError> {
    if !path.exists() {
        return Ok(None);
    }
    let aside = PathBuf::from(format!("{}.{suffix}", path.display()));
    std::fs::rename(path, &aside).map_err(io(path))?;
    Ok(Some(aside))
}

/// What an archive holds besides its database: the manifest, the config, the database's key.
type Unpacked = (Manifest, Option<Vec<u8>>, Option<DbKey>);

/// Decrypts and unpacks into `into`: `orcha.db` there, the rest returned.
fn unpack(backup: &Path, passphrase: SecretString, into: &Path) -> Result<Unpacked, BackupError> {
    let not_backup = |reason: String| BackupError::NotABackup {
        path: backup.to_owned(),
        reason,
    };
    let file = std::fs::File::open(backup).map_err(io(backup))?;
    let decryptor = age::Decryptor::new(std::io::BufReader::new(file))
        .map_err(|e| not_backup(format!("not an age file: {e}")))?;
    if !decryptor.is_scrypt() {
        return Err(not_backup("it is not sealed with a passphrase".to_owned()));
    }
    let identity = age::scrypt::Identity::new(passphrase);
    let reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed
            | age::DecryptError::KeyDecryptionFailed
            | age::DecryptError::NoMatchingKeys => BackupError::WrongPassphrase {
                path: backup.to_owned(),
            },
            other => not_backup(other.to_string()),
        })?;
    let mut archive = tar::Archive::new(reader);
    let mut manifest = None;
    let mut config = None;
    let mut key = None;
    let mut has_db = false;
    let entries = archive.entries().map_err(|e| not_backup(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| not_backup(e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| not_backup(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        if entry.size() > MAX_MEMBER_BYTES {
            return Err(not_backup(format!("member {name} is too large")));
        }
        match name.as_str() {
            "manifest.json" => {
                let mut text = Vec::new();
                entry
                    .read_to_end(&mut text)
                    .map_err(|e| not_backup(e.to_string()))?;
                manifest = Some(
                    serde_json::from_slice::<Manifest>(&text)
                        .map_err(|e| not_backup(format!("manifest.json: {e}")))?,
                );
            }
            "orcha.db" => {
                let target = into.join("orcha.db");
                let mut out = std::fs::File::create(&target).map_err(io(&target))?;
                std::io::copy(&mut entry, &mut out)
                    .map_err(|e| not_backup(format!("orcha.db: {e}")))?;
                out.sync_all().map_err(io(&target))?;
                has_db = true;
            }
            "config.toml" => {
                let mut bytes = Vec::new();
                entry
                    .read_to_end(&mut bytes)
                    .map_err(|e| not_backup(e.to_string()))?;
                config = Some(bytes);
            }
            "db.key" => {
                let mut text = zeroize::Zeroizing::new(String::new());
                entry
                    .by_ref()
                    .take(256)
                    .read_to_string(&mut text)
                    .map_err(|e| not_backup(format!("db.key: {e}")))?;
                key = Some(DbKey::from_hex(&text).map_err(|e| not_backup(format!("db.key: {e}")))?);
            }
            other => return Err(not_backup(format!("unexpected member {other}"))),
        }
    }
    let manifest = manifest.ok_or_else(|| not_backup("it has no manifest.json".to_owned()))?;
    if manifest.format != FORMAT {
        return Err(not_backup(format!(
            "format {} (this Orcha reads {FORMAT})",
            manifest.format
        )));
    }
    if !has_db {
        return Err(not_backup("it has no orcha.db".to_owned()));
    }
    if manifest.encrypted != key.is_some() {
        return Err(not_backup(
            "its manifest and its db.key disagree about encryption".to_owned(),
        ));
    }
    Ok((manifest, config, key))
}
