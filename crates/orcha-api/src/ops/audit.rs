//! The audit log: read it page by page (credentials hidden) and check its hash chain.

use std::sync::Arc;

use orcha_store::AuditChain;

use crate::dto::*;
use crate::state::AppState;

/// Audit rows, newest first. Secret values are never stored (they show as `<stored>`); keys
/// embedded in URLs are hidden here too, also in rows written before redaction at write time.
pub async fn audit_log(state: &Arc<AppState>, q: AuditQuery) -> Result<AuditPageDto, ApiError> {
    let limit = i64::from(q.limit.unwrap_or(100));
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_field("limit", "give 1 to 500 rows"));
    }
    let before = q.before;
    let rows = state.db(move |s| s.audit_log(limit, before)).await?;
    let next_before = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(AuditPageDto {
        rows: rows
            .into_iter()
            .map(|r| AuditRowDto {
                id: r.id,
                at: r.at,
                actor: r.actor,
                old: r.old_value.as_deref().map(|v| shown(&r.key, v)),
                new: r.new_value.as_deref().map(|v| shown(&r.key, v)),
                key: r.key,
                hash: r.hash,
            })
            .collect(),
        next_before,
    })
}

fn shown(key: &str, value: &str) -> String {
    if key.starts_with("secret:") {
        "<stored>".to_owned()
    } else {
        crate::redact::text(value)
    }
}

/// Whether the audit log's hash chain is intact, and where it breaks when not.
pub async fn audit_verify(state: &Arc<AppState>) -> Result<AuditVerdictDto, ApiError> {
    Ok(match state.db(|s| s.verify_audit_chain()).await? {
        AuditChain::Intact(rows) => AuditVerdictDto {
            intact: true,
            rows,
            broken_at: None,
        },
        AuditChain::BrokenAt { id } => AuditVerdictDto {
            intact: false,
            rows: 0,
            broken_at: Some(id),
        },
    })
}
