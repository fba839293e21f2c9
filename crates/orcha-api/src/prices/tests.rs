//! The app's price book against a local fake CoinGecko over real HTTP: refresh and record, 429 back-off and staleness on a manual clock, unknown tokens, fixed overrides, points, fiat totals and the refresher's shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, Utc};
use orcha_adapters::prices::{PriceAsset, RefreshOutcome};
use orcha_core::config::{Config, NodeConfig};
use orcha_core::secret::{MemorySecretStore, SecretKey, SecretStore, Sensitive};
use orcha_core::{
    AdapterError, AppliedAllocation, Capability, EarningsData, EarningsKind, HealthStatus,
    ManualClock, Money, NodeId, NodeInfo, ProtocolAdapter, ProtocolId, ResourceMetrics,
    ResourceVector, Token,
};
use orcha_store::Store;
use tokio_util::sync::CancellationToken;

use crate::dto::PriceFreshness;
use crate::metrics::Metrics;
use crate::ml::MlClient;
use crate::state::{AppParts, AppState, NodeRuntime};

const KEY: &str = "cg-demo-key-5a5a5a";

/// CoinGecko's real `/simple/price?ids=…&vs_currencies=usd&include_last_updated_at=true`
/// answer: one object per id it knows, the fiat as key, `last_updated_at` in Unix seconds.
const PRICES: &str = r#"{
  "golem": {"usd": 0.2512, "last_updated_at": 1767225590},
  "streamr": {"usd": 0.0123, "last_updated_at": 1767225580},
  "storj": {"usd": 0.31, "last_updated_at": 1767225570},
  "polygon-ecosystem-token": {"usd": 0.19, "last_updated_at": 1767225560},
  "grass": {"usd": 1.5, "last_updated_at": 1767225550}
}"#;

/// Every query string asked, with the API key header it carried.
type Hits = Arc<Mutex<Vec<(String, Option<String>)>>>;

