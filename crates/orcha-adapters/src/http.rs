//! The HTTP client every adapter uses: timeouts, and errors mapped to `AdapterError` variants.
//!
//! Adapters never see a `reqwest::Error`: connection failures, timeouts, auth failures, rate
//! limits and unreadable bodies are classified here once, with the endpoint in every message.

use std::time::Duration;

use orcha_core::secret::Sensitive;
use orcha_core::AdapterError;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>` (yagna app key, Streamr info plugin key).
    Bearer(Sensitive<String>),
    /// `Authorization: <token>` without a scheme (the Grass cloud API).
    Raw(Sensitive<String>),
    /// A custom header, e.g. an API key header of a price source.
    Header(&'static str, Sensitive<String>),
}

/// A JSON-over-HTTP client bound to one base URL.
#[derive(Clone, Debug)]
pub struct JsonClient {
    base: String,
    client: reqwest::Client,
    auth: Auth,
    timeout: Duration,
    /// What to tell the operator when the node refuses our credentials.
    unauthorized_hint: String,
}

/// The largest response body we read; a node answering more than this is misbehaving.
const MAX_BODY: usize = 32 * 1024 * 1024;

impl JsonClient {
    pub fn new(
        base: &str,
        timeout: Duration,
        auth: Auth,
        unauthorized_hint: &str,
    ) -> Result<Self, AdapterError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("depin-orcha/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AdapterError::Unsupported {
                what: format!("HTTP client: {e}"),
            })?;
        Ok(JsonClient {
            base: base.trim_end_matches('/').to_owned(),
            client,
            auth,
            timeout,
            unauthorized_hint: unauthorized_hint.to_owned(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The full URL of `path`, as named in error messages.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        let mut put = |name: HeaderName, value: String| {
            if let Ok(mut v) = HeaderValue::from_str(&value) {
                v.set_sensitive(true);
                h.insert(name, v);
            }
        };
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(t) => put(AUTHORIZATION, format!("Bearer {}", t.expose())),
            Auth::Raw(t) => put(AUTHORIZATION, t.expose().clone()),
            Auth::Header(name, t) => {
                if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                    put(name, t.expose().clone())
                }
            }
        }
        h
    }

    /// GETs `path` and returns the raw body after checking the status.
    pub async fn get_bytes(&self, path: &str) -> Result<Vec<u8>, AdapterError> {
        let url = self.url(path);
        let req = self.client.get(&url).headers(self.headers());
        self.send(req, &url).await
    }

    /// POSTs a JSON body to `path` and returns the raw answer.
    pub async fn post_bytes(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, AdapterError> {
        let url = self.url(path);
        let req = self.client.post(&url).headers(self.headers()).json(body);
        self.send(req, &url).await
    }

    /// GETs `path` and parses it as `T`; a body that is not `T` is `Malformed` naming the field.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, AdapterError> {
        let body = self.get_bytes(path).await?;
        parse_json(&self.url(path), &body)
    }

    /// POSTs a JSON body and parses the answer as `T`.
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, AdapterError> {
        let answer = self.post_bytes(path, body).await?;
        parse_json(&self.url(path), &answer)
    }

    async fn send(&self, req: reqwest::RequestBuilder, url: &str) -> Result<Vec<u8>, AdapterError> {
        let resp = req
            .send()
            .await
            .map_err(|e| classify(url, self.timeout, &e))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let is_html = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        if let Some(len) = resp.content_length() {
            if len as usize > MAX_BODY {
                return Err(AdapterError::Malformed {
                    endpoint: url.to_owned(),
                    what: format!("body of {len} bytes is too large"),
                });
            }
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| classify(url, self.timeout, &e))?;
        if body.len() > MAX_BODY {
            return Err(AdapterError::Malformed {
                endpoint: url.to_owned(),
                what: format!("body of {} bytes is too large", body.len()),
            });
        }
        match status {
            s if s.is_success() => Ok(body.to_vec()),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(AdapterError::Unauthorized {
                endpoint: url.to_owned(),
                hint: format!("HTTP {}; {}", status.as_u16(), self.unauthorized_hint),
            }),
            StatusCode::TOO_MANY_REQUESTS => Err(AdapterError::RateLimited {
                endpoint: url.to_owned(),
                retry_after,
            }),
            // Cloudflare answers a challenge page with 403/503 and HTML when it throttles.
            StatusCode::SERVICE_UNAVAILABLE if is_html => Err(AdapterError::RateLimited {
                endpoint: url.to_owned(),
                retry_after,
            }),
            s => Err(AdapterError::Malformed {
                endpoint: url.to_owned(),
                what: format!("HTTP {} {}", s.as_u16(), snippet(&body)),
            }),
        }
    }
}

/// Parses a JSON body, naming the path of the offending field on failure.
pub fn parse_json<T: DeserializeOwned>(endpoint: &str, body: &[u8]) -> Result<T, AdapterError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    match serde_path::deserialize::<T>(de) {
        Ok(v) => Ok(v),
        Err((path, e)) => {
            let what = if e.is_syntax() || e.is_eof() {
                if body.trim_ascii_start().starts_with(b"<") {
                    "an HTML page instead of JSON".to_owned()
                } else {
                    format!("invalid JSON ({e})")
                }
            } else if path.is_empty() {
                e.to_string()
            } else {
                format!("field `{path}`: {e}")
            };
            Err(AdapterError::Malformed {
                endpoint: endpoint.to_owned(),
                what,
            })
        }
    }
}

/// Tracks the JSON path while deserializing, without another dependency: we deserialize into a
/// `serde_json::Value` first (cheap for node payloads) and then walk it with the typed
/// deserializer, reporting the first failing field.
mod serde_path {
    use serde::de::DeserializeOwned;

    pub fn deserialize<T: DeserializeOwned>(
        de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
    ) -> Result<T, (String, serde_json::Error)> {
        let value: serde_json::Value =
            serde::Deserialize::deserialize(&mut *de).map_err(|e| (String::new(), e))?;
        de.end().map_err(|e| (String::new(), e))?;
        match serde_json::from_value::<T>(value.clone()) {
            Ok(v) => Ok(v),
            Err(e) => Err((locate(&value, &e), e)),
        }
    }

    /// serde_json's value deserializer does not report paths, so find the field its message
    /// names ("missing field `x`", "invalid type ... expected ...") as best we can: for a missing
    /// field the message already names it; otherwise we name nothing extra.
    fn locate(_value: &serde_json::Value, e: &serde_json::Error) -> String {
        let msg = e.to_string();
        if let Some(rest) = msg.strip_prefix("missing field `") {
            return rest.split('`').next().unwrap_or("").to_owned();
        }
        String::new()
    }
}

