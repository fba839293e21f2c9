//! The install's API token: made on first start, kept in the OS keyring or a 0600 file.
//!
//! `ORCHA_API_TOKEN` overrides both (tests and containers use it). Without a reachable Secret
//! Service (headless boxes, containers) the token lives in `<data dir>/api-token`, written
//! atomically with mode 0600 so no other local user can read it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use orcha_core::secret::{SecretError, SecretKey, SecretStore, Sensitive};

/// The keyring entry of the token.
pub const KEYRING_KEY: &str = "orcha/api_token";
/// The file the token is kept in when there is no keyring.
pub const FILE_NAME: &str = "api-token";

/// Where the token in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    Env,
    Keyring,
    File(PathBuf),
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Env => f.write_str("the ORCHA_API_TOKEN environment variable"),
            TokenSource::Keyring => write!(f, "the OS keyring ({KEYRING_KEY})"),
            TokenSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("{path} is empty; delete it or run `orcha token rotate`")]
    Empty { path: PathBuf },
    #[error(
        "ORCHA_API_TOKEN is set; `orcha token rotate` cannot replace a token from the environment"
    )]
    FromEnv,
}

/// A keyring whose every call gives up after a deadline: a Secret Service that is on the bus
/// but never answers (a locked keyring waiting for a prompt nobody sees on a headless box) must
/// not hang `orcha serve`'s start. A call that times out counts as "no keyring".
pub struct BoundedKeyring<S> {
    inner: Arc<S>,
    deadline: Duration,
}

impl<S> BoundedKeyring<S> {
    pub fn new(inner: S, deadline: Duration) -> BoundedKeyring<S> {
        BoundedKeyring {
            inner: Arc::new(inner),
            deadline,
        }
    }
}

impl<S: SecretStore + Send + Sync + 'static> BoundedKeyring<S> {
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&S) -> Result<T, SecretError> + Send + 'static,
    ) -> Result<T, SecretError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let inner = Arc::clone(&self.inner);
        // A thread rather than blocking here: a call that never returns is left behind, not waited on.
        std::thread::spawn(move || {
            let _ = tx.send(f(&inner));
        });
        rx.recv_timeout(self.deadline).unwrap_or_else(|_| {
            Err(SecretError::Unavailable(format!(
                "the keyring did not answer within {} s",
                self.deadline.as_secs()
            )))
        })
    }
}

impl<S: SecretStore + Send + Sync + 'static> SecretStore for BoundedKeyring<S> {
    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError> {
        let key = key.clone();
        self.call(move |s| s.get(&key))
    }

    fn set(&self, key: &SecretKey, value: Sensitive<String>) -> Result<(), SecretError> {
        let key = key.clone();
        self.call(move |s| s.set(&key, value))
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        let key = key.clone();
        self.call(move |s| s.delete(&key))
    }
}

/// The OS keyring as the token uses it: 5 s per call at most.
pub fn os_keyring() -> BoundedKeyring<orcha_api::keyring::OsKeyring> {
    BoundedKeyring::new(orcha_api::keyring::OsKeyring::new(), Duration::from_secs(5))
}

fn key() -> SecretKey {
    SecretKey(KEYRING_KEY.to_owned())
}

