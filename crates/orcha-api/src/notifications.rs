//! Alert notification bookkeeping kept in `AppState`: rate limiter, channel status, send tasks.
//!
//! It sits below `state` (which owns one) and above nothing but the channel kinds and DTOs, so
//! `state` does not depend on the alert rules that use it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use tokio::task::JoinHandle;

use crate::alerts::channels::ChannelKind;
use crate::dto::AlertChannelDto;

/// The alert bookkeeping of one `AppState`: rate limiter, channel status, send tasks. Shared by
/// `Arc` with the send tasks, which record each channel's result when they finish.
#[derive(Default)]
pub struct Notifications {
    pub(crate) limiter: Mutex<RateLimiter>,
    pub(crate) channels: Mutex<BTreeMap<ChannelKind, AlertChannelDto>>,
    /// The newest send task; each task waits for the one before it, so notifications leave in
    /// the order the alerts changed ("Resolved" never overtakes "Alert").
    pub(crate) last_send: Mutex<Option<JoinHandle<()>>>,
    /// Highest alert id already handled, so alerts opened elsewhere (the apply step) are
    /// notified once. Starts at the newest stored alert, so a restart does not re-notify.
    pub(crate) seen_id: Mutex<Option<i64>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Decides whether a notification goes out: one per rule and node per `min_interval` (so a
/// flapping incident is stored every time but notified once), and at most `per_hour` overall.
#[derive(Debug, Default)]
pub struct RateLimiter {
    last: HashMap<(String, Option<String>), DateTime<Utc>>,
    sent: VecDeque<DateTime<Utc>>,
}

impl RateLimiter {
    pub fn allow(
        &mut self,
        rule: &str,
        node: Option<&str>,
        now: DateTime<Utc>,
        min_interval: Duration,
        per_hour: u32,
    ) -> bool {
        while self
            .sent
            .front()
            .is_some_and(|t| now - *t >= Duration::hours(1))
        {
            self.sent.pop_front();
        }
        let key = (rule.to_owned(), node.map(str::to_owned));
        if self.last.get(&key).is_some_and(|t| now - *t < min_interval) {
            return false;
        }
        if self.sent.len() >= per_hour as usize {
            return false;
        }
        self.last.insert(key, now);
        self.sent.push_back(now);
        true
    }
}
