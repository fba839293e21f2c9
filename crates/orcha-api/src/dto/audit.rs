//! The audit log as the API shows it: who changed what, when, and whether the chain holds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// `GET /api/v1/audit?limit=…&before=…`: the newest rows first; `before` pages back by row id.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default, schemars::JsonSchema,
)]
pub struct AuditQuery {
    /// How many rows (1–500, default 100).
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
    #[serde(default)]
    #[ts(optional)]
    pub before: Option<i64>,
}

/// One audited change. Credential values never appear: a secret shows as `<stored>` and keys
/// embedded in URLs are redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AuditRowDto {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `desktop`, `api`, `cli` or `orchestrator` (older rows may say `operator`).
    pub actor: String,
    pub key: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AuditPageDto {
    pub rows: Vec<AuditRowDto>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// `GET /api/v1/audit/verify`: whether every row's hash matches its content and predecessor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AuditVerdictDto {
    pub intact: bool,
    /// Rows checked when intact.
    pub rows: u64,
    /// The first row that does not match, when broken.
    pub broken_at: Option<i64>,
}
