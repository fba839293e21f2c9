//! systemd credentials as the headless secret store: encrypted at rest with `systemd-creds`, read from `$CREDENTIALS_DIRECTORY`.
//!
//! A keyring entry such as `golem:main/app_key` becomes the credential `golem.main.app_key`
//! (`:` separates the name from the path in `LoadCredentialEncrypted=`, `/` cannot be in a file
//! name). The service reads them through [`CredentialsDirStore`], a read-only `SecretStore`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use orcha_core::secret::{SecretError, SecretKey, SecretStore, Sensitive};

use crate::run::run;
use crate::service::Scope;

/// A credential the unit loads: its name in `$CREDENTIALS_DIRECTORY` and the file it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialFile {
    pub name: String,
    pub path: PathBuf,
    /// Encrypted with `systemd-creds` (system scope); else a 0600 plain file (user scope).
    pub encrypted: bool,
}

/// Where `orcha secret set` keeps credential files for the service.
pub fn credentials_dir(scope: Scope, data_dir: &Path) -> PathBuf {
    match scope {
        Scope::System => PathBuf::from("/etc/orcha/credentials"),
        Scope::User => data_dir.join("credentials"),
    }
}

/// The credential name of a keyring key: `golem:main/app_key` → `golem.main.app_key`.
pub fn credential_name(key: &SecretKey) -> String {
    key.0.replace([':', '/'], ".")
}

/// Largest credential read; systemd itself caps credentials at 1 MiB.
const MAX_CREDENTIAL_BYTES: u64 = 1 << 20;

/// `systemd-creds` may take this long (a TPM can be slow).
const CREDS_TIMEOUT: Duration = Duration::from_secs(30);

/// Secrets from `$CREDENTIALS_DIRECTORY`. Read-only: systemd mounts that directory read-only, and
/// storing a secret is the operator's `orcha secret set` followed by a service restart.
#[derive(Debug, Clone)]
pub struct CredentialsDirStore {
    dir: PathBuf,
}

impl CredentialsDirStore {
    pub fn new(dir: impl Into<PathBuf>) -> CredentialsDirStore {
        CredentialsDirStore { dir: dir.into() }
    }

    /// The store of a running service: `Some` only when systemd set `$CREDENTIALS_DIRECTORY`.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Option<CredentialsDirStore> {
        env("CREDENTIALS_DIRECTORY")
            .filter(|d| !d.is_empty())
            .map(CredentialsDirStore::new)
    }
}

impl SecretStore for CredentialsDirStore {
    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError> {
        use std::io::Read;
        let path = self.dir.join(credential_name(key));
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            // The message names the file, never its content.
            Err(e) => return Err(SecretError::Denied(format!("{}: {e}", path.display()))),
        };
        let mut text = String::new();
        file.take(MAX_CREDENTIAL_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| SecretError::Unavailable(format!("{}: {e}", path.display())))?;
        // `echo secret | systemd-creds encrypt` keeps the newline; a secret never ends in one.
        let value = text.trim_end_matches(['\n', '\r']).to_owned();
        Ok((!value.is_empty()).then(|| Sensitive::new(value)))
    }

    fn set(&self, _key: &SecretKey, _value: Sensitive<String>) -> Result<(), SecretError> {
        Err(SecretError::Denied(
            "the service reads systemd credentials; store a secret with `orcha secret set` and restart the service".to_owned(),
        ))
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        self.set(key, Sensitive::new(String::new()))
    }
}

/// Credentials first, then another store (the OS keyring): what `orcha serve` uses when systemd
/// (or a container's `/run/secrets`) provides credentials. Writes go to the other store.
pub struct CredentialsFirst {
    pub credentials: CredentialsDirStore,
    pub fallback: std::sync::Arc<dyn SecretStore>,
}

impl SecretStore for CredentialsFirst {
    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError> {
        match self.credentials.get(key)? {
            Some(v) => Ok(Some(v)),
            None => self.fallback.get(key),
        }
    }

    fn set(&self, key: &SecretKey, value: Sensitive<String>) -> Result<(), SecretError> {
        self.fallback.set(key, value)
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        self.fallback.delete(key)
    }
}

/// What went wrong storing a credential.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("systemd-creds encrypt failed: {0}")]
    Encrypt(String),
}

