//! The OS keyring as the production `SecretStore` (Secret Service on Linux, Keychain, Credential
//! Manager), under one service name per app so entries of other apps are never touched.

use orcha_core::secret::{SecretError, SecretKey, SecretStore, Sensitive};

/// The keyring service name of every Orcha credential.
pub const SERVICE: &str = "depin-orcha";

#[derive(Debug, Clone)]
pub struct OsKeyring {
    service: String,
}

impl OsKeyring {
    pub fn new() -> Self {
        OsKeyring {
            service: SERVICE.to_owned(),
        }
    }

    /// A keyring under another service name, so tests never see the operator's real entries.
    pub fn with_service(service: &str) -> Self {
        OsKeyring {
            service: service.to_owned(),
        }
    }

    fn entry(&self, key: &SecretKey) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, &key.0).map_err(map_err)
    }
}

impl Default for OsKeyring {
    fn default() -> Self {
        OsKeyring::new()
    }
}

fn map_err(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::NoStorageAccess(inner) => SecretError::Denied(inner.to_string()),
        other => SecretError::Unavailable(other.to_string()),
    }
}

impl SecretStore for OsKeyring {
    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError> {
        match self.entry(key)?.get_password() {
            Ok(v) => Ok(Some(Sensitive::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e)),
        }
    }

    fn set(&self, key: &SecretKey, value: Sensitive<String>) -> Result<(), SecretError> {
        self.entry(key)?
            .set_password(value.expose())
            .map_err(map_err)
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    }
}
