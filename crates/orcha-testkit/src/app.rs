//! `TestApp`: an `AppState` on a temporary SQLite file, with the nodes and settings a test asks
//! for and defaults for everything else.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use orcha_api::metrics::Metrics;
use orcha_api::ml::MlClient;
use orcha_api::state::AppParts;
use orcha_api::{AppState, NodeRuntime};
use orcha_core::config::{Config, NodeConfig};
use orcha_core::secret::{MemorySecretStore, SecretKey, SecretStore, Sensitive};
use orcha_core::{Clock, ManualClock, ProtocolAdapter, SystemClock};
use orcha_store::Store;

use crate::FakeNode;

/// Where every test node claims to live: port 1, where nothing listens, so a real request to it
/// fails at once.
const NODE_ENDPOINT: &str = "http://127.0.0.1:1";

/// The running state under test and what the test needs to steer it.
///
/// Dropping it removes the database directory; keep it alive as long as `state` is used.
pub struct TestApp {
    pub state: Arc<AppState>,
    /// The secret store the state reads, to check what the API stored there.
    pub secrets: Arc<MemorySecretStore>,
    manual_clock: Option<ManualClock>,
    fakes: Vec<Option<Arc<FakeNode>>>,
    recipe: Recipe,
    db: PathBuf,
    dir: tempfile::TempDir,
}

/// What `TestApp::restart` needs to build the state again.
struct Recipe {
    config: Config,
    clock: Arc<dyn Clock>,
    nodes: Vec<(NodeConfig, Arc<dyn ProtocolAdapter>)>,
    ml_url: Option<String>,
    ml_timeout: Duration,
    demo: bool,
    /// The database is encrypted with this key (SQLCipher).
    db_key: Option<orcha_store::DbKey>,
}

impl TestApp {
    /// Defaults: `Config::default()` without OS measurement, the system clock, no nodes, no secrets, no ML engine
    /// (1 s timeout), not the demo.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            // No OS measurement unless a test asks for it: default process names ("yagna",
            // "storagenode") would measure whatever real node another test runs beside this one.
            config: Config {
                usage: orcha_core::config::UsageConfig {
                    enabled: false,
                    ..Default::default()
                },
                ..Config::default()
            },
            clock_start: None,
            nodes: Vec::new(),
            poll_interval: Duration::from_secs(60),
            auto_apply: false,
            secrets: Vec::new(),
            ml_url: None,
            ml_timeout: Duration::from_secs(1),
            db_key: None,
            demo: false,
        }
    }

    /// The manual clock; panics when the app runs on the system clock.
    pub fn clock(&self) -> &ManualClock {
        self.manual_clock
            .as_ref()
            .expect("this TestApp runs on the system clock: build it with clock_at")
    }

    /// The `i`-th node (in the order added).
    pub fn node(&self, i: usize) -> &Arc<NodeRuntime> {
        &self.state.nodes[i]
    }

    /// The fake behind the `i`-th node; panics when that node was added with `adapter`.
    pub fn fake(&self, i: usize) -> &Arc<FakeNode> {
        self.fakes[i]
            .as_ref()
            .unwrap_or_else(|| panic!("node {i} is not a FakeNode"))
    }

    /// The SQLite file.
    pub fn db_path(&self) -> &Path {
        &self.db
    }

    /// The temporary directory holding the database; removed with the `TestApp`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops using the current state and builds a new one on the same database, as a restart
    /// of the app would: same config, clock, secrets and adapters, fresh in-memory state.
    pub fn restart(mut self) -> TestApp {
        let old = std::mem::replace(
            &mut self.state,
            assemble(&self.recipe, &self.db, &self.secrets),
        );
        drop(old);
        self
    }
}

/// A node's adapter, and the same object as a `FakeNode` when it is one.
type NodeSlot = (Arc<dyn ProtocolAdapter>, Option<Arc<FakeNode>>);

/// Chooses what goes into a [`TestApp`]; see [`TestApp::builder`] for the defaults.
pub struct TestAppBuilder {
    config: Config,
    clock_start: Option<DateTime<Utc>>,
    nodes: Vec<NodeSlot>,
    poll_interval: Duration,
    auto_apply: bool,
    secrets: Vec<(String, String)>,
    ml_url: Option<String>,
    ml_timeout: Duration,
    demo: bool,
    db_key: Option<orcha_store::DbKey>,
}

