//! Storj health: the sentences explaining what the dashboard says is wrong.

use chrono::{DateTime, Datelike, Utc};

use super::model::{Dashboard, Satellites};
use super::{StorjAdapter, OFFLINE_AFTER_MINUTES, WARN_AUDIT, WARN_ONLINE, WARN_SUSPENSION};

impl StorjAdapter {
    /// Sentences for everything `/api/sno/` says is wrong, judged at `now`.
    pub fn dashboard_reasons(d: &Dashboard, now: DateTime<Utc>) -> Vec<String> {
        let mut reasons = Vec::new();
        let port = d.configured_port.as_deref().unwrap_or("28967");
        let silent = now.signed_duration_since(d.last_pinged).num_minutes();
        if d.last_pinged.year() < 2000 {
            reasons.push(format!(
                "no satellite has contacted the node since it started: check that port {port}/tcp is forwarded to it"
            ));
        } else if silent > OFFLINE_AFTER_MINUTES {
            reasons.push(format!(
                "no satellite has contacted the node for {silent} minutes (offline after {OFFLINE_AFTER_MINUTES}): check that port {port}/tcp is forwarded and the node runs"
            ));
        }
        if d.quic_status.as_deref() == Some("Misconfigured") {
            reasons.push(format!(
                "QUIC is misconfigured: UDP port {port} is not reachable from outside"
            ));
        }
        if !d.up_to_date {
            reasons.push(format!(
                "version {} is below the minimum allowed {}: update the node, satellites may refuse it",
                d.version,
                d.allowed_version.as_deref().unwrap_or("(unknown)")
            ));
        }
        for s in &d.satellites {
            if let Some(t) = s.disqualified_at {
                reasons.push(format!(
                    "disqualified on {} since {} (permanent)",
                    s.url,
                    t.to_rfc3339()
                ));
            }
            if let Some(t) = s.suspended_at {
                reasons.push(format!(
                    "suspended on {} since {}: fix the cause within the 7-day grace period or be disqualified",
                    s.url,
                    t.to_rfc3339()
                ));
            }
        }
        if d.disk.overused_bytes > 0 {
            reasons.push(format!(
                "the node uses {} bytes more than allocated: it accepts no uploads until data is deleted or the allocation grows",
                d.disk.overused_bytes
            ));
        } else if d.disk.free_bytes == 0 {
            reasons.push("the disk allocation is full: the node accepts no new uploads".to_owned());
        }
        reasons
    }

    /// Sentences for scores below the warning levels.
    pub fn score_reasons(s: &Satellites) -> Vec<String> {
        let mut reasons = Vec::new();
        for a in &s.audits {
            let name = if a.satellite_name.is_empty() {
                "a satellite"
            } else {
                &a.satellite_name
            };
            if a.audit_score < WARN_AUDIT {
                reasons.push(format!(
                    "audit score on {name} is {:.4} (disqualification below 0.96): check the disk for lost or corrupt pieces",
                    a.audit_score
                ));
            }
            if a.suspension_score < WARN_SUSPENSION {
                reasons.push(format!(
                    "suspension score on {name} is {:.4} (suspension below 0.6): check the node log for failed audits",
                    a.suspension_score
                ));
            }
            if a.online_score < WARN_ONLINE {
                reasons.push(format!(
                    "online score on {name} is {:.4} (suspension below 0.6): keep the node online",
                    a.online_score
                ));
            }
        }
        reasons
    }
}
