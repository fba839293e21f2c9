//! One HTTP/1.1 exchange over an already connected stream, with a reply size cap.
//!
//! Shared by the Docker Engine client (unix socket) and the simulator's control API (loopback
//! TCP): both are a single request per connection, so hyper's connection is driven beside the
//! exchange and closes with it, never as a detached task.

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};

/// Sends `method path` with an optional JSON body and reads at most `cap` bytes of the reply;
/// errors are sentences for the caller to wrap with its target.
pub async fn exchange<S>(
    stream: S,
    method: Method,
    host: &str,
    path: &str,
    body: Option<Value>,
    cap: usize,
) -> Result<(StatusCode, Bytes), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", host)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(payload)))
        .map_err(|e| e.to_string())?;
    let exchange = async move {
        let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let bytes = Limited::new(resp.into_body(), cap)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    format!("the reply is over {cap} bytes")
                } else {
                    e.to_string()
                }
            })?
            .to_bytes();
        Ok((status, bytes))
    };
    let (result, _closed) = tokio::join!(exchange, conn);
    result
}