/// Stores `value` as the credential of `key` in `dir`: encrypted with `systemd-creds encrypt`
/// (host key, and the TPM when there is one) for a system service, a 0600 file for a user
/// service. The secret travels on stdin, never in argv. The unit must list the returned file
/// (re-run `orcha service install`) and the service must restart to see it.
pub fn store_credential(
    scope: Scope,
    dir: &Path,
    key: &SecretKey,
    value: &Sensitive<String>,
) -> Result<CredentialFile, CredentialError> {
    let name = credential_name(key);
    let werr = |p: &Path, e: std::io::Error| CredentialError::Write {
        path: p.to_owned(),
        reason: e.to_string(),
    };
    create_private_dir(dir).map_err(|e| werr(dir, e))?;
    match scope {
        Scope::System => {
            let path = dir.join(format!("{name}.cred"));
            let target = path.display().to_string();
            let name_arg = format!("--name={name}");
            let out = run(
                "systemd-creds",
                &["encrypt", &name_arg, "-", &target],
                Some(value.expose().as_bytes()),
                CREDS_TIMEOUT,
            )
            .map_err(|e| CredentialError::Encrypt(e.to_string()))?;
            if !out.success {
                return Err(CredentialError::Encrypt(out.stderr.trim().to_owned()));
            }
            Ok(CredentialFile {
                name,
                path,
                encrypted: true,
            })
        }
        Scope::User => {
            let path = dir.join(&name);
            write_private(&path, value.expose().as_bytes()).map_err(|e| werr(&path, e))?;
            Ok(CredentialFile {
                name,
                path,
                encrypted: false,
            })
        }
    }
}

/// Every credential stored in `dir`, for the unit's `LoadCredential*=` lines.
pub fn list_credentials(dir: &Path) -> Vec<CredentialFile> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<CredentialFile> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let file = e.file_name().into_string().ok()?;
            let (name, encrypted) = match file.strip_suffix(".cred") {
                Some(n) => (n.to_owned(), true),
                None => (file.clone(), false),
            };
            Some(CredentialFile {
                name,
                path: e.path(),
                encrypted,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Removes the credential of `key` from `dir`; a missing one is not an error.
pub fn delete_credential(dir: &Path, key: &SecretKey) -> std::io::Result<()> {
    let name = credential_name(key);
    for path in [dir.join(format!("{name}.cred")), dir.join(&name)] {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Created 0600, never world-readable even for a moment.
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_credentials_round_trip_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey("golem:main/app_key".into());
        let f = store_credential(
            Scope::User,
            dir.path(),
            &key,
            &Sensitive::new("s3cret".into()),
        )
        .unwrap();
        assert_eq!(f.name, "golem.main.app_key");
        assert!(!f.encrypted);
        let store = CredentialsDirStore::new(dir.path());
        assert_eq!(store.get(&key).unwrap().unwrap().expose(), "s3cret");
        assert!(store
            .get(&SecretKey("grass:main/token".into()))
            .unwrap()
            .is_none());
        assert!(store.set(&key, Sensitive::new("x".into())).is_err());
        assert_eq!(list_credentials(dir.path()), vec![f]);
        delete_credential(dir.path(), &key).unwrap();
        assert!(store.get(&key).unwrap().is_none());
        let env = |k: &str| (k == "CREDENTIALS_DIRECTORY").then(|| "/run/c".to_owned());
        assert!(CredentialsDirStore::from_env(&env).is_some());

        // Layered over the keyring: a credential wins, writes go to the keyring.
        let keyring = std::sync::Arc::new(orcha_core::secret::MemorySecretStore::default());
        keyring
            .set(&key, Sensitive::new("from-keyring".into()))
            .unwrap();
        store_credential(
            Scope::User,
            dir.path(),
            &key,
            &Sensitive::new("cred".into()),
        )
        .unwrap();
        let both = CredentialsFirst {
            credentials: store,
            fallback: keyring,
        };
        assert_eq!(both.get(&key).unwrap().unwrap().expose(), "cred");
        let other = SecretKey("prices:coingecko/api_key".into());
        both.set(&other, Sensitive::new("k".into())).unwrap();
        assert_eq!(both.get(&other).unwrap().unwrap().expose(), "k");
    }
}
