//! Grass HTTP client: tRPC procedures with the session token, rate-limit backoff and typed reads.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use orcha_core::{AdapterError, EarningsKind, Money, NodeId, ProtocolId};
use serde_json::Value;

use super::model::{Device, Epoch, GrassUser, Snapshot};
use super::normalize::{opt_points, points, seconds};
use super::wire::{RawDevice, RawEpochPage, RawUser};
use super::{Backoff, GrassAdapter, GrassSettings, EPOCH_PATH, KNOWN_ENDPOINTS, TOKEN_HINT};
use crate::http::{Auth, JsonClient};
use crate::probe::decode;

impl GrassAdapter {
    pub fn new(node: NodeId, settings: GrassSettings) -> Result<Self, AdapterError> {
        if node.protocol() != ProtocolId::Grass {
            return Err(AdapterError::Unsupported {
                what: format!("{node} is not a grass node"),
            });
        }
        let auth = settings.token.clone().map_or(Auth::None, Auth::Raw);
        let configured = settings.endpoint.trim_end_matches('/').to_owned();
        let mut bases = vec![configured.clone()];
        if KNOWN_ENDPOINTS.contains(&configured.as_str()) {
            bases.extend(
                KNOWN_ENDPOINTS
                    .iter()
                    .filter(|e| **e != configured)
                    .map(|e| (*e).to_owned()),
            );
        }
        let clients = bases
            .iter()
            .map(|b| JsonClient::new(b, settings.timeout, auth.clone(), TOKEN_HINT))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(GrassAdapter {
            node,
            clients,
            settings,
            cache: Mutex::new(None),
            backoff: Mutex::new(Backoff::default()),
        })
    }

    pub(super) fn now(&self) -> DateTime<Utc> {
        self.settings.clock.now()
    }

    /// Until when the adapter is backing off, if it is.
    pub fn backoff_until(&self) -> Option<DateTime<Utc>> {
        self.backoff
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .until
            .filter(|u| *u > self.now())
    }

