//! Where the database key lives, and opening the database with it in both front doors.
//!
//! The key (`orcha_store::DbKey`, 32 random bytes as hex) is the keyring entry `db:key` — or,
//! for a systemd service, the credential `db.key` in `$CREDENTIALS_DIRECTORY`, which the secret
//! store a front door is given reads first. Where no Secret Service is reachable it is kept, as
//! the API token is, in `<data dir>/db-key` with mode 0600. Whether a key is needed at all is
//! read from the database file itself (`orcha_store::cipher::is_encrypted`): no config key.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use orcha_core::secret::{SecretKey, SecretStore, Sensitive};
use orcha_store::{DbKey, Store};

/// The keyring entry of the database key.
pub const KEYRING_KEY: &str = "db:key";
/// The file it is kept in when there is no keyring.
pub const FILE_NAME: &str = "db-key";

/// Where the key in use is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The secret store: the OS keyring, or a systemd credential.
    Keyring,
    File(PathBuf),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Keyring => write!(f, "the OS keyring ({KEYRING_KEY})"),
            KeySource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

fn entry() -> SecretKey {
    SecretKey(KEYRING_KEY.to_owned())
}

/// The key file of `data_dir`.
pub fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

fn parse(text: &str, from: &KeySource) -> Result<DbKey> {
    DbKey::from_hex(text).with_context(|| format!("the database key in {from}"))
}

/// The stored key, if any: the secret store first, then the file.
pub fn load(secrets: &dyn SecretStore, data_dir: &Path) -> Result<Option<(DbKey, KeySource)>> {
    let unreachable = match secrets.get(&entry()) {
        Ok(Some(v)) if !v.expose().trim().is_empty() => {
            return Ok(Some((
                parse(v.expose(), &KeySource::Keyring)?,
                KeySource::Keyring,
            )))
        }
        Ok(_) => None,
        Err(e) => Some(e),
    };
    let path = key_file(data_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let text = zeroize::Zeroizing::new(text);
            let source = KeySource::File(path);
            Ok(Some((parse(&text, &source)?, source)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match unreachable {
            // Say why there is no key rather than only that there is none.
            Some(e) => Err(anyhow::anyhow!(
                "the database key cannot be read: {e}, and {} does not exist",
                path.display()
            )),
            None => Ok(None),
        },
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Keeps `key` in the keyring, or in the 0600 key file when the keyring cannot take it.
pub fn store(secrets: &dyn SecretStore, data_dir: &Path, key: &DbKey) -> Result<KeySource> {
    let hex = key.to_hex();
    match secrets.set(&entry(), Sensitive::new(hex.as_str().to_owned())) {
        Ok(()) => Ok(KeySource::Keyring),
        Err(e) => {
            tracing::warn!(error = %e, "No keyring for the database key; keeping it in a 0600 file.");
            let path = key_file(data_dir);
            orcha_store::create_private_dir(data_dir)
                .with_context(|| format!("cannot create {}", data_dir.display()))?;
            orcha_core::atomic_file::write_atomically(&path, hex.as_bytes(), 0o600)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(KeySource::File(path))
        }
    }
}

/// Forgets the key: the keyring entry and the file (a missing one is not an error).
pub fn remove(secrets: &dyn SecretStore, data_dir: &Path) -> Result<()> {
    let path = key_file(data_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot delete {}", path.display())),
    }
    match secrets.delete(&entry()) {
        Ok(()) => Ok(()),
        // Without a keyring there was no entry to delete.
        Err(orcha_core::secret::SecretError::Unavailable(_)) => Ok(()),
        Err(e) => Err(e).context("cannot delete the keyring entry db:key"),
    }
}

/// Opens the database as a front door does: with its stored key when the file is encrypted
/// (when none is stored, opening fails naming the file and leaves it as it was).
pub fn open_store(database: &Path, secrets: &dyn SecretStore, data_dir: &Path) -> Result<Store> {
    let key = if orcha_store::cipher::is_encrypted(database)? {
        load(secrets, data_dir)
            .with_context(|| format!("database {} is encrypted", database.display()))?
            .map(|(k, _)| k)
    } else {
        None
    };
    Ok(Store::open_with_key(database, key.as_ref())?)
}
