//! Builds the adapter for a configured node.

use std::sync::Arc;
use std::time::Duration;

use orcha_core::config::{Config, NodeConfig};
use orcha_core::secret::SecretStore;
use orcha_core::{AdapterError, ProtocolAdapter, ProtocolId};

/// What an adapter may need besides its own node table.
pub struct AdapterContext<'a> {
    pub config: &'a Config,
    pub secrets: &'a dyn SecretStore,
    /// Environment lookup (for credential overrides); tests pass a closure.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Timeout of one HTTP call.
    pub timeout: Duration,
}

/// Creates the adapter of one configured node.
pub fn build_adapter(node: &NodeConfig, ctx: &AdapterContext<'_>) -> Result<Arc<dyn ProtocolAdapter>, AdapterError> {
    let _ = ctx;
    match node.id.protocol() {
        ProtocolId::Storj => {
            let storj = &ctx.config.protocols.storj;
            let mut settings = crate::storj::StorjSettings::new(&node.api_endpoint, Arc::new(orcha_core::SystemClock));
            settings.timeout = ctx.timeout;
            settings.payout_timeout = ctx.timeout.max(Duration::from_secs(90));
            settings.payout_poll_interval = Duration::from_secs(storj.payout_poll_interval.max(60));
            // Only the main node has a config.yaml setting; extra nodes are watched, not tuned.
            if node.id.name() == storj.name && !storj.config_yaml.is_empty() {
                settings.config_yaml = Some(storj.config_yaml.clone().into());
            }
            Ok(Arc::new(crate::storj::StorjAdapter::new(node.id.clone(), settings)?))
        }
        ProtocolId::Golem => {
            let golem = &ctx.config.protocols.golem;
            // A keyring that cannot be read leaves the adapter without a key: every call then
            // answers Unauthorized with the hint, which is what the operator has to act on.
            let app_key = orcha_core::secret::resolve_node_secret(ctx.secrets, ctx.env, &node.id, "app_key")
                .unwrap_or_else(|e| {
                    tracing::warn!(node = %node.id, error = %e, "golem app key not readable");
                    None
                });
            let mut settings = crate::golem::GolemSettings::new(&node.api_endpoint, app_key, Arc::new(orcha_core::SystemClock));
            settings.timeout = ctx.timeout;
            settings.allow_interrupt = golem.allow_interrupt;
            if !golem.ya_provider.is_empty() {
                settings.ya_provider = golem.ya_provider.clone().into();
            }
            // ya-provider's own DATA_DIR, else its default on Linux (~/.local/share/ya-provider).
            // Not an ORCHA_GOLEM_* name: `orcha probe --token-env` answers every such lookup
            // with the token, which must never become a path in a message.
            settings.data_dir = (ctx.env)("ORCHA_YA_PROVIDER_DATA_DIR")
                .or_else(|| (ctx.env)("DATA_DIR"))
                .filter(|d| !d.is_empty())
                .map(Into::into)
                .or_else(|| (ctx.env)("HOME").map(|h| std::path::Path::new(&h).join(".local/share/ya-provider")));
            Ok(Arc::new(crate::golem::GolemAdapter::new(node.id.clone(), settings)?))
        }
        ProtocolId::Streamr => Err(AdapterError::Unsupported { what: format!("{}: the streamr adapter is not built yet", node.id) }),
        ProtocolId::Grass => Err(AdapterError::Unsupported { what: format!("{}: the grass adapter is not built yet", node.id) }),
    }
}
