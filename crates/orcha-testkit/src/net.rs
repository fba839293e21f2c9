//! Servers on a free loopback port: stub HTTP services a test talks to, and the server under
//! test with a handle that stops it, plus clients that send its API token.

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The API token tests give the server under test (in-process, or `ORCHA_API_TOKEN` for the
/// binary) and send back: 43 URL-safe characters like a real one.
pub const API_TOKEN: &str = "test-api-token-0123456789abcdefghijklmnopqrs";

/// `ORCHA_API_TOKEN` and its value, for `Command::env` of a spawned `orcha serve`.
pub const API_TOKEN_ENV: (&str, &str) = ("ORCHA_API_TOKEN", API_TOKEN);

/// An HTTP client that authenticates every request with `API_TOKEN`.
pub fn client() -> reqwest::Client {
    client_builder().build().expect("an HTTP client")
}

/// A client builder with `API_TOKEN` as the default `Authorization`, for tests that add more.
pub fn client_builder() -> reqwest::ClientBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {API_TOKEN}"))
            .expect("a valid header"),
    );
    reqwest::Client::builder().default_headers(headers)
}

/// `GET url` with the token, like `reqwest::get` for the authenticated API.
pub async fn get(url: impl reqwest::IntoUrl) -> reqwest::Result<reqwest::Response> {
    client().get(url).send().await
}

/// Opens a WebSocket to `url` (`ws://…`) sending the token in `Authorization`.
pub async fn websocket(
    url: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().expect("a WebSocket URL");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {API_TOKEN}")
            .parse()
            .expect("a valid header"),
    );
    tokio_tungstenite::connect_async(request)
        .await
        .expect("the WebSocket opens")
        .0
}

/// A loopback port free right now, for a program the test starts that binds it itself (another
/// `orcha serve`, Prometheus, yagna). The port is released before it is returned.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The base URL a started `orcha serve` announces as its first stdout line (`listening on
/// <url>`); takes the child's stdout, which must be piped.
pub fn listening_on(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("the server's stdout is piped");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server's first line");
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned()
}

/// A listener on a free loopback port and its `http://` base URL.
pub async fn loopback() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free loopback port");
    let addr = listener.local_addr().expect("the listener's address");
    (listener, format!("http://{addr}"))
}

/// Serves `app` on a free loopback port until the runtime ends; returns its base URL.
pub async fn stub(app: Router) -> String {
    let (listener, base) = loopback().await;
    tokio::spawn(async move { axum::serve(listener, app).await.expect("the stub server") });
    base
}

/// A server under test: `orcha_server::serve` (passed in, so this crate does not depend on the
/// server crate) with a cancellation token it stops on.
pub struct Served {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub base: String,
    /// Cancelling it stops the server; hand its child tokens to whatever should stop with it.
    pub cancel: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

/// Starts `serve(listener, router, token)` on a free loopback port.
pub async fn serve<F, Fut>(serve: F, router: Router) -> Served
where
    F: FnOnce(TcpListener, Router, CancellationToken) -> Fut,
    Fut: Future<Output = std::io::Result<()>> + Send + 'static,
{
    let (listener, base) = loopback().await;
    let cancel = CancellationToken::new();
    let task = tokio::spawn(serve(listener, router, cancel.child_token()));
    Served { base, cancel, task }
}

impl Served {
    /// Cancels the server and waits until it has shut down cleanly.
    pub async fn stop(self) {
        self.cancel.cancel();
        self.task
            .await
            .expect("the server task panicked")
            .expect("the server failed");
    }
}
