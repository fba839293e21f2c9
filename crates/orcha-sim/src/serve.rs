//! Serving one surface: the listener that can refuse or drop connections, the fault middleware
//! (slow, 500, malformed) and the shared state handlers read the world through.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use orcha_core::Clock;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::clock::SimClock;
use crate::faults::{OfflineMode, SurfaceFaults};
use crate::world::World;

/// What every handler shares: the world behind a lock, the clock and the credentials.
#[derive(Debug)]
pub struct Shared {
    pub(crate) world: Mutex<World>,
    pub(crate) clock: Arc<SimClock>,
    pub(crate) app_key: String,
    pub(crate) grass_token: String,
    pub(crate) cancel: CancellationToken,
    pub(crate) sse_interval: Duration,
    /// Per surface: its fault state, and whether its port is open right now.
    pub(crate) surfaces: Vec<(watch::Receiver<SurfaceFaults>, watch::Receiver<bool>)>,
}

impl Shared {
    /// Locks the world and brings it up to the clock's now, so every answer is current.
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        let mut w = self.world.lock().unwrap_or_else(|e| e.into_inner());
        w.advance_to(self.clock.now());
        w
    }

    /// Waits (up to 2 s) until every surface's port is open or closed as its faults say, so a
    /// caller that just stepped time or injected a fault sees the effect on its next request.
    pub(crate) async fn settle(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        for (faults, listening) in &self.surfaces {
            let mut listening = listening.clone();
            loop {
                let want_open = !refused(&faults.borrow());
                if *listening.borrow_and_update() == want_open {
                    break;
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => return,
                    r = listening.changed() => if r.is_err() { break },
                    _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                }
            }
        }
    }
}

/// The per-surface fault state a gate reads.
#[derive(Clone, Debug)]
pub(crate) struct Gate {
    pub faults: watch::Receiver<SurfaceFaults>,
    pub cancel: CancellationToken,
    /// Storj answers errors as `{"error": ...}`; yagna and the others as `{"message": ...}`.
    pub error_key: &'static str,
}

/// Middleware applying slow, HTTP 500 and malformed-JSON faults to every answer.
pub(crate) async fn fault_layer(State(gate): State<Gate>, req: Request, next: Next) -> Response {
    let f = *gate.faults.borrow();
    if f.slow_ms > 0 {
        let delay = Duration::from_millis(f.slow_ms.min(120_000));
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = gate.cancel.cancelled() => {
                return (StatusCode::SERVICE_UNAVAILABLE, "simulator shutting down").into_response();
            }
        }
    }
    if f.http500 {
        let body = serde_json::json!({ gate.error_key: "simulated internal error" });
        return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response();
    }
    let response = next.run(req).await;
    if f.malformed {
        // Truncate the real answer: valid start, invalid end, like a connection cut mid-body.
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 16 << 20)
            .await
            .unwrap_or_default();
        let cut = (bytes.len() / 2).max(1).min(bytes.len());
        let mut truncated = bytes.slice(..cut).to_vec();
        if truncated.is_empty() {
            truncated.extend_from_slice(b"{\"");
        }
        let mut resp = Response::from_parts(parts, Body::from(truncated));
        resp.headers_mut().remove(header::CONTENT_LENGTH);
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        *resp.status_mut() = StatusCode::OK;
        return resp;
    }
    response
}

/// A TCP stream that fails reads while its surface is offline, so kept-alive connections die.
pub(crate) struct GatedStream {
    inner: TcpStream,
    faults: watch::Receiver<SurfaceFaults>,
}

impl AsyncRead for GatedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.faults.borrow().offline.is_some() {
            return Poll::Ready(Err(io::Error::from(io::ErrorKind::ConnectionReset)));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for GatedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A listener that closes new connections at once while the surface is offline ("closed" mode).
pub(crate) struct GatedListener {
    inner: TcpListener,
    faults: watch::Receiver<SurfaceFaults>,
}

impl axum::serve::Listener for GatedListener {
    type Io = GatedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    if self.faults.borrow().offline.is_some() {
                        drop(stream);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    return (
                        GatedStream {
                            inner: stream,
                            faults: self.faults.clone(),
                        },
                        addr,
                    );
                }
                // Accept errors (e.g. too many open files) are transient; back off briefly.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

fn refused(f: &SurfaceFaults) -> bool {
    f.offline == Some(OfflineMode::Refused)
}

/// Serves `router` on `addr` until cancelled; while the surface is offline in "refused" mode the
/// port is closed (the listener is dropped) and re-bound when the fault ends.
pub(crate) async fn run_surface(
    first: TcpListener,
    router: Router,
    faults: watch::Receiver<SurfaceFaults>,
    listening: watch::Sender<bool>,
    cancel: CancellationToken,
) {
    let Ok(addr) = first.local_addr() else { return };
    let mut listener = Some(first);
    let mut rx = faults.clone();
    loop {
        if cancel.is_cancelled() {
            return;
        }
        if refused(&rx.borrow_and_update()) {
            listener = None;
            listening.send_replace(false);
            tokio::select! {
                _ = cancel.cancelled() => return,
                r = rx.changed() => if r.is_err() { return },
            }
            continue;
        }
        let l = match listener.take() {
            Some(l) => l,
            None => match TcpListener::bind(addr).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::debug!(%addr, error = %e, "re-binding a surface failed; retrying");
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_millis(50)) => continue,
                    }
                }
            },
        };
        // Say the port is open again, so `settle` (and tests stepping the clock) stop waiting.
        listening.send_replace(true);
        let gated = GatedListener {
            inner: l,
            faults: faults.clone(),
        };
        let mut stop_rx = faults.clone();
        let stop = cancel.clone();
        let shutdown = async move {
            loop {
                if refused(&stop_rx.borrow_and_update()) {
                    break;
                }
                tokio::select! {
                    _ = stop.cancelled() => break,
                    r = stop_rx.changed() => if r.is_err() { break },
                }
            }
        };
        if let Err(e) = axum::serve(gated, router.clone())
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(%addr, error = %e, "surface server stopped");
        }
        listening.send_replace(false);
    }
}

/// A JSON error body with a status.
pub(crate) fn json_error(status: StatusCode, key: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ key: message.into() })),
    )
        .into_response()
}
