//! Servers on a free loopback port: stub HTTP services a test talks to, and the server under
//! test with a handle that stops it.

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

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
