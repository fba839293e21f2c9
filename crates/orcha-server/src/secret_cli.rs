//! `orcha secret set|delete|status`: credentials in the OS keyring, or as systemd credentials for the headless service.
//!
//! A server has no Secret Service without a desktop session, so `--service` stores a credential
//! where the unit `orcha service install` writes loads it from: encrypted with `systemd-creds`
//! under `/etc/orcha/credentials` (system scope) or a 0600 file in the data directory
//! (`--user`). The running service reads them from `$CREDENTIALS_DIRECTORY`; environment
//! variables still override both.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use orcha_api::keyring::OsKeyring;
use orcha_core::secret::{SecretKey, SecretStore, Sensitive};
use orcha_fleet::credentials::{
    credential_name, credentials_dir, delete_credential, list_credentials, store_credential,
    CredentialsDirStore,
};
use orcha_fleet::service::Scope;
use orcha_server::startup;

#[derive(Subcommand)]
pub enum SecretAction {
    /// Store a credential, e.g. `echo -n KEY | orcha secret set golem:main/app_key`.
    Set {
        key: String,
        #[command(flatten)]
        place: Place,
    },
    /// Delete a credential.
    Delete {
        key: String,
        #[command(flatten)]
        place: Place,
    },
    /// Say whether a credential is stored (never prints it).
    Status {
        key: String,
        #[command(flatten)]
        place: Place,
    },
}

/// Where a credential lives: the OS keyring (default) or the service's credential store.
#[derive(clap::Args)]
pub struct Place {
    /// The systemd service's credential store instead of the OS keyring (for headless boxes).
    #[arg(long)]
    service: bool,
    /// With `--service`: the user service's store (`orcha service install --user`).
    #[arg(long, requires = "service")]
    user: bool,
}

impl Place {
    fn scope(&self) -> Option<Scope> {
        self.service.then_some(if self.user {
            Scope::User
        } else {
            Scope::System
        })
    }
}

/// A credential key as the adapters look it up: `<protocol>:<name>/<field>`, or one of Orcha's own.
fn checked(key: &str) -> Result<SecretKey> {
    if [
        orcha_api::prices::SECRET_KEY,
        orcha_core::config::FLEET_TOKEN_KEY,
        orcha_core::config::BACKUP_PASSPHRASE_KEY,
        // The database key, moved to a systemd credential: `… --service < <data dir>/db-key`.
        orcha_app::db_key::KEYRING_KEY,
    ]
    .contains(&key)
    {
        return Ok(SecretKey(key.to_owned()));
    }
    let (node, field) = key
        .split_once('/')
        .context("a credential key looks like `golem:main/app_key`")?;
    node.parse::<orcha_core::NodeId>()?;
    if field.is_empty() || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("the field after `/` in {key:?} must be letters, digits or `_`, like `app_key`");
    }
    Ok(SecretKey(key.to_owned()))
}

fn read_value() -> Result<Sensitive<String>> {
    let mut value = String::new();
    std::io::stdin()
        .take(1 << 20)
        .read_to_string(&mut value)
        .context("cannot read the credential from standard input")?;
    let value = value.trim().to_owned();
    if value.is_empty() {
        bail!("no credential on standard input");
    }
    Ok(Sensitive::new(value))
}

pub fn run(
    action: SecretAction,
    config: Option<PathBuf>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    let (key, place) = match &action {
        SecretAction::Set { key, place }
        | SecretAction::Delete { key, place }
        | SecretAction::Status { key, place } => (checked(key)?, place),
    };
    let mut out = std::io::stdout().lock();
    let Some(scope) = place.scope() else {
        return keyring(&action, &key, &mut out, env);
    };
    let (cfg, _) = startup::load_config(config.as_deref(), env)?;
    let dir = credentials_dir(scope, &startup::data_dir(&cfg, env));
    match action {
        SecretAction::Set { .. } => {
            let stored = store_credential(scope, &dir, &key, &read_value()?)?;
            writeln!(
                out,
                "{}: stored as the service credential {} ({})",
                key.0,
                stored.path.display(),
                if stored.encrypted {
                    "encrypted with systemd-creds"
                } else {
                    "a 0600 file"
                }
            )?;
            writeln!(
                out,
                "run `orcha service install{}` again so the unit loads it, then the service restarts with it",
                if scope == Scope::User { " --user" } else { "" }
            )?;
        }
        SecretAction::Delete { .. } => {
            delete_credential(&dir, &key)
                .with_context(|| format!("cannot delete from {}", dir.display()))?;
            writeln!(out, "{}: deleted from {}", key.0, dir.display())?;
        }
        SecretAction::Status { .. } => {
            let name = credential_name(&key);
            let found = list_credentials(&dir).into_iter().find(|c| c.name == name);
            match found {
                Some(c) => writeln!(out, "{}: stored as {}", key.0, c.path.display())?,
                None => writeln!(out, "{}: not stored in {}", key.0, dir.display())?,
            }
        }
    }
    Ok(())
}

/// The OS keyring, as before `--service` existed; `status` also reports a credential the running
/// service would get from `$CREDENTIALS_DIRECTORY`.
fn keyring(
    action: &SecretAction,
    key: &SecretKey,
    out: &mut impl Write,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    let keyring = OsKeyring::new();
    match action {
        SecretAction::Set { .. } => {
            keyring.set(key, read_value()?)?;
            writeln!(out, "{}: stored", key.0)?;
        }
        SecretAction::Delete { .. } => {
            keyring.delete(key)?;
            writeln!(out, "{}: deleted", key.0)?;
        }
        SecretAction::Status { .. } => {
            if let Some(dir) = CredentialsDirStore::from_env(env) {
                if dir.get(key)?.is_some() {
                    writeln!(out, "{}: stored (systemd credential)", key.0)?;
                    return Ok(());
                }
            }
            let stored = keyring.get(key)?.is_some();
            writeln!(
                out,
                "{}: {}",
                key.0,
                if stored { "stored" } else { "not stored" }
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_set_takes_node_credentials_the_price_key_and_the_backup_passphrase() {
        for ok in [
            "golem:main/app_key",
            "backup:passphrase",
            orcha_api::prices::SECRET_KEY,
            orcha_core::config::FLEET_TOKEN_KEY,
        ] {
            assert!(checked(ok).is_ok(), "{ok}");
        }
        for bad in ["backup:other", "nonsense", "golem/app_key", "golem:main/"] {
            assert!(checked(bad).is_err(), "{bad}");
        }
    }
}