impl TestAppBuilder {
    /// The whole configuration (nodes are added separately).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Changes the configuration in place.
    pub fn configure(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.config);
        self
    }

    /// A `ManualClock` starting at this RFC 3339 instant instead of the system clock.
    pub fn clock_at(mut self, start: &str) -> Self {
        self.clock_start = Some(crate::at(start));
        self
    }

    /// A node answered by this fake.
    pub fn node(mut self, fake: FakeNode) -> Self {
        let fake = Arc::new(fake);
        self.nodes
            .push((Arc::clone(&fake) as Arc<dyn ProtocolAdapter>, Some(fake)));
        self
    }

    /// A node answered by any adapter (a real one against a stub, say).
    pub fn adapter(mut self, adapter: Arc<dyn ProtocolAdapter>) -> Self {
        self.nodes.push((adapter, None));
        self
    }

    /// Every node's poll interval (default 60 s).
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// Every node's `auto_apply` switch (default off).
    pub fn auto_apply(mut self, on: bool) -> Self {
        self.auto_apply = on;
        self
    }

    /// A secret stored before the state is built.
    pub fn secret(mut self, key: &str, value: &str) -> Self {
        self.secrets.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The ML engine's base URL (default: none, the engine is unavailable).
    pub fn ml_url(mut self, url: &str) -> Self {
        self.ml_url = Some(url.to_owned());
        self
    }

    /// The ML client's request timeout (default 1 s).
    pub fn ml_timeout(mut self, timeout: Duration) -> Self {
        self.ml_timeout = timeout;
        self
    }

    /// Encrypts the database with `key` (default: a plain database).
    pub fn db_key(mut self, key: orcha_store::DbKey) -> Self {
        self.db_key = Some(key);
        self
    }

    /// Whether the state says it is the demo (default false).
    pub fn demo(mut self, demo: bool) -> Self {
        self.demo = demo;
        self
    }

    pub fn build(self) -> TestApp {
        let dir = crate::temp_dir();
        let db = dir.path().join("orcha.db");
        let secrets = Arc::new(MemorySecretStore::default());
        for (key, value) in &self.secrets {
            secrets
                .set(&SecretKey(key.clone()), Sensitive::new(value.clone()))
                .unwrap_or_else(|e| panic!("storing {key}: {e}"));
        }
        let manual_clock = self.clock_start.map(ManualClock::new);
        let clock: Arc<dyn Clock> = match &manual_clock {
            Some(c) => Arc::new(c.clone()),
            None => Arc::new(SystemClock),
        };
        let (poll_interval, auto_apply) = (self.poll_interval, self.auto_apply);
        let (nodes, fakes) = self
            .nodes
            .into_iter()
            .map(|(adapter, fake)| {
                let config = NodeConfig {
                    id: adapter.node_id().clone(),
                    api_endpoint: NODE_ENDPOINT.into(),
                    poll_interval,
                    auto_apply,
                };
                ((config, adapter), fake)
            })
            .unzip();
        let recipe = Recipe {
            config: self.config,
            clock,
            nodes,
            ml_url: self.ml_url,
            ml_timeout: self.ml_timeout,
            demo: self.demo,
            db_key: self.db_key,
        };
        TestApp {
            state: assemble(&recipe, &db, &secrets),
            secrets,
            manual_clock,
            fakes,
            recipe,
            db,
            dir,
        }
    }
}

fn assemble(recipe: &Recipe, db: &Path, secrets: &Arc<MemorySecretStore>) -> Arc<AppState> {
    AppState::new(AppParts {
        config: recipe.config.clone(),
        store: Store::open_with_key(db, recipe.db_key.as_ref())
            .unwrap_or_else(|e| panic!("opening {}: {e}", db.display())),
        secrets: Arc::clone(secrets) as Arc<dyn SecretStore>,
        clock: Arc::clone(&recipe.clock),
        metrics: Metrics::new(),
        nodes: recipe
            .nodes
            .iter()
            .map(|(config, adapter)| {
                Arc::new(NodeRuntime::new(config.clone(), Arc::clone(adapter)))
            })
            .collect(),
        ml: MlClient::new(recipe.ml_url.clone(), recipe.ml_timeout),
        demo: recipe.demo,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_restart_keeps_the_database_clock_and_nodes() {
        let app = TestApp::builder()
            .clock_at("2026-03-01T12:00:00Z")
            .node(FakeNode::new("golem:main"))
            .secret("golem:main/app_key", "k")
            .build();
        let at = app.clock().now();
        app.state
            .db(move |s| s.open_alert(None, "test", "info", "kept", at))
            .await
            .unwrap();
        app.clock().advance(chrono::Duration::hours(1));
        let app = app.restart();
        assert_eq!(
            app.state.db(|s| s.alerts(false, 10)).await.unwrap().len(),
            1
        );
        assert_eq!(app.state.clock.now(), crate::at("2026-03-01T13:00:00Z"));
        assert_eq!(app.node(0).config.id, *app.fake(0).id());
        assert!(app
            .secrets
            .get(&SecretKey("golem:main/app_key".into()))
            .unwrap()
            .is_some());
    }
}
