//! `orcha db encrypt|decrypt`: switch the database between plain SQLite and SQLCipher.
//!
//! Both take the data-dir lock (refused while another Orcha runs), copy the database with
//! `sqlcipher_export` into a new file beside it, check the copy, keep the old file aside and
//! rename the new one into place (`orcha_store::cipher::convert`). The key is made and stored
//! before encrypting, and forgotten only after decrypting succeeded.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Subcommand;
use orcha_app::db_key;
use orcha_core::secret::SecretStore;
use orcha_server::startup;
use orcha_store::cipher::{convert, is_encrypted};
use orcha_store::{DbKey, StoreError};

#[derive(Subcommand)]
pub enum DbAction {
    /// Encrypt the database (SQLCipher) with a new random key kept in the OS keyring (`db:key`),
    /// or in `<data dir>/db-key` (0600) where there is no keyring. Orcha must not be running.
    Encrypt,
    /// Decrypt the database back to plain SQLite; the key is deleted afterwards.
    Decrypt,
}

/// The secret store of a maintenance command: systemd credentials first when run with
/// `$CREDENTIALS_DIRECTORY` (as the service is), then the OS keyring, which may not hang it.
pub fn secrets(env: &dyn Fn(&str) -> Option<String>) -> Arc<dyn SecretStore> {
    let keyring: Arc<dyn SecretStore> = Arc::new(orcha_server::token::os_keyring());
    match orcha_fleet::credentials::CredentialsDirStore::from_env(env) {
        Some(credentials) => Arc::new(orcha_fleet::credentials::CredentialsFirst {
            credentials,
            fallback: keyring,
        }),
        None => keyring,
    }
}

pub fn run(
    config_file: Option<PathBuf>,
    action: DbAction,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    let (config, _) = startup::load_config(config_file.as_deref(), env)?;
    let data_dir = startup::data_dir(&config, env);
    let db = startup::database_path(&config, &data_dir);
    // Converting under a running Orcha would lose its writes: the lock `orcha serve` holds.
    let _lock = orcha_store::DataDirLock::acquire(&data_dir, "orcha db")?;
    if !db.is_file() {
        anyhow::bail!("{}: no database yet; start Orcha once first", db.display());
    }
    let secrets = secrets(env);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut out = std::io::stdout().lock();
    match action {
        DbAction::Encrypt => {
            if is_encrypted(&db)? {
                writeln!(out, "{}: already encrypted", db.display())?;
                return Ok(());
            }
            let key = DbKey::generate().context("the OS random number generator")?;
            // Stored first: an encrypted file must never exist without its key.
            let source = db_key::store(secrets.as_ref(), &data_dir, &key)?;
            let done = match convert(&db, None, Some(&key), &format!("plain-{stamp}")) {
                Ok(done) => done,
                Err(e) => {
                    // The database is still plain; the new key protects nothing.
                    let _ = db_key::remove(secrets.as_ref(), &data_dir);
                    return Err(e).with_context(|| format!("cannot encrypt {}", db.display()));
                }
            };
            writeln!(
                out,
                "{}: encrypted (SQLCipher); the key is in {source}",
                db.display()
            )?;
            writeln!(
                out,
                "the plain database is kept as {}; anyone who can read it reads your history: delete it once Orcha starts",
                done.set_aside.display()
            )?;
        }
        DbAction::Decrypt => {
            if !is_encrypted(&db)? {
                writeln!(out, "{}: not encrypted", db.display())?;
                return Ok(());
            }
            let key = db_key::load(secrets.as_ref(), &data_dir)
                .with_context(|| format!("database {} is encrypted", db.display()))?
                .map(|(k, _)| k)
                .ok_or_else(|| StoreError::KeyMissingOrWrong { path: db.clone() })?;
            let done = convert(&db, Some(&key), None, &format!("encrypted-{stamp}"))
                .with_context(|| format!("cannot decrypt {}", db.display()))?;
            // Only now: until the plain copy is in place the key is the only way in.
            db_key::remove(secrets.as_ref(), &data_dir)?;
            writeln!(out, "{}: decrypted (plain SQLite)", db.display())?;
            writeln!(
                out,
                "the encrypted database is kept as {}; its key is deleted, so it no longer opens: delete it",
                done.set_aside.display()
            )?;
        }
    }
    Ok(())
}

/// The key the database restored by `orcha restore` gets: encrypted when the backup's database
/// was or the replaced one is. An encrypted install keeps its own key; otherwise the backup's
/// key (or a new one) is stored first. `None`: plain.
pub fn restore_key(
    install_encrypted: bool,
    archive: Option<&DbKey>,
    secrets: &dyn SecretStore,
    data_dir: &std::path::Path,
) -> Result<Option<DbKey>> {
    if !install_encrypted && archive.is_none() {
        return Ok(None);
    }
    if install_encrypted {
        if let Some((key, _)) = db_key::load(secrets, data_dir)? {
            return Ok(Some(key));
        }
    }
    let key = match archive {
        Some(k) => k.clone(),
        None => DbKey::generate().context("the OS random number generator")?,
    };
    db_key::store(secrets, data_dir, &key)?;
    Ok(Some(key))
}
