//! Builds the adapter for a configured node.

use std::sync::Arc;
use std::time::Duration;

use orcha_core::config::{Config, NodeConfig};
use orcha_core::secret::SecretStore;
use orcha_core::{AdapterError, Clock, ProtocolAdapter, ProtocolId};

/// What an adapter may need besides its own node table.
pub struct AdapterContext<'a> {
    pub config: &'a Config,
    pub secrets: &'a dyn SecretStore,
    /// Environment lookup (for credential overrides); tests pass a closure.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Timeout of one HTTP call.
    pub timeout: Duration,
    /// The clock adapters judge "how long ago" and "due" by: the app's, so a simulated or
    /// test clock reaches every adapter.
    pub clock: Arc<dyn Clock>,
}

/// Creates the adapter of one configured node.
pub fn build_adapter(
    node: &NodeConfig,
    ctx: &AdapterContext<'_>,
) -> Result<Arc<dyn ProtocolAdapter>, AdapterError> {
    match node.id.protocol() {
        ProtocolId::Storj => {
            let storj = &ctx.config.protocols.storj;
            let mut settings =
                crate::storj::StorjSettings::new(&node.api_endpoint, Arc::clone(&ctx.clock));
            settings.timeout = ctx.timeout;
            settings.payout_timeout = ctx.timeout.max(Duration::from_secs(90));
            settings.payout_poll_interval = Duration::from_secs(storj.payout_poll_interval.max(60));
            // Only the main node has a config.yaml setting; extra nodes are watched, not tuned.
            if node.id.name() == storj.name && !storj.config_yaml.is_empty() {
                settings.config_yaml = Some(storj.config_yaml.clone().into());
            }
            let grant = ctx.config.allocation.grant_disk_gib;
            if !ctx.config.usage.machine_bounds && grant > 0 {
                settings.disk_max = Some(grant.saturating_mul(1 << 30));
            }
            Ok(Arc::new(crate::storj::StorjAdapter::new(
                node.id.clone(),
                settings,
            )?))
        }
        ProtocolId::Golem => {
            let golem = &ctx.config.protocols.golem;
            // A keyring that cannot be read leaves the adapter without a key: every call then
            // answers Unauthorized with the hint, which is what the operator has to act on.
            let app_key =
                orcha_core::secret::resolve_node_secret(ctx.secrets, ctx.env, &node.id, "app_key")
                    .unwrap_or_else(|e| {
                        tracing::warn!(node = %node.id, error = %e, "golem app key not readable");
                        None
                    });
            let mut settings = crate::golem::GolemSettings::new(
                &node.api_endpoint,
                app_key,
                Arc::clone(&ctx.clock),
            );
            settings.timeout = ctx.timeout;
            settings.allow_interrupt = golem.allow_interrupt;
            if !ctx.config.usage.machine_bounds {
                let a = &ctx.config.allocation;
                let some = |v: u64| (v > 0).then_some(v);
                settings.profile_max = Some(crate::golem::ProfileMax {
                    cpu_millicores: some((a.grant_cpu_cores * 1000.0).floor() as u64),
                    mem_bytes: some(a.grant_memory_mib.saturating_mul(1 << 20)),
                    storage_bytes: some(a.grant_disk_gib.saturating_mul(1 << 30)),
                });
            }
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
                .or_else(|| {
                    (ctx.env)("HOME")
                        .map(|h| std::path::Path::new(&h).join(".local/share/ya-provider"))
                });
            Ok(Arc::new(crate::golem::GolemAdapter::new(
                node.id.clone(),
                settings,
            )?))
        }
        ProtocolId::Streamr => {
            let streamr = &ctx.config.protocols.streamr;
            let info_endpoint = Some(node.api_endpoint.as_str()).filter(|e| !e.is_empty());
            let mut settings =
                crate::streamr::StreamrSettings::new(info_endpoint, Arc::clone(&ctx.clock));
            settings.timeout = ctx.timeout;
            settings.info_key = secret(ctx, node, "info_key");
            settings.subgraph_key = secret(ctx, node, "api_key");
            settings.operator_address = non_empty(&streamr.operator_address);
            if let Some(url) = non_empty(&streamr.subgraph_url) {
                settings.subgraph_url = url;
            }
            settings.rpc_url = non_empty(&streamr.rpc_url);
            // validate() has checked the string; a bad one keeps the 1 POL default.
            if let Ok(m) = orcha_core::Money::parse_decimal(
                &streamr.min_pol_balance,
                orcha_core::Token::Pol,
                18,
            ) {
                settings.min_pol_balance = m;
            }
            settings.allow_bandwidth_shaping = streamr
                .allow_bandwidth_shaping
                .iter()
                .any(|n| n == node.id.name());
            settings.console_log = non_empty(&streamr.console_log).map(Into::into);
            settings.process = local_process(ctx, node, "streamr-node");
            Ok(Arc::new(crate::streamr::StreamrAdapter::new(
                node.id.clone(),
                settings,
            )?))
        }
        ProtocolId::Grass => {
            let mut settings = crate::grass::GrassSettings::new(
                &node.api_endpoint,
                secret(ctx, node, "token"),
                Arc::clone(&ctx.clock),
            );
            settings.timeout = ctx.timeout.max(Duration::from_secs(15));
            settings.process = local_process(ctx, node, "grass");
            Ok(Arc::new(crate::grass::GrassAdapter::new(
                node.id.clone(),
                settings,
            )?))
        }
    }
}

/// A node credential from the environment or the keyring. A keyring that cannot be read leaves
/// the adapter without it: calls then fail with the variant and hint the operator acts on.
fn secret(
    ctx: &AdapterContext<'_>,
    node: &NodeConfig,
    kind: &str,
) -> Option<orcha_core::secret::Sensitive<String>> {
    orcha_core::secret::resolve_node_secret(ctx.secrets, ctx.env, &node.id, kind).unwrap_or_else(
        |e| {
            tracing::warn!(node = %node.id, kind, error = %e, "credential not readable");
            None
        },
    )
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// How to see the node's process: its Docker container when `allocation.nodes` says it runs in
/// one, else a process named `default` in `/proc`.
fn local_process(
    ctx: &AdapterContext<'_>,
    node: &NodeConfig,
    default: &str,
) -> crate::streamr::LocalProcess {
    match ctx.config.allocation.nodes.get(&node.id.to_string()) {
        Some(n) if n.runs_as == orcha_core::config::RunsAs::Docker && !n.container.is_empty() => {
            crate::streamr::LocalProcess::Container {
                docker: "docker".into(),
                name: n.container.clone(),
            }
        }
        _ => crate::streamr::LocalProcess::Named(default.to_owned()),
    }
}
