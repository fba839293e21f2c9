//! How a request proves it holds the API token: a bearer header, the session cookie, or a WebSocket ticket.
//!
//! The token itself is made and kept by `token`; this module only checks it, always in constant
//! time, and hands out the two short-lived stand-ins a browser needs: a one-time login code (the
//! link `orcha serve` prints) that becomes an HttpOnly cookie, and a single-use WebSocket ticket.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use orcha_api::dto::{ApiError, ErrorCode};
use orcha_core::secret::Sensitive;
use subtle::ConstantTimeEq;

use crate::guard::Guard;
use crate::HttpError;

/// The session cookie's name.
pub const COOKIE: &str = "orcha_session";
/// How long the printed login link works.
pub const LOGIN_CODE_TTL: Duration = Duration::from_secs(600);
/// How long a WebSocket ticket works: just long enough to open the socket.
pub const TICKET_TTL: Duration = Duration::from_secs(30);

/// The token of this install and the one-time codes derived from it.
pub struct Auth {
    token: Sensitive<String>,
    login_codes: Mutex<Vec<(String, Instant)>>,
    tickets: Mutex<Vec<(String, Instant)>>,
}

impl Auth {
    pub fn new(token: Sensitive<String>) -> Arc<Auth> {
        Arc::new(Auth {
            token,
            login_codes: Mutex::new(Vec::new()),
            tickets: Mutex::new(Vec::new()),
        })
    }

    /// Whether `given` is the token, compared in constant time so timing reveals no prefix.
    pub fn is_token(&self, given: &str) -> bool {
        ct_eq(given, self.token.expose())
    }

    /// A fresh login code, valid once for `LOGIN_CODE_TTL`.
    pub fn login_code(&self) -> String {
        issue(&self.login_codes, LOGIN_CODE_TTL)
    }

    /// A fresh WebSocket ticket, valid once for `TICKET_TTL`.
    pub fn ws_ticket(&self) -> String {
        issue(&self.tickets, TICKET_TTL)
    }

    fn redeem_login_code(&self, code: &str) -> bool {
        redeem(&self.login_codes, code)
    }

    fn redeem_ticket(&self, ticket: &str) -> bool {
        redeem(&self.tickets, ticket)
    }

    /// Whether the headers carry the token, as `Authorization: Bearer` or the session cookie.
    fn authenticated(&self, headers: &HeaderMap) -> bool {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if bearer.is_some_and(|t| self.is_token(t.trim())) {
            return true;
        }
        cookie(headers, COOKIE).is_some_and(|t| self.is_token(&t))
    }
}

