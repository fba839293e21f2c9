//! Waiting with a deadline: for a condition, for a WebSocket event, for the events already sent.

use std::time::{Duration, Instant};

use futures::StreamExt;
use orcha_api::dto::{AlertDto, Event};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

/// Polls `done` every 100 ms; panics naming `what` once `limit` has passed.
pub async fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The alert events already on the bus, oldest first; drains them.
pub fn alert_events(rx: &mut broadcast::Receiver<Event>) -> Vec<AlertDto> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if let Event::Alert(a) = e {
            out.push(a);
        }
    }
    out
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The server's event WebSocket (`/api/v1/events`), read one named event at a time.
pub struct EventStream(Socket);

impl EventStream {
    /// Connects to the event WebSocket of the server at `base` (`http://…`) with the test token.
    pub async fn connect(base: &str) -> EventStream {
        let url = format!("{}/api/v1/events", base.replace("http://", "ws://"));
        EventStream(crate::net::websocket(&url).await)
    }

    /// The payload of the next event called `name`, skipping others; panics after 10 s.
    pub async fn next(&mut self, name: &str) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let msg = tokio::time::timeout_at(deadline, self.0.next())
                .await
                .unwrap_or_else(|_| panic!("no `{name}` event within 10 s"))
                .expect("the WebSocket closed")
                .expect("a WebSocket message");
            if let Message::Text(t) = msg {
                let v: serde_json::Value = serde_json::from_str(&t).expect("every event is JSON");
                if v["event"] == name {
                    return v["payload"].clone();
                }
            }
        }
    }
}
