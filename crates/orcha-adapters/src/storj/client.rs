//! Storj HTTP client: the dashboard and payout endpoints, with the slow payout reads cached off the poll path.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use orcha_core::{AdapterError, Clock, NodeId, ProtocolId};

use super::model::{
    Dashboard, EstimatedPayout, HeldHistoryEntry, PayoutHistoryEntry, PayoutSnapshot, Paystub,
    SatelliteDetail, Satellites,
};
use super::normalize::{
    normalize_dashboard, normalize_estimated, normalize_held, normalize_payout_history,
    normalize_paystub, normalize_satellite, normalize_satellites, Check,
};
use super::wire::{RawHeldHistory, RawPayoutHistory, RawPaystub};
use super::{LastSeen, StorjAdapter, StorjSettings};
use crate::http::{Auth, JsonClient};
use crate::probe::decode;

// Payout cache: the payout endpoints take ~28 s on real nodes, longer than a poll may take.

#[derive(Default)]
pub(super) struct PayoutState {
    pub(super) snapshot: Option<Arc<PayoutSnapshot>>,
    pub(super) fetched_at: Option<tokio::time::Instant>,
    pub(super) refreshing: bool,
    pub(super) last_error: Option<AdapterError>,
    /// When the last read failed; a failing node is not asked again on every poll.
    pub(super) failed_at: Option<tokio::time::Instant>,
}

pub(super) struct PayoutCache {
    pub(super) state: Mutex<PayoutState>,
    /// Bumped after every finished refresh, so waiters know when to look again.
    pub(super) done: tokio::sync::watch::Sender<u64>,
}

/// Reads the payout endpoints on a detached task, so a caller cancelled by the orchestrator's
/// poll timeout does not cancel the read: the next poll finds the result in the cache.
pub(super) async fn fetch_payouts(
    client: &JsonClient,
    clock: &dyn Clock,
) -> Result<PayoutSnapshot, AdapterError> {
    let estimated = normalize_estimated(
        &client.url("/api/sno/estimated-payout"),
        get(client, "/api/sno/estimated-payout").await?,
    )?;
    let periods_path = "/api/heldamount/periods";
    let periods_url = client.url(periods_path);
    let mut periods: Vec<String> = get(client, periods_path).await?;
    let c = Check {
        endpoint: &periods_url,
    };
    for (i, p) in periods.iter().enumerate() {
        c.period(&format!("[{i}]"), p)?;
    }
    periods.sort();
    periods.dedup();
    let (paystubs, history) = match (periods.first(), periods.last()) {
        (Some(first), Some(last)) => {
            let path = format!("/api/heldamount/paystubs/{first}/{last}");
            let url = client.url(&path);
            let c = Check { endpoint: &url };
            let raw: Vec<RawPaystub> = get(client, &path).await?;
            let stubs = raw
                .into_iter()
                .enumerate()
                .map(|(i, p)| normalize_paystub(&c, i, p))
                .collect::<Result<Vec<_>, _>>()?;
            let path = format!("/api/heldamount/payout-history/{last}");
            let url = client.url(&path);
            let c = Check { endpoint: &url };
            let raw: Vec<RawPayoutHistory> = get(client, &path).await?;
            let hist = raw
                .into_iter()
                .enumerate()
                .map(|(i, p)| normalize_payout_history(&c, i, p))
                .collect::<Result<Vec<_>, _>>()?;
            (stubs, hist)
        }
        // A node younger than one payout period has no paystubs yet: measured zero, not unknown.
        _ => (Vec::new(), Vec::new()),
    };
    let path = "/api/heldamount/held-history";
    let url = client.url(path);
    let c = Check { endpoint: &url };
    let raw: Vec<RawHeldHistory> = get(client, path).await?;
    let held_history = raw
        .into_iter()
        .enumerate()
        .map(|(i, h)| normalize_held(&c, i, h))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PayoutSnapshot {
        fetched_at: clock.now(),
        estimated,
        periods,
        paystubs,
        latest_payout_history: history,
        held_history,
    })
}

