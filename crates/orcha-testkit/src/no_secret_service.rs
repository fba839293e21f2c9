//! A secret store that behaves like a box with no Secret Service at all (a headless server):
//! every call fails as `Unavailable`, so the code under test must take its file fallback.

use orcha_core::secret::{SecretError, SecretKey, SecretStore, Sensitive};

/// No Secret Service on the bus: every read, write and delete is `Unavailable`.
pub struct NoSecretService;

impl SecretStore for NoSecretService {
    fn get(&self, _: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError> {
        Err(SecretError::Unavailable("no Secret Service".into()))
    }
    fn set(&self, _: &SecretKey, _: Sensitive<String>) -> Result<(), SecretError> {
        Err(SecretError::Unavailable("no Secret Service".into()))
    }
    fn delete(&self, _: &SecretKey) -> Result<(), SecretError> {
        Err(SecretError::Unavailable("no Secret Service".into()))
    }
}