fn file(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

fn read_file(path: &Path) -> Result<Option<Sensitive<String>>, TokenError> {
    match std::fs::read_to_string(path) {
        Ok(s) if s.trim().is_empty() => Err(TokenError::Empty {
            path: path.to_owned(),
        }),
        Ok(s) => Ok(Some(Sensitive::new(s.trim().to_owned()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(TokenError::Io {
            path: path.to_owned(),
            reason: e.to_string(),
        }),
    }
}

fn write_file(path: &Path, token: &Sensitive<String>) -> Result<(), TokenError> {
    let io = |e: std::io::Error| TokenError::Io {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        orcha_store::create_private_dir(dir).map_err(io)?;
    }
    orcha_core::atomic_file::write_atomically(path, token.expose().as_bytes(), 0o600).map_err(io)
}

/// The token to use, made and stored on first call.
pub fn load_or_create(
    data_dir: &Path,
    secrets: &dyn SecretStore,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Sensitive<String>, TokenSource), TokenError> {
    if let Some(t) = env("ORCHA_API_TOKEN").filter(|t| !t.trim().is_empty()) {
        return Ok((Sensitive::new(t.trim().to_owned()), TokenSource::Env));
    }
    let path = file(data_dir);
    // A file, once written, wins: it means the keyring was unreachable when the token was made,
    // and the same token must keep working whether or not the keyring is up this time.
    if let Some(t) = read_file(&path)? {
        return Ok((t, TokenSource::File(path)));
    }
    match secrets.get(&key()) {
        Ok(Some(t)) if !t.expose().is_empty() => Ok((t, TokenSource::Keyring)),
        Ok(_) => store_new(data_dir, secrets),
        Err(e) => {
            tracing::info!(error = %e, "No keyring for the API token; keeping it in a 0600 file.");
            let token = Sensitive::new(crate::auth::random_secret());
            write_file(&path, &token)?;
            Ok((token, TokenSource::File(path)))
        }
    }
}

/// Replaces the token (sessions and scripts using the old one stop working).
pub fn rotate(
    data_dir: &Path,
    secrets: &dyn SecretStore,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Sensitive<String>, TokenSource), TokenError> {
    if env("ORCHA_API_TOKEN").is_some_and(|t| !t.trim().is_empty()) {
        return Err(TokenError::FromEnv);
    }
    let path = file(data_dir);
    if path.exists() {
        let token = Sensitive::new(crate::auth::random_secret());
        write_file(&path, &token)?;
        return Ok((token, TokenSource::File(path)));
    }
    store_new(data_dir, secrets)
}

fn store_new(
    data_dir: &Path,
    secrets: &dyn SecretStore,
) -> Result<(Sensitive<String>, TokenSource), TokenError> {
    let token = Sensitive::new(crate::auth::random_secret());
    match secrets.set(&key(), token.clone()) {
        Ok(()) => Ok((token, TokenSource::Keyring)),
        Err(e) => {
            tracing::info!(error = %e, "No keyring for the API token; keeping it in a 0600 file.");
            let path = file(data_dir);
            write_file(&path, &token)?;
            Ok((token, TokenSource::File(path)))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use orcha_core::secret::MemorySecretStore;
    use orcha_testkit::NoSecretService;

    use super::*;

    /// A Secret Service on the bus that never answers.
    struct Silent;
    impl SecretStore for Silent {
        fn get(&self, _: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError> {
            std::thread::sleep(Duration::from_secs(60));
            Ok(None)
        }
        fn set(&self, _: &SecretKey, _: Sensitive<String>) -> Result<(), SecretError> {
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        }
        fn delete(&self, _: &SecretKey) -> Result<(), SecretError> {
            Ok(())
        }
    }

    #[test]
    fn a_keyring_that_never_answers_falls_back_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = BoundedKeyring::new(Silent, Duration::from_millis(100));
        let started = std::time::Instant::now();
        let (_, src) = load_or_create(dir.path(), &keyring, &no_env).unwrap();
        assert_eq!(src, TokenSource::File(dir.path().join(FILE_NAME)));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_keyring_keeps_one_token_until_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = MemorySecretStore::default();
        let (a, src) = load_or_create(dir.path(), &keyring, &no_env).unwrap();
        assert_eq!(src, TokenSource::Keyring);
        assert!(a.expose().len() >= 43);
        let (b, _) = load_or_create(dir.path(), &keyring, &no_env).unwrap();
        assert_eq!(a.expose(), b.expose());
        let (c, _) = rotate(dir.path(), &keyring, &no_env).unwrap();
        assert_ne!(a.expose(), c.expose());
        assert_eq!(
            load_or_create(dir.path(), &keyring, &no_env)
                .unwrap()
                .0
                .expose(),
            c.expose()
        );
        assert!(!dir.path().join(FILE_NAME).exists());
    }

    #[test]
    fn without_a_keyring_the_token_is_a_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (a, src) = load_or_create(dir.path(), &NoSecretService, &no_env).unwrap();
        let path = dir.path().join(FILE_NAME);
        assert_eq!(src, TokenSource::File(path.clone()));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), *a.expose());
        let (b, _) = rotate(dir.path(), &NoSecretService, &no_env).unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), *b.expose());
    }

    #[test]
    fn the_environment_overrides_and_cannot_be_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let env = |k: &str| (k == "ORCHA_API_TOKEN").then(|| "from-env".to_owned());
        let (t, src) = load_or_create(dir.path(), &NoSecretService, &env).unwrap();
        assert_eq!((t.expose().as_str(), src), ("from-env", TokenSource::Env));
        assert!(matches!(
            rotate(dir.path(), &NoSecretService, &env),
            Err(TokenError::FromEnv)
        ));
    }
}
