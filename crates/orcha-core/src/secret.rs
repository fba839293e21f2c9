//! Secrets: a redacting wrapper and the store interface the OS keyring implements.

use std::fmt;

/// A value that must never be printed, logged or serialized.
///
/// `Debug` and `Display` print `<redacted>`; the type deliberately does not implement
/// `serde::Serialize`, so it cannot end up in a DTO, an event or the database by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }

    /// The only way to the value; call it at the last moment (building a request header).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Which credential of which node: the keyring entry is `service = orcha`, `user = <key>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SecretKey(pub String);

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the OS keyring is not available: {0}")]
    Unavailable(String),
    #[error("the OS keyring refused access: {0}")]
    Denied(String),
}

/// Where credentials live. The production implementation is the OS keyring; tests use an
/// in-memory one.
pub trait SecretStore: Send + Sync {
    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError>;
    fn set(&self, key: &SecretKey, value: Sensitive<String>) -> Result<(), SecretError>;
    /// Deleting a missing entry is not an error.
    fn delete(&self, key: &SecretKey) -> Result<(), SecretError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_never_prints_its_value() {
        let s = Sensitive::new("hunter2".to_owned());
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "hunter2");
    }
}
