//! What every request passes before a route sees it: Host and Origin checks, rate limits, caps.
//!
//! The Host check stops DNS rebinding (a page on `evil.example` resolving to 127.0.0.1 would
//! otherwise be same-origin with the API); the Origin check stops cross-site POSTs and
//! cross-site WebSockets, which browsers send without asking. Clients that send no Origin
//! (curl, Prometheus, the CLI) are not browsers acting for a page and pass.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use orcha_api::dto::{ApiError, ErrorCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::client_ip;
use crate::HttpError;

/// The address the connection came in on, recorded by `listener::serve` for the Host check.
#[derive(Debug, Clone, Copy)]
pub struct LocalAddr(pub SocketAddr);

/// The numbers behind the limits; `Limits::default()` is what `orcha serve` uses.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Sustained requests per second per client.
    pub per_second: u32,
    /// Requests a client may send at once before the sustained rate applies.
    pub burst: u32,
    /// Failed authentications per minute per client.
    pub auth_failures_per_minute: u32,
    /// Largest request body.
    pub body_bytes: usize,
    /// Longest a request may take (the WebSocket's life is not a request).
    pub request_timeout: Duration,
    /// Requests in progress at once, all clients together.
    pub max_requests: usize,
    /// Event WebSockets open at once.
    pub max_websockets: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_second: 20,
            burst: 100,
            auth_failures_per_minute: 10,
            body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(60),
            max_requests: 128,
            max_websockets: 32,
        }
    }
}

/// The shared state of the checks.
pub struct Guard {
    allowed_hosts: Vec<String>,
    requests: DefaultKeyedRateLimiter<IpAddr>,
    auth_failures: DefaultKeyedRateLimiter<IpAddr>,
    in_flight: Arc<Semaphore>,
    websockets: Arc<Semaphore>,
    request_timeout: Duration,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Guard {
    pub fn new(limits: &Limits, allowed_hosts: &[String]) -> Arc<Guard> {
        Arc::new(Guard {
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
            requests: RateLimiter::keyed(
                Quota::per_second(nonzero(limits.per_second)).allow_burst(nonzero(limits.burst)),
            ),
            auth_failures: RateLimiter::keyed(
                Quota::per_minute(nonzero(limits.auth_failures_per_minute))
                    .allow_burst(nonzero(limits.auth_failures_per_minute)),
            ),
            in_flight: Arc::new(Semaphore::new(limits.max_requests)),
            websockets: Arc::new(Semaphore::new(limits.max_websockets)),
            request_timeout: limits.request_timeout,
        })
    }

    /// Counts a failed authentication; `Err(retry after)` once the client has used its allowance.
    pub fn note_auth_failure(&self, ip: IpAddr) -> Result<(), Duration> {
        check(&self.auth_failures, ip)
    }

    /// A place for one more event WebSocket, if there is one.
    pub fn websocket_slot(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.websockets).try_acquire_owned().ok()
    }

    /// Whether `host` (the Host header) names this server.
    fn host_allowed(&self, host: &str, local: Option<SocketAddr>) -> bool {
        let host = host.to_ascii_lowercase();
        if self.allowed_hosts.iter().any(|a| {
            *a == host || (!a.contains(':') && host.rsplit_once(':').map(|(h, _)| h) == Some(a))
        }) {
            return true;
        }
        let Some(local) = local else {
            return false;
        };
        let bound = match local.ip() {
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        let port = local.port();
        ["localhost", "127.0.0.1", "[::1]", bound.as_str()]
            .iter()
            .any(|name| host == format!("{name}:{port}"))
    }
}

fn check(limiter: &DefaultKeyedRateLimiter<IpAddr>, ip: IpAddr) -> Result<(), Duration> {
    // Forget idle clients now and then so the table stays small.
    if limiter.len() > 4096 {
        limiter.retain_recent();
    }
    limiter
        .check_key(&ip)
        .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

/// 429 with `Retry-After` in whole seconds (at least 1).
pub fn too_many(retry_after: Duration, why: &str) -> Response {
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    let mut resp = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(ApiError::new(ErrorCode::Unavailable, why)),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    resp
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let mut resp = HttpError(ApiError::new(ErrorCode::BadRequest, message)).into_response();
    *resp.status_mut() = status;
    resp
}

/// Whether the request changes something or opens a WebSocket: the ones a foreign page must
/// not be able to make.
fn needs_same_origin(req: &Request) -> bool {
    !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.headers().contains_key(header::UPGRADE)
}

/// The middleware: Host, Origin, rate limit, in-flight cap and timeout, in that order.
pub async fn guard(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let local = req.extensions().get::<LocalAddr>().map(|l| l.0);
    if !guard.host_allowed(&host, local) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this Host is not one this server answers to; add it to [server] allowed_hosts",
        );
    }
    if needs_same_origin(&req) {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or_default().to_ascii_lowercase();
            let host = host.to_ascii_lowercase();
            if origin != format!("http://{host}") && origin != format!("https://{host}") {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "cross-origin requests that change something are refused",
                );
            }
        }
    }
    if let Err(retry_after) = check(&guard.requests, client_ip(&req)) {
        return too_many(retry_after, "too many requests");
    }
    let Ok(_slot) = Arc::clone(&guard.in_flight).try_acquire_owned() else {
        let mut resp = too_many(Duration::from_secs(1), "the server is busy");
        *resp.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        return resp;
    };
    match tokio::time::timeout(guard.request_timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => refuse(StatusCode::REQUEST_TIMEOUT, "the request took too long"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn hosts_are_the_bound_address_loopback_names_and_the_configured_ones() {
        let g = Guard::new(&Limits::default(), &["orcha.lan".into(), "box:80".into()]);
        let local = Some(SocketAddr::from(([127, 0, 0, 1], 7373)));
        for ok in [
            "127.0.0.1:7373",
            "localhost:7373",
            "[::1]:7373",
            "LOCALHOST:7373",
            "orcha.lan:7373",
            "orcha.lan",
            "box:80",
        ] {
            assert!(g.host_allowed(ok, local), "{ok}");
        }
        for bad in [
            "evil.example:7373",
            "127.0.0.1:80",
            "localhost",
            "",
            "box:81",
            "127.0.0.1.evil.example:7373",
        ] {
            assert!(!g.host_allowed(bad, local), "{bad}");
        }
    }

    #[test]
    fn failed_authentications_run_out() {
        let g = Guard::new(&Limits::default(), &[]);
        let ip = IpAddr::from([10, 0, 0, 1]);
        for _ in 0..10 {
            assert!(g.note_auth_failure(ip).is_ok());
        }
        let wait = g.note_auth_failure(ip).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(6));
        assert!(g.note_auth_failure(IpAddr::from([10, 0, 0, 2])).is_ok());
    }
}