pub(super) async fn get<T: serde::de::DeserializeOwned>(
    client: &JsonClient,
    path: &str,
) -> Result<T, AdapterError> {
    let body = client.get_bytes(path).await?;
    decode(&client.url(path), &body)
}

impl StorjAdapter {
    pub fn new(node: NodeId, settings: StorjSettings) -> Result<Self, AdapterError> {
        if node.protocol() != ProtocolId::Storj {
            return Err(AdapterError::Unsupported {
                what: format!("{node} is not a storj node"),
            });
        }
        // The console API has no auth; a 401 means something else answers on this port.
        let hint = "the storagenode dashboard API needs no credentials: check that the endpoint is the node's console address";
        let client = JsonClient::new(&settings.endpoint, settings.timeout, Auth::None, hint)?;
        let payout_client = JsonClient::new(
            &settings.endpoint,
            settings.payout_timeout,
            Auth::None,
            hint,
        )?;
        let (done, _) = tokio::sync::watch::channel(0);
        Ok(StorjAdapter {
            node,
            client,
            payout_client,
            settings,
            payouts: Arc::new(PayoutCache {
                state: Mutex::new(PayoutState::default()),
                done,
            }),
            last: Mutex::new(LastSeen::default()),
        })
    }

    pub(super) fn last(&self) -> std::sync::MutexGuard<'_, LastSeen> {
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `GET /api/sno/`, normalized across versions.
    pub async fn dashboard(&self) -> Result<Dashboard, AdapterError> {
        let path = "/api/sno/";
        let d = normalize_dashboard(&self.client.url(path), get(&self.client, path).await?)?;
        let mut last = self.last();
        last.used_bytes = Some(d.disk.used_bytes);
        last.allocated_bytes = Some(d.disk.allocated_bytes);
        Ok(d)
    }

    /// `GET /api/sno/satellites`.
    pub async fn satellites(&self) -> Result<Satellites, AdapterError> {
        let path = "/api/sno/satellites";
        normalize_satellites(&self.client.url(path), get(&self.client, path).await?)
    }

