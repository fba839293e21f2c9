//! Who made a change: recorded in every audit row, so the log says which door a change came in by.

use serde::{Deserialize, Serialize};

/// The front door (or the loop itself) behind a state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    /// The Tauri desktop window.
    Desktop,
    /// The REST API (`orcha serve`).
    Api,
    /// The `orcha` command line.
    Cli,
    /// The optimization loop acting on its own.
    Orchestrator,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Desktop => "desktop",
            Actor::Api => "api",
            Actor::Cli => "cli",
            Actor::Orchestrator => "orchestrator",
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Actor;

    #[test]
    fn serializes_as_the_audit_strings() {
        for a in [Actor::Desktop, Actor::Api, Actor::Cli, Actor::Orchestrator] {
            assert_eq!(
                serde_json::to_value(a).ok(),
                Some(serde_json::Value::from(a.as_str()))
            );
        }
    }
}