/// 32 random bytes as URL-safe base64 without padding (43 characters).
pub fn random_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    // The OS random source failing is not something a server can carry on without.
    #[allow(clippy::expect_used)]
    getrandom::getrandom(&mut bytes).expect("the OS random number generator");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn ct_eq(a: &str, b: &str) -> bool {
    // `ct_eq` on slices of different lengths is false without looking at the bytes; the length
    // of the token is public (43 characters) anyway.
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn issue(codes: &Mutex<Vec<(String, Instant)>>, ttl: Duration) -> String {
    let code = random_secret();
    let now = Instant::now();
    let mut codes = codes.lock().unwrap_or_else(|p| p.into_inner());
    codes.retain(|(_, until)| *until > now);
    // Unredeemed codes pile up only if someone keeps asking; the oldest go first.
    if codes.len() >= 64 {
        codes.remove(0);
    }
    codes.push((code.clone(), now + ttl));
    code
}

fn redeem(codes: &Mutex<Vec<(String, Instant)>>, given: &str) -> bool {
    let now = Instant::now();
    let mut codes = codes.lock().unwrap_or_else(|p| p.into_inner());
    codes.retain(|(_, until)| *until > now);
    // Compare against every code so the time taken does not depend on which one matched.
    let mut found = None;
    for (i, (code, _)) in codes.iter().enumerate() {
        if ct_eq(given, code) {
            found = Some(i);
        }
    }
    match found {
        Some(i) => {
            codes.remove(i);
            true
        }
        None => false,
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// The value of `name` in a query string.
fn query_value<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The client's address, as the listener recorded it (unknown clients share one bucket).
pub fn client_ip(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

fn is_websocket_upgrade(req: &Request) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Lets a request through only with the token (header or cookie), or, for the event
/// WebSocket's upgrade alone, with a ticket in the query. Repeated failures from one client
/// turn from 401 into 429 so the token cannot be guessed at speed.
pub async fn require_token(
    State((auth, guard)): State<(Arc<Auth>, Arc<Guard>)>,
    req: Request,
    next: Next,
) -> Response {
    if auth.authenticated(req.headers()) {
        return next.run(req).await;
    }
    // A query value is never the token itself: URLs end up in logs and browser history.
    if is_websocket_upgrade(&req) && req.uri().path().ends_with("/events") {
        if let Some(ticket) = query_value(req.uri().query(), "ticket") {
            if auth.redeem_ticket(ticket) {
                return next.run(req).await;
            }
        }
    }
    if let Err(retry_after) = guard.note_auth_failure(client_ip(&req)) {
        return crate::guard::too_many(retry_after, "too many failed authentications");
    }
    HttpError(ApiError::new(
        ErrorCode::Unauthorized,
        "this API needs the API token: `Authorization: Bearer <token>` (see `orcha token show`) or the session cookie from the login link `orcha serve` prints",
    ))
    .into_response()
}

/// `POST /api/v1/ws-ticket`: a single-use ticket for `GET /api/v1/events?ticket=…`.
pub async fn ws_ticket(State(auth): State<Arc<Auth>>) -> Response {
    axum::Json(serde_json::json!({
        "ticket": auth.ws_ticket(),
        "expires_in_seconds": TICKET_TTL.as_secs(),
    }))
    .into_response()
}

/// `GET /login?code=…`: redeems the printed one-time code for the session cookie, then sends
/// the browser to the UI.
pub async fn login(State((auth, guard)): State<(Arc<Auth>, Arc<Guard>)>, req: Request) -> Response {
    let code = query_value(req.uri().query(), "code").unwrap_or_default();
    if !code.is_empty() && auth.redeem_login_code(code) {
        let cookie = format!(
            "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
            auth.token.expose()
        );
        let mut resp = Redirect::to("/").into_response();
        match HeaderValue::from_str(&cookie) {
            Ok(v) => {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
        // Keep the code out of any Referer the UI's page might send on.
        resp.headers_mut().insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        return resp;
    }
    if let Err(retry_after) = guard.note_auth_failure(client_ip(&req)) {
        return crate::guard::too_many(retry_after, "too many failed authentications");
    }
    (
        StatusCode::UNAUTHORIZED,
        "This login link is unknown, used or expired. Restart `orcha serve` for a new one, or send `Authorization: Bearer <token>` (`orcha token show`).\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn secrets_are_long_url_safe_and_distinct() {
        let a = random_secret();
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(a, random_secret());
    }

    #[test]
    fn a_code_works_once() {
        let auth = Auth::new(Sensitive::new("t".repeat(43)));
        let code = auth.login_code();
        assert!(!auth.redeem_ticket(&code), "codes and tickets are separate");
        assert!(auth.redeem_login_code(&code));
        assert!(!auth.redeem_login_code(&code));
        let ticket = auth.ws_ticket();
        assert!(auth.redeem_ticket(&ticket));
        assert!(!auth.redeem_ticket(&ticket));
    }

    #[test]
    fn the_token_is_compared_whole() {
        let auth = Auth::new(Sensitive::new("secret-token".into()));
        assert!(auth.is_token("secret-token"));
        assert!(!auth.is_token("secret-toke"));
        assert!(!auth.is_token("secret-tokenX"));
        assert!(!auth.is_token(""));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; orcha_session=tok; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("tok"));
    }
}