#[derive(Clone)]
struct Fake {
    /// Status, body and Retry-After of the next answers.
    answer: Arc<Mutex<(StatusCode, String, Option<&'static str>)>>,
    /// Every query string asked, with the API key header it carried.
    hits: Hits,
}

impl Fake {
    fn new(body: &str) -> Self {
        Fake {
            answer: Arc::new(Mutex::new((StatusCode::OK, body.to_owned(), None))),
            hits: Arc::default(),
        }
    }
    fn set(&self, status: StatusCode, body: &str, retry: Option<&'static str>) {
        *self.answer.lock().unwrap() = (status, body.to_owned(), retry);
    }
    fn hits(&self) -> Vec<(String, Option<String>)> {
        self.hits.lock().unwrap().clone()
    }
    async fn serve(&self) -> String {
        async fn handle(State(f): State<Fake>, req: Request) -> Response {
            let key = req
                .headers()
                .get("x-cg-demo-api-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            f.hits
                .lock()
                .unwrap()
                .push((req.uri().query().unwrap_or("").to_owned(), key));
            if req.uri().path() != "/api/v3/simple/price" {
                return Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(Body::from("{}"))
                    .unwrap();
            }
            let (status, body, retry) = f.answer.lock().unwrap().clone();
            let mut r = Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, "application/json");
            if let Some(v) = retry {
                r = r.header(header::RETRY_AFTER, v);
            }
            r.body(Body::from(body)).unwrap()
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().fallback(handle).with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/api/v3")
    }
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A node that only has an id: the totals read the store, never the adapter.
struct Quiet(NodeId);

#[async_trait]
impl ProtocolAdapter for Quiet {
    fn protocol_name(&self) -> ProtocolId {
        self.0.protocol()
    }
    fn node_id(&self) -> &NodeId {
        &self.0
    }
    async fn connect(&self) -> Result<NodeInfo, AdapterError> {
        Err(unsupported())
    }
    async fn disconnect(&self) -> Result<(), AdapterError> {
        Ok(())
    }
    async fn get_current_earnings(&self) -> Result<EarningsData, AdapterError> {
        Err(unsupported())
    }
    async fn get_resource_usage(&self) -> Result<ResourceMetrics, AdapterError> {
        Err(unsupported())
    }
    async fn apply_allocation(
        &self,
        _: &ResourceVector,
    ) -> Result<AppliedAllocation, AdapterError> {
        Err(unsupported())
    }
    async fn health_check(&self) -> HealthStatus {
        HealthStatus::Unknown
    }
    fn capabilities(&self) -> Vec<Capability> {
        Vec::new()
    }
}

fn unsupported() -> AdapterError {
    AdapterError::Unsupported {
        what: "test node".into(),
    }
}

struct World {
    state: Arc<AppState>,
    clock: ManualClock,
    _dir: tempfile::TempDir,
}

fn world(config: Config, nodes: &[&str], demo: bool) -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(t("2026-01-01T00:00:00Z"));
    let secrets = Arc::new(MemorySecretStore::default());
    secrets
        .set(
            &SecretKey(super::SECRET_KEY.to_owned()),
            Sensitive::new(KEY.to_owned()),
        )
        .unwrap();
    let nodes = nodes
        .iter()
        .map(|id| {
            let id: NodeId = id.parse().unwrap();
            let config = NodeConfig {
                id: id.clone(),
                api_endpoint: "http://127.0.0.1:1".into(),
                poll_interval: Duration::from_secs(60),
                auto_apply: false,
            };
            Arc::new(NodeRuntime::new(config, Arc::new(Quiet(id))))
        })
        .collect();
    let state = AppState::new(AppParts {
        config,
        store: Store::open(&dir.path().join("orcha.db")).unwrap(),
        secrets: secrets as Arc<dyn SecretStore>,
        clock: Arc::new(clock.clone()),
        metrics: Metrics::new(),
        nodes,
        ml: MlClient::new(None, Duration::from_secs(1)),
        demo,
    });
    World {
        state,
        clock,
        _dir: dir,
    }
}

fn market(base: &str) -> Config {
    let mut c = Config::default();
    c.prices.base_url = base.to_owned();
    c
}

async fn rows(state: &AppState, asset: &'static str) -> Vec<orcha_store::PriceRow> {
    state
        .db(move |s| s.price_rows(asset, "usd", 100))
        .await
        .unwrap()
}

fn freshness(dto: &crate::dto::PricesDto, asset: &str) -> (PriceFreshness, Option<String>) {
    let p = dto.prices.iter().find(|p| p.asset == asset).unwrap();
    (p.state, p.value.clone())
}

#[tokio::test]
async fn a_refresh_stores_every_price_with_its_source_and_time() {
    let fake = Fake::new(PRICES);
    let w = world(market(&fake.serve().await), &[], false);
    let out = super::refresh(&w.state).await.unwrap();
    assert!(
        matches!(out, RefreshOutcome::Refreshed(ref a) if a.len() == 5),
        "{out:?}"
    );
    let (query, key) = fake.hits()[0].clone();
    assert!(
        query.contains("ids=golem,streamr,storj,polygon-ecosystem-token,grass")
            && query.contains("vs_currencies=usd")
            && query.contains("include_last_updated_at=true"),
        "{query}"
    );
    assert_eq!(key.as_deref(), Some(KEY), "the keyring's API key is sent");

    let glm = rows(&w.state, "glm").await;
    assert_eq!(glm.len(), 1);
    assert_eq!(
        (
            glm[0].value.as_str(),
            glm[0].source.as_str(),
            glm[0].observed_at
        ),
        ("0.2512", "coingecko", t("2025-12-31T23:59:50Z"))
    );
    // GRASS has no `Token` but its price is recorded under its asset name all the same.
    assert_eq!(rows(&w.state, "grass").await[0].value, "1.5");

    // Asking again within 15 minutes answers from the cache and writes nothing new.
    w.clock.advance(chrono::Duration::minutes(10));
    assert_eq!(
        super::refresh(&w.state).await.unwrap(),
        RefreshOutcome::NotDue
    );
    assert_eq!(fake.hits().len(), 1);
    assert_eq!(rows(&w.state, "glm").await.len(), 1);

    // A new price is a new row; the old one stays, so history keeps the price it used.
    fake.set(
        StatusCode::OK,
        r#"{"golem": {"usd": 0.3, "last_updated_at": 1767226500}}"#,
        None,
    );
    w.clock.advance(chrono::Duration::minutes(6));
    super::refresh(&w.state).await.unwrap();
    let glm = rows(&w.state, "glm").await;
    assert_eq!(
        glm.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(),
        ["0.3", "0.2512"]
    );

    let dto = crate::ops::prices(&w.state).await.unwrap();
    assert_eq!(
        (dto.fiat.as_str(), dto.source.as_str()),
        ("usd", "coingecko")
    );
    assert_eq!(dto.last_refresh, Some(t("2026-01-01T00:16:00Z")));
    let glm = dto.prices.iter().find(|p| p.asset == "glm").unwrap();
    assert_eq!(glm.value.as_deref(), Some("0.3"));
    assert_eq!(glm.source.as_deref(), Some("coingecko"));
    assert_eq!(glm.observed_at, Some(t("2026-01-01T00:15:00Z")));
}

#[tokio::test]
async fn a_429_backs_off_and_prices_turn_stale_after_30_minutes() {
    let fake = Fake::new(PRICES);
    let w = world(market(&fake.serve().await), &[], false);
    super::refresh(&w.state).await.unwrap();

    w.clock.advance(chrono::Duration::minutes(16));
    fake.set(
        StatusCode::TOO_MANY_REQUESTS,
        r#"{"status":{"error_code":429,"error_message":"You've exceeded the Rate Limit."}}"#,
        Some("30"),
    );
    let e = super::refresh(&w.state).await.unwrap_err();
    assert!(matches!(e, AdapterError::RateLimited { .. }), "{e}");
    assert!(!e.to_string().contains(KEY), "no key in errors: {e}");
    // The first back-off is one minute (longer than the 30 s Retry-After) …
    assert_eq!(
        w.state.prices.backoff_until(),
        Some(t("2026-01-01T00:17:00Z"))
    );
    assert_eq!(w.state.prices.next_wait(), Duration::from_secs(60));
    // … during which nobody asks CoinGecko.
    assert!(super::refresh(&w.state).await.is_err());
    assert_eq!(fake.hits().len(), 2);
    // The second 429 in a row doubles it.
    w.clock.advance(chrono::Duration::seconds(61));
    assert!(super::refresh(&w.state).await.is_err());
    assert_eq!(fake.hits().len(), 3);
    assert_eq!(
        w.state.prices.backoff_until(),
        Some(t("2026-01-01T00:19:01Z"))
    );
    assert_eq!(w.state.prices.next_wait(), Duration::from_secs(120));

    // 29 minutes after the last answer the price is still fresh; after 30 it is stale, but kept.
    w.clock.advance(chrono::Duration::seconds(12 * 60 - 1));
    let dto = crate::ops::prices(&w.state).await.unwrap();
    assert_eq!(
        freshness(&dto, "data"),
        (PriceFreshness::Fresh, Some("0.0123".into()))
    );
    w.clock.advance(chrono::Duration::seconds(61));
    let dto = crate::ops::prices(&w.state).await.unwrap();
    assert_eq!(
        freshness(&dto, "data"),
        (PriceFreshness::Stale, Some("0.0123".into()))
    );
    assert!(dto.last_error.unwrap().contains("rate limiting"));
    assert_eq!(dto.backoff_until, None, "the back-off is over");

    // The source recovers: fresh again, back-off cleared.
    fake.set(StatusCode::OK, PRICES, None);
    super::refresh(&w.state).await.unwrap();
    let dto = crate::ops::prices(&w.state).await.unwrap();
    assert_eq!(freshness(&dto, "data").0, PriceFreshness::Fresh);
    assert_eq!(dto.backoff_until, None);
}

#[tokio::test]
async fn a_token_the_source_does_not_know_has_no_price_and_the_others_do() {
    // CoinGecko leaves out ids it does not know.
    let fake = Fake::new(
        r#"{"golem": {"usd": 0.25, "last_updated_at": 1767225590},
            "streamr": {"usd": 0.0123, "last_updated_at": 1767225580}}"#,
    );
    let w = world(market(&fake.serve().await), &[], false);
    super::refresh(&w.state).await.unwrap();
    let dto = crate::ops::prices(&w.state).await.unwrap();
    assert_eq!(freshness(&dto, "grass"), (PriceFreshness::None, None));
    assert_eq!(freshness(&dto, "storj"), (PriceFreshness::None, None));
    assert_eq!(
        freshness(&dto, "glm"),
        (PriceFreshness::Fresh, Some("0.25".into()))
    );
    let grass = dto.prices.iter().find(|p| p.asset == "grass").unwrap();
    assert_eq!((grass.source.clone(), grass.observed_at), (None, None));
    assert!(
        rows(&w.state, "grass").await.is_empty(),
        "no price is never stored"
    );
    // The optimizer values GLM and holds what has no price.
    use crate::cycle::optimize::fiat_price;
    assert_eq!(fiat_price(&w.state, ProtocolId::Golem), Ok(0.25));
    assert_eq!(
        fiat_price(&w.state, ProtocolId::Storj),
        Ok(1.0),
        "USD in USD"
    );
}

#[tokio::test]
async fn a_fixed_override_beats_the_feed_and_is_not_fetched() {
    let fake = Fake::new(PRICES);
    let mut config = market(&fake.serve().await);
    config.prices.fixed_mode = "override".into();
    config.prices.fixed.insert("glm".into(), "0.30".into());
    let w = world(config, &[], false);
    super::refresh(&w.state).await.unwrap();
    let (query, _) = fake.hits()[0].clone();
    assert!(!query.contains("golem"), "{query}");
    let q = w.state.prices.quote(PriceAsset::Glm).unwrap();
    assert_eq!((q.value.as_str(), q.source.as_str()), ("0.30", "operator"));
    assert_eq!(
        crate::cycle::optimize::fiat_price(&w.state, ProtocolId::Golem),
        Ok(0.3)
    );
    let glm = rows(&w.state, "glm").await;
    assert_eq!(
        (glm[0].value.as_str(), glm[0].source.as_str()),
        ("0.30", "operator")
    );

    // In fallback mode the market wins while it is fresh; the old allocation key still counts.
    let mut config = market(&fake.serve().await);
    config
        .allocation
        .fiat_per_token
        .insert("glm".into(), "0.40".into());
    let w = world(config, &[], false);
    assert_eq!(w.state.prices.quote(PriceAsset::Glm).unwrap().value, "0.40");
    super::refresh(&w.state).await.unwrap();
    assert_eq!(
        w.state.prices.quote(PriceAsset::Glm).unwrap().value,
        "0.2512"
    );
}

#[tokio::test]
async fn grass_points_are_never_priced_with_the_grass_token() {
    let fake = Fake::new(PRICES);
    let w = world(market(&fake.serve().await), &[], false);
    super::refresh(&w.state).await.unwrap();
    assert_eq!(
        w.state.prices.quote(PriceAsset::Grass).unwrap().value,
        "1.5"
    );
    assert_eq!(w.state.prices.quote_token(Token::Points), None);
    assert_eq!(
        w.state.prices.convert(&Money::new(Token::Points, 1000, 0)),
        None
    );
    let why = crate::cycle::optimize::fiat_price(&w.state, ProtocolId::Grass).unwrap_err();
    assert!(why.contains("grass_fiat_per_point"), "{why}");

    // With the operator's assumption, points are worth exactly that, labelled as such.
    let mut config = market(&fake.serve().await);
    config.prices.grass_fiat_per_point = "0.0001".into();
    let w = world(config, &[], false);
    super::refresh(&w.state).await.unwrap();
    let (value, q) = w
        .state
        .prices
        .convert(&Money::new(Token::Points, 1000, 0))
        .unwrap();
    assert_eq!(value, "0.1");
    assert_eq!(
        (q.asset.as_str(), q.source.as_str()),
        ("points", "operator-assumption")
    );
    let dto = crate::ops::prices(&w.state).await.unwrap();
    let pts = dto.prices.iter().find(|p| p.asset == "points").unwrap();
    assert!(pts.assumption);
    assert_eq!(pts.value.as_deref(), Some("0.0001"));
    assert_eq!(
        crate::cycle::optimize::fiat_price(&w.state, ProtocolId::Grass),
        Ok(0.0001)
    );
}

/// Writes lifetime readings for a node.
async fn earned(state: &AppState, node: &str, readings: &[(DateTime<Utc>, Money)]) {
    let id: NodeId = node.parse().unwrap();
    let readings = readings.to_vec();
    state
        .db(move |s| {
            for (at, m) in readings {
                s.insert_earnings(
                    &id,
                    &EarningsData {
                        observed_at: at,
                        figures: vec![(EarningsKind::Lifetime, m)],
                    },
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn totals_say_no_price_instead_of_zero_and_keep_the_price_used() {
    let fake = Fake::new(PRICES);
    let mut config = market(&fake.serve().await);
    config.prices.source = "fixed-only".into();
    let w = world(config, &["storj:main", "golem:main", "grass:main"], false);
    w.clock.advance(chrono::Duration::hours(20));
    let now = t("2026-01-01T20:00:00Z");
    let glm = |whole: i128| Money::new(Token::Glm, whole * 1_000_000_000_000_000_000, 18);
    earned(
        &w.state,
        "golem:main",
        &[
            (now - chrono::Duration::days(10), glm(1)),
            (now - chrono::Duration::days(2), glm(3)),
            (now - chrono::Duration::hours(1), glm(4)),
        ],
    )
    .await;
    earned(
        &w.state,
        "storj:main",
        &[
            (
                now - chrono::Duration::hours(26),
                Money::new(Token::Usd, 100, 2),
            ),
            (
                now - chrono::Duration::hours(2),
                Money::new(Token::Usd, 350, 2),
            ),
        ],
    )
    .await;
    earned(
        &w.state,
        "grass:main",
        &[
            (
                now - chrono::Duration::hours(5),
                Money::new(Token::Points, 100, 0),
            ),
            (
                now - chrono::Duration::hours(1),
                Money::new(Token::Points, 160, 0),
            ),
        ],
    )
    .await;

    let totals = crate::ops::earnings_totals(&w.state).await.unwrap();
    assert_eq!(totals.fiat, "usd");
    let window = |node: &str, name: &str| {
        totals
            .nodes
            .iter()
            .find(|n| n.node == node)
            .unwrap()
            .windows
            .iter()
            .find(|x| x.window == name)
            .unwrap()
            .clone()
    };
    // GLM: no feed, no fixed price → the exact amount and "no price", never zero.
    let g = window("golem:main", "30d");
    assert_eq!(g.amount.unwrap().decimal, "3.000000000000000000");
    let f = g.fiat.unwrap();
    assert_eq!((f.value, f.price), (None, None));
    assert_eq!(
        window("golem:main", "today").amount.unwrap().base_units,
        "1000000000000000000"
    );
    // Storj's USD counts one to one into USD.
    let s = window("storj:main", "today");
    assert_eq!(s.amount.unwrap().decimal, "2.50");
    let f = s.fiat.unwrap();
    assert_eq!(f.value.as_deref(), Some("2.5"));
    assert_eq!(f.price.unwrap().source.as_deref(), Some("identity"));
    // Points without the operator's value: points only.
    let p = window("grass:main", "7d");
    assert_eq!(p.amount.unwrap().decimal, "60");
    assert_eq!(p.fiat.unwrap().value, None);

    let overall = totals.overall.iter().find(|o| o.window == "30d").unwrap();
    assert_eq!(
        overall.fiat.value.as_deref(),
        Some("2.5"),
        "only what has a price"
    );
    let mut unpriced: Vec<String> = overall
        .unpriced
        .iter()
        .map(|m| format!("{} {}", m.decimal, m.token))
        .collect();
    unpriced.sort();
    assert_eq!(unpriced, ["3.000000000000000000 glm", "60 points"]);

    // With prices, every figure has a value and the price it used.
    let mut config = market(&fake.serve().await);
    config.prices.grass_fiat_per_point = "0.001".into();
    let w2 = world(config, &["golem:main", "grass:main"], false);
    w2.clock.advance(chrono::Duration::hours(20));
    earned(
        &w2.state,
        "golem:main",
        &[
            (now - chrono::Duration::days(2), glm(3)),
            (now - chrono::Duration::hours(1), glm(4)),
        ],
    )
    .await;
    earned(
        &w2.state,
        "grass:main",
        &[
            (
                now - chrono::Duration::hours(5),
                Money::new(Token::Points, 100, 0),
            ),
            (
                now - chrono::Duration::hours(1),
                Money::new(Token::Points, 160, 0),
            ),
        ],
    )
    .await;
    super::refresh(&w2.state).await.unwrap();
    let totals = crate::ops::earnings_totals(&w2.state).await.unwrap();
    let g = &totals.nodes[0].windows[1];
    let f = g.fiat.clone().unwrap();
    assert_eq!(f.value.as_deref(), Some("0.2512"));
    let price = f.price.unwrap();
    assert_eq!(
        (price.value.as_deref(), price.source.as_deref()),
        (Some("0.2512"), Some("coingecko"))
    );
    let overall = totals.overall.iter().find(|o| o.window == "7d").unwrap();
    assert_eq!(
        overall.fiat.value.as_deref(),
        Some("0.3112"),
        "0.2512 + 60 × 0.001"
    );
    assert!(overall.unpriced.is_empty());
    // The point value it used is on record.
    let pts = w2
        .state
        .db(|s| s.price_rows("points", "usd", 10))
        .await
        .unwrap();
    assert_eq!(
        (pts[0].value.as_str(), pts[0].source.as_str()),
        ("0.001", "operator-assumption")
    );
}

#[tokio::test]
async fn demo_prices_are_labelled_and_never_fetched() {
    let fake = Fake::new(PRICES);
    let mut config = market(&fake.serve().await);
    config.prices.fixed_mode = "override".into();
    config.prices.fixed = BTreeMap::from([("glm".to_owned(), "0.25".to_owned())]);
    let w = world(config, &[], true);
    assert!(!w.state.prices.has_market());
    assert_eq!(w.state.prices.mode(), "demo");
    assert_eq!(
        super::refresh(&w.state).await.unwrap(),
        RefreshOutcome::NoSource
    );
    assert!(fake.hits().is_empty(), "the demo never asks the network");
    let q = w.state.prices.quote(PriceAsset::Glm).unwrap();
    assert_eq!((q.value.as_str(), q.source.as_str()), ("0.25", "demo"));
}

#[tokio::test]
async fn the_refresher_runs_with_the_orchestrator_and_stops_on_cancel() {
    let fake = Fake::new(PRICES);
    let w = world(market(&fake.serve().await), &[], false);
    let cancel = CancellationToken::new();
    let handle = crate::orchestrator::spawn(Arc::clone(&w.state), cancel.child_token());
    for _ in 0..100 {
        if !rows(&w.state, "glm").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(rows(&w.state, "glm").await.len(), 1, "the refresher ran");
    let started = std::time::Instant::now();
    handle.shutdown(Duration::from_secs(5)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the refresher stopped on cancel instead of sleeping out its 15 minutes"
    );
    assert_eq!(fake.hits().len(), 1);

    // On its own, too: cancelled in its sleep, it ends at once.
    let cancel = CancellationToken::new();
    let task = tokio::spawn(super::run(Arc::clone(&w.state), cancel.clone()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(1), task)
        .await
        .expect("the refresher ends when cancelled")
        .unwrap();
}
