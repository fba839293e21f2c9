//! The operator's maintenance commands: `orcha token`, `orcha backup` and `orcha restore`
//! (`orcha db` is in `db_cli`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use orcha_server::startup;
use secrecy::SecretString;

#[derive(Subcommand)]
pub enum TokenAction {
    /// Print the API token (for `Authorization: Bearer …`, Prometheus, scripts).
    Show,
    /// Replace the API token; clients using the old one must be given the new one.
    Rotate,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub fn token(config_file: Option<PathBuf>, action: TokenAction) -> Result<()> {
    use std::io::Write;
    let (config, _) = startup::load_config(config_file.as_deref(), &env)?;
    let data_dir = startup::data_dir(&config, &env);
    let keyring = orcha_server::token::os_keyring();
    let (token, source) = match action {
        TokenAction::Show => orcha_server::token::load_or_create(&data_dir, &keyring, &env)?,
        TokenAction::Rotate => {
            let rotated = orcha_server::token::rotate(&data_dir, &keyring, &env)?;
            eprintln!("The API token was replaced; a running `orcha serve` keeps the old one until restarted.");
            rotated
        }
    };
    eprintln!("(kept in {source})");
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", token.expose())?;
    Ok(())
}

/// The passphrase from `var`, else typed on the terminal (twice when `confirm`).
fn passphrase(var: Option<&str>, confirm: bool) -> Result<SecretString> {
    let value = match var {
        Some(var) => std::env::var(var)
            .with_context(|| format!("--passphrase-env {var}: the variable is not set"))?,
        None => {
            let first = rpassword::prompt_password("Backup passphrase: ")
                .context("cannot read the passphrase from the terminal; use --passphrase-env")?;
            if confirm {
                let again = rpassword::prompt_password("Again: ")?;
                if again != first {
                    bail!("the passphrases differ");
                }
            }
            first
        }
    };
    if value.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(SecretString::from(value))
}

pub fn backup(
    config_file: Option<PathBuf>,
    out: &Path,
    passphrase_env: Option<&str>,
) -> Result<()> {
    let (config, config_path) = startup::load_config(config_file.as_deref(), &env)?;
    let data_dir = startup::data_dir(&config, &env);
    let db = startup::database_path(&config, &data_dir);
    if !db.is_file() {
        bail!("{}: no database to back up", db.display());
    }
    let pass = passphrase(passphrase_env, true)?;
    // SQLite's online backup (`sqlcipher_export` under the same key for an encrypted database):
    // consistent even while `orcha serve` writes to the database.
    let secrets = crate::db_cli::secrets(&env);
    let store = orcha_app::db_key::open_store(&db, secrets.as_ref(), &data_dir)
        .with_context(|| format!("cannot open {}", db.display()))?;
    let manifest = store.write_backup(
        Some(config_path.as_path()).filter(|p| p.is_file()),
        out,
        pass,
        chrono::Utc::now(),
    )?;
    use std::io::Write;
    writeln!(
        std::io::stdout().lock(),
        "{}: backup of {} (schema {}, config {}{})",
        out.display(),
        db.display(),
        manifest.schema_version,
        if manifest.has_config {
            "included"
        } else {
            "none"
        },
        if manifest.encrypted {
            "; encrypted database, its key sealed in the backup"
        } else {
            ""
        }
    )?;
    Ok(())
}

pub fn restore(
    config_file: Option<PathBuf>,
    file: &Path,
    passphrase_env: Option<&str>,
    force: bool,
) -> Result<()> {
    let (config, config_path) = startup::load_config(config_file.as_deref(), &env)?;
    let data_dir = startup::data_dir(&config, &env);
    let db = startup::database_path(&config, &data_dir);
    // Replacing the database under a running Orcha would lose its writes or corrupt its view.
    let _lock = orcha_store::DataDirLock::acquire(&data_dir, "orcha restore")?;
    let pass = passphrase(passphrase_env, false)?;
    // An encrypted install stays encrypted, and so does a backup of an encrypted database.
    let install_encrypted = orcha_store::cipher::is_encrypted(&db)?;
    let secrets = crate::db_cli::secrets(&env);
    let restored = orcha_store::backup::restore_with_key(
        file,
        pass,
        &db,
        // Only a regular file (or none yet) is replaced; never `--config /dev/null`.
        Some(config_path.as_path()).filter(|p| !p.exists() || p.is_file()),
        force,
        chrono::Utc::now(),
        &mut |archive| {
            crate::db_cli::restore_key(install_encrypted, archive, secrets.as_ref(), &data_dir)
                .map_err(|e| format!("{e:#}"))
        },
    )?;
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: restored from {} (made {}{})",
        db.display(),
        file.display(),
        restored.manifest.created_at,
        if restored.encrypted {
            "; encrypted"
        } else {
            ""
        }
    )?;
    for (what, path) in [
        ("database", &restored.replaced_database),
        ("config", &restored.replaced_config),
    ] {
        if let Some(p) = path {
            writeln!(out, "the previous {what} is kept as {}", p.display())?;
        }
    }
    Ok(())
}