fn classify(url: &str, timeout: Duration, e: &reqwest::Error) -> AdapterError {
    if e.is_timeout() {
        return AdapterError::Timeout {
            endpoint: url.to_owned(),
            after: timeout,
        };
    }
    // Walk the source chain for the root cause ("Connection refused"), without the URL that
    // reqwest repeats in its own message.
    let mut reason = String::from("connection failed");
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    if e.is_connect() || e.is_request() {
        return AdapterError::Unreachable {
            endpoint: url.to_owned(),
            reason,
        };
    }
    if e.is_body() || e.is_decode() {
        return AdapterError::Malformed {
            endpoint: url.to_owned(),
            what: format!("body could not be read: {reason}"),
        };
    }
    AdapterError::Unreachable {
        endpoint: url.to_owned(),
        reason,
    }
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 120 {
        format!("{}…", one_line.chars().take(120).collect::<String>())
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, StatusCode as S};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::Router;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Reading {
        #[serde(rename = "diskSpace")]
        disk_space: u64,
    }

    async fn serve(router: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        format!("http://{addr}")
    }

    fn client(base: &str, timeout_ms: u64) -> JsonClient {
        JsonClient::new(
            base,
            Duration::from_millis(timeout_ms),
            Auth::Bearer(Sensitive::new("s3cret-key".into())),
            "create an app key",
        )
        .unwrap()
    }

    #[tokio::test]
    async fn errors_are_classified_and_name_the_endpoint() {
        let base = serve(
            Router::new()
                .route("/ok", get(|| async { r#"{"diskSpace": 5}"# }))
                .route("/auth", get(|| async { S::UNAUTHORIZED }))
                .route(
                    "/limit",
                    get(|| async {
                        (
                            S::TOO_MANY_REQUESTS,
                            [(header::RETRY_AFTER, "30")],
                            "slow down",
                        )
                    }),
                )
                .route(
                    "/boom",
                    get(|| async { (S::INTERNAL_SERVER_ERROR, "database is locked") }),
                )
                .route(
                    "/html",
                    get(|| async {
                        (
                            [(header::CONTENT_TYPE, "text/html")],
                            "<html><body>hi</body></html>",
                        )
                            .into_response()
                    }),
                )
                .route("/truncated", get(|| async { r#"{"diskSpace": 5"# }))
                .route("/wrongtype", get(|| async { r#"{"diskSpace": "lots"}"# }))
                .route("/missing", get(|| async { r#"{"other": 1}"# }))
                .route(
                    "/slow",
                    get(|| async {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        "{}"
                    }),
                ),
        )
        .await;
        let c = client(&base, 300);
        assert!(c.get_json::<Reading>("/ok").await.is_ok());
        let e = c.get_json::<Reading>("/auth").await.unwrap_err();
        assert!(matches!(e, AdapterError::Unauthorized { .. }), "{e}");
        assert!(e.to_string().contains("create an app key"));
        assert!(
            !e.to_string().contains("s3cret-key"),
            "no credential in messages: {e}"
        );
        let e = c.get_json::<Reading>("/limit").await.unwrap_err();
        assert_eq!(
            e,
            AdapterError::RateLimited {
                endpoint: format!("{base}/limit"),
                retry_after: Some(Duration::from_secs(30))
            }
        );
        let e = c.get_json::<Reading>("/boom").await.unwrap_err();
        assert!(
            matches!(e, AdapterError::Malformed { .. }) && e.to_string().contains("HTTP 500"),
            "{e}"
        );
        let e = c.get_json::<Reading>("/html").await.unwrap_err();
        assert!(e.to_string().contains("HTML page instead of JSON"), "{e}");
        let e = c.get_json::<Reading>("/truncated").await.unwrap_err();
        assert!(e.to_string().contains("invalid JSON"), "{e}");
        let e = c.get_json::<Reading>("/wrongtype").await.unwrap_err();
        assert!(
            matches!(e, AdapterError::Malformed { .. }) && e.to_string().contains("/wrongtype"),
            "{e}"
        );
        let e = c.get_json::<Reading>("/missing").await.unwrap_err();
        assert!(e.to_string().contains("field `diskSpace`"), "{e}");
        let e = c.get_json::<Reading>("/slow").await.unwrap_err();
        assert!(matches!(e, AdapterError::Timeout { .. }), "{e}");
    }

    #[tokio::test]
    async fn connection_refused_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let c = client(&format!("http://127.0.0.1:{port}"), 500);
        let e = c.get_json::<Reading>("/api/sno/").await.unwrap_err();
        assert!(matches!(e, AdapterError::Unreachable { .. }), "{e}");
        assert!(
            e.to_string()
                .contains(&format!("127.0.0.1:{port}/api/sno/")),
            "{e}"
        );
    }
}