    /// `GET /api/sno/satellite/{id}` (404 if the satellite is not in the trust pool).
    pub async fn satellite(&self, id: &str) -> Result<SatelliteDetail, AdapterError> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AdapterError::Unsupported {
                what: format!("`{id}` is not a satellite id"),
            });
        }
        let path = format!("/api/sno/satellite/{id}");
        normalize_satellite(&self.client.url(&path), get(&self.client, &path).await?)
    }

    /// `GET /api/sno/estimated-payout`, uncached (slow on real nodes: prefer `payouts`).
    pub async fn estimated_payout(&self) -> Result<EstimatedPayout, AdapterError> {
        let path = "/api/sno/estimated-payout";
        normalize_estimated(
            &self.payout_client.url(path),
            get(&self.payout_client, path).await?,
        )
    }

    /// `GET /api/heldamount/paystubs/{period}`, uncached.
    pub async fn paystubs(&self, period: &str) -> Result<Vec<Paystub>, AdapterError> {
        let path = format!("/api/heldamount/paystubs/{period}");
        let url = self.payout_client.url(&path);
        let c = Check { endpoint: &url };
        c.period("period", period)?;
        let raw: Vec<RawPaystub> = get(&self.payout_client, &path).await?;
        raw.into_iter()
            .enumerate()
            .map(|(i, p)| normalize_paystub(&c, i, p))
            .collect()
    }

    /// `GET /api/heldamount/payout-history/{period}`, uncached.
    pub async fn payout_history(
        &self,
        period: &str,
    ) -> Result<Vec<PayoutHistoryEntry>, AdapterError> {
        let path = format!("/api/heldamount/payout-history/{period}");
        let url = self.payout_client.url(&path);
        let c = Check { endpoint: &url };
        c.period("period", period)?;
        let raw: Vec<RawPayoutHistory> = get(&self.payout_client, &path).await?;
        raw.into_iter()
            .enumerate()
            .map(|(i, p)| normalize_payout_history(&c, i, p))
            .collect()
    }

    /// `GET /api/heldamount/held-history`, uncached.
    pub async fn held_history(&self) -> Result<Vec<HeldHistoryEntry>, AdapterError> {
        let path = "/api/heldamount/held-history";
        let url = self.payout_client.url(path);
        let c = Check { endpoint: &url };
        let raw: Vec<RawHeldHistory> = get(&self.payout_client, path).await?;
        raw.into_iter()
            .enumerate()
            .map(|(i, h)| normalize_held(&c, i, h))
            .collect()
    }

    /// `GET /api/heldamount/periods`, uncached.
    pub async fn periods(&self) -> Result<Vec<String>, AdapterError> {
        let path = "/api/heldamount/periods";
        let url = self.payout_client.url(path);
        let periods: Vec<String> = get(&self.payout_client, path).await?;
        let c = Check { endpoint: &url };
        for (i, p) in periods.iter().enumerate() {
            c.period(&format!("[{i}]"), p)?;
        }
        Ok(periods)
    }

    /// The cached payout figures. A fresh cache is returned at once; a stale one is returned
    /// while a refresh runs in the background; with no cache the call waits for the first read.
    pub async fn payouts(&self) -> Result<Arc<PayoutSnapshot>, AdapterError> {
        let mut done = self.payouts.done.subscribe();
        let (stale, spawn) = {
            let mut st = self.payouts.state.lock().unwrap_or_else(|e| e.into_inner());
            let fresh = st
                .fetched_at
                .is_some_and(|t| t.elapsed() < self.settings.payout_poll_interval);
            if let (true, Some(s)) = (fresh, &st.snapshot) {
                return Ok(s.clone());
            }
            // After a failure, wait before reading the slow endpoints again (at most 5 minutes,
            // or the payout interval if shorter), answering with what we have meanwhile.
            let retry_after = self
                .settings
                .payout_poll_interval
                .min(Duration::from_secs(300));
            if !st.refreshing && st.failed_at.is_some_and(|t| t.elapsed() < retry_after) {
                return match (&st.snapshot, &st.last_error) {
                    (Some(s), _) => Ok(s.clone()),
                    (None, Some(e)) => Err(e.clone()),
                    (None, None) => Err(AdapterError::Unreachable {
                        endpoint: self.payout_client.url("/api/sno/estimated-payout"),
                        reason: "the last payout read failed".to_owned(),
                    }),
                };
            }
            let spawn = !st.refreshing;
            st.refreshing = true;
            (st.snapshot.clone(), spawn)
        };
        if spawn {
            let cache = self.payouts.clone();
            let client = self.payout_client.clone();
            let clock = self.settings.clock.clone();
            tokio::spawn(async move {
                let result = fetch_payouts(&client, clock.as_ref()).await;
                let generation = {
                    let mut st = cache.state.lock().unwrap_or_else(|e| e.into_inner());
                    match result {
                        Ok(s) => {
                            st.snapshot = Some(Arc::new(s));
                            st.fetched_at = Some(tokio::time::Instant::now());
                            st.last_error = None;
                            st.failed_at = None;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "storj payout endpoints could not be read");
                            st.last_error = Some(e);
                            st.failed_at = Some(tokio::time::Instant::now());
                        }
                    }
                    st.refreshing = false;
                    *cache.done.borrow() + 1
                };
                cache.done.send_replace(generation);
            });
        }
        if let Some(s) = stale {
            return Ok(s);
        }
        let _ = done.changed().await;
        let st = self.payouts.state.lock().unwrap_or_else(|e| e.into_inner());
        match (&st.snapshot, &st.last_error) {
            (Some(s), _) => Ok(s.clone()),
            (None, Some(e)) => Err(e.clone()),
            (None, None) => Err(AdapterError::Unreachable {
                endpoint: self.payout_client.url("/api/sno/estimated-payout"),
                reason: "the payout read ended without a result".to_owned(),
            }),
        }
    }
}