    pub(super) fn note_rate_limit(&self, retry_after: Option<Duration>) -> Duration {
        let mut b = self.backoff.lock().unwrap_or_else(|e| e.into_inner());
        b.failures = b.failures.saturating_add(1);
        let exp = self
            .settings
            .backoff_base
            .saturating_mul(1u32 << (b.failures - 1).min(16))
            .min(self.settings.backoff_max);
        let wait = retry_after.map_or(exp, |r| r.max(exp));
        b.until =
            Some(self.now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX));
        wait
    }

    /// GETs one procedure and unwraps `result.data`; HTML and 429 become `RateLimited`.
    pub(super) async fn procedure(&self, path: &str) -> Result<Value, AdapterError> {
        if let Some(until) = self.backoff_until() {
            return Err(AdapterError::RateLimited {
                endpoint: format!("{}{path} (backing off)", self.clients[0].base()),
                retry_after: (until - self.now()).to_std().ok(),
            });
        }
        let mut last = None;
        for client in &self.clients {
            match client.get_bytes(path).await {
                Err(e @ AdapterError::Unreachable { .. }) => last = Some(e),
                other => return self.unwrap(client, path, other),
            }
        }
        Err(last.unwrap_or_else(|| AdapterError::Unreachable {
            endpoint: path.to_owned(),
            reason: "no endpoint configured".to_owned(),
        }))
    }

    pub(super) fn unwrap(
        &self,
        client: &JsonClient,
        path: &str,
        answer: Result<Vec<u8>, AdapterError>,
    ) -> Result<Value, AdapterError> {
        let url = client.url(path.split('?').next().unwrap_or(path));
        let html = |s: &str| {
            let l = s.to_ascii_lowercase();
            l.contains("<!doctype") || l.contains("<html")
        };
        let body = match answer {
            Ok(b) => b,
            Err(AdapterError::RateLimited { retry_after, .. }) => {
                let wait = self.note_rate_limit(retry_after);
                return Err(AdapterError::RateLimited {
                    endpoint: url,
                    retry_after: Some(wait),
                });
            }
            // Cloudflare's challenge and error pages are HTML with any status.
            Err(AdapterError::Malformed { what, .. }) if html(&what) => {
                let wait = self.note_rate_limit(None);
                return Err(AdapterError::RateLimited {
                    endpoint: url,
                    retry_after: Some(wait),
                });
            }
            Err(e) => return Err(e),
        };
        if body.trim_ascii_start().starts_with(b"<") {
            let wait = self.note_rate_limit(None);
            return Err(AdapterError::RateLimited {
                endpoint: url,
                retry_after: Some(wait),
            });
        }
        let v: Value = decode(&url, &body)?;
        self.backoff
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .failures = 0;
        if let Some(err) = v.get("error") {
            let msg = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("(no message)");
            let code = err.get("code").map_or("?".to_owned(), Value::to_string);
            let http = err.pointer("/data/httpStatus").and_then(Value::as_u64);
            let kind = err.pointer("/data/code").and_then(Value::as_str);
            if matches!(http, Some(401 | 403)) || kind == Some("UNAUTHORIZED") {
                return Err(AdapterError::Unauthorized {
                    endpoint: url,
                    hint: TOKEN_HINT.to_owned(),
                });
            }
            return Err(AdapterError::Malformed {
                endpoint: url,
                what: format!("API error {code}: {msg}"),
            });
        }
        match v.pointer("/result/data") {
            Some(d) if !d.is_null() => Ok(d.clone()),
            _ => Err(AdapterError::Malformed {
                endpoint: url,
                what: "field `result.data` is missing: the API shape changed (nothing was stored)"
                    .to_owned(),
            }),
        }
    }

    pub(super) fn typed<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        v: &Value,
    ) -> Result<T, AdapterError> {
        let url = self.clients[0].url(path.split('?').next().unwrap_or(path));
        let text = serde_json::to_vec(v).map_err(|e| AdapterError::Malformed {
            endpoint: url.clone(),
            what: e.to_string(),
        })?;
        decode(&url, &text).map_err(|e| match e {
            AdapterError::Malformed { endpoint, what } => AdapterError::Malformed {
                endpoint,
                what: what
                    .replacen("field `[", "field `result.data[", 1)
                    .replacen("field `", "field `result.data.", 1)
                    .replace("result.data.result.data[", "result.data["),
            },
            other => other,
        })
    }

    pub async fn user(&self) -> Result<GrassUser, AdapterError> {
        let path = "/retrieveUser";
        let raw: RawUser = self.typed(path, &self.procedure(path).await?)?;
        let ep = self.clients[0].url(path);
        let total = points(&ep, "result.data.totalPoints", raw.total_points)?;
        Ok(GrassUser {
            user_id: raw.user_id,
            username: raw.username,
            total_points: (total.amount != 0).then_some(total),
            total_uptime_seconds: seconds(&ep, "result.data.totalUptime", raw.total_uptime)?,
        })
    }

    pub async fn devices(&self) -> Result<Vec<Device>, AdapterError> {
        let path = "/activeDevices";
        let raw: Vec<RawDevice> = self.typed(path, &self.procedure(path).await?)?;
        let ep = self.clients[0].url(path);
        raw.into_iter()
            .enumerate()
            .map(|(i, d)| {
                let f = |n: &str| format!("result.data[{i}].{n}");
                if !d.ip_score.is_finite() || !(0.0..=100.0).contains(&d.ip_score) {
                    return Err(AdapterError::Malformed {
                        endpoint: ep.clone(),
                        what: format!("field `{}`: {} is outside 0–100", f("ipScore"), d.ip_score),
                    });
                }
                if let Some(m) = d.multiplier.filter(|m| !m.is_finite() || *m < 0.0) {
                    return Err(AdapterError::Malformed {
                        endpoint: ep.clone(),
                        what: format!("field `{}`: {m} is not a multiplier", f("multiplier")),
                    });
                }
                Ok(Device {
                    earning: d.ip_score > 0.0,
                    agg_uptime_seconds: seconds(&ep, &f("aggUptime"), d.agg_uptime)?,
                    device_id: d.device_id,
                    kind: d.kind,
                    ip_address: d.ip_address,
                    ip_score: d.ip_score,
                    multiplier: d.multiplier,
                    last_connected_at: d.last_connected_at,
                })
            })
            .collect()
    }

    pub async fn latest_epoch(&self) -> Result<Option<Epoch>, AdapterError> {
        let page: RawEpochPage = self.typed(EPOCH_PATH, &self.procedure(EPOCH_PATH).await?)?;
        let ep = self.clients[0].url("/epochEarnings");
        let Some(e) = page.data.into_iter().next() else {
            return Ok(None);
        };
        let f = |n: &str| format!("result.data.data[0].{n}");
        let total = points(&ep, &f("totalPoints"), e.total_points)?;
        Ok(Some(Epoch {
            name: e.epoch_name,
            stage: e.stage.map(|s| match s {
                Value::String(s) => s,
                other => other.to_string(),
            }),
            start: e.start_date,
            end: e.end_date,
            // 0 in a running epoch is "not counted yet", as for retrieveUser.
            total_points: (total.amount != 0).then_some(total),
            reward_points: opt_points(&ep, &f("rewardPoints"), e.reward_points)?,
            referral_points: opt_points(&ep, &f("referralPoints"), e.referral_points)?,
            uptime_points: opt_points(&ep, &f("uptimePoints"), e.uptime_points)?,
            network_points: opt_points(&ep, &f("networkPoints"), e.network_points)?,
            total_uptime_seconds: seconds(&ep, &f("totalUptime"), e.total_uptime)?,
            modified: e.modified,
        }))
    }

    /// All three reads, reused for `min_refresh` so one poll costs one round of requests.
    pub async fn snapshot(&self) -> Result<Snapshot, AdapterError> {
        let now = self.now();
        let fresh_for =
            chrono::Duration::from_std(self.settings.min_refresh).unwrap_or(chrono::Duration::MAX);
        if let Some(s) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|s| now - s.observed_at < fresh_for)
        {
            return Ok(s.clone());
        }
        if self.settings.token.is_none() {
            return Err(AdapterError::Unauthorized {
                endpoint: self.clients[0].url("/retrieveUser"),
                hint: TOKEN_HINT.to_owned(),
            });
        }
        let user = self.user().await?;
        let devices = self.devices().await?;
        let epoch = self.latest_epoch().await?;
        let snap = Snapshot {
            observed_at: now,
            user,
            devices,
            epoch,
        };
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = Some(snap.clone());
        Ok(snap)
    }

    /// The figures of a snapshot: settled points as lifetime, the running epoch's points as the
    /// current-period estimate. Unknown figures are left out.
    pub fn figures(&self, s: &Snapshot) -> Vec<(EarningsKind, Money)> {
        let mut out = Vec::new();
        if let Some(p) = s.user.total_points {
            out.push((EarningsKind::Lifetime, p));
        }
        if let Some(e) = &s.epoch {
            let running = e.end.is_none_or(|end| end > s.observed_at);
            if let (true, Some(p)) = (running, e.total_points) {
                out.push((EarningsKind::CurrentPeriodEstimate, p));
            }
        }
        out
    }
}
