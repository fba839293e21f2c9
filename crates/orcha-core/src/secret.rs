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

impl SecretKey {
    /// The keyring entry of one credential of one node, e.g. `golem:main/app_key`.
    pub fn for_node(node: &crate::domain::NodeId, kind: &str) -> SecretKey {
        SecretKey(format!("{node}/{kind}"))
    }
}

/// Finds a node's credential: the environment first (headless boxes), then the keyring.
///
/// Variables are `ORCHA_<PROTOCOL>_<NAME>_<KIND>` for one node and `ORCHA_<PROTOCOL>_<KIND>` for
/// every node of a protocol, upper-cased with `-` as `_` (e.g. `ORCHA_GOLEM_APP_KEY`).
pub fn resolve_node_secret(
    store: &dyn SecretStore,
    env: &dyn Fn(&str) -> Option<String>,
    node: &crate::domain::NodeId,
    kind: &str,
) -> Result<Option<Sensitive<String>>, SecretError> {
    let norm = |s: &str| s.to_ascii_uppercase().replace('-', "_");
    let per_node = format!(
        "ORCHA_{}_{}_{}",
        norm(node.protocol().as_str()),
        norm(node.name()),
        norm(kind)
    );
    let per_protocol = format!("ORCHA_{}_{}", norm(node.protocol().as_str()), norm(kind));
    for var in [per_node, per_protocol] {
        if let Some(v) = env(&var).filter(|v| !v.is_empty()) {
            return Ok(Some(Sensitive::new(v)));
        }
    }
    store.get(&SecretKey::for_node(node, kind))
}

/// A secret store in memory, for tests and for the demo mode (which must not touch the keyring).
#[derive(Default)]
pub struct MemorySecretStore {
    entries: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl SecretStore for MemorySecretStore {
    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        Ok(map.get(&key.0).cloned().map(Sensitive::new))
    }

    fn set(&self, key: &SecretKey, value: Sensitive<String>) -> Result<(), SecretError> {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(key.0.clone(), value.expose().clone());
        Ok(())
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key.0);
        Ok(())
    }
}

#[cfg(test)]
mod resolve_tests {
    use super::*;

    #[test]
    fn environment_beats_keyring_and_node_beats_protocol() {
        let store = MemorySecretStore::default();
        let node: crate::domain::NodeId = "golem:main-2".parse().unwrap();
        store
            .set(
                &SecretKey::for_node(&node, "app_key"),
                Sensitive::new("from-keyring".into()),
            )
            .unwrap();
        let none = |_: &str| None;
        assert_eq!(
            resolve_node_secret(&store, &none, &node, "app_key")
                .unwrap()
                .unwrap()
                .expose(),
            "from-keyring"
        );
        let proto = |k: &str| (k == "ORCHA_GOLEM_APP_KEY").then(|| "from-env".to_owned());
        assert_eq!(
            resolve_node_secret(&store, &proto, &node, "app_key")
                .unwrap()
                .unwrap()
                .expose(),
            "from-env"
        );
        let both = |k: &str| match k {
            "ORCHA_GOLEM_MAIN_2_APP_KEY" => Some("node-env".to_owned()),
            "ORCHA_GOLEM_APP_KEY" => Some("from-env".to_owned()),
            _ => None,
        };
        assert_eq!(
            resolve_node_secret(&store, &both, &node, "app_key")
                .unwrap()
                .unwrap()
                .expose(),
            "node-env"
        );
        store
            .delete(&SecretKey::for_node(&node, "app_key"))
            .unwrap();
        assert!(resolve_node_secret(&store, &none, &node, "app_key")
            .unwrap()
            .is_none());
    }
}
