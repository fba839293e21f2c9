//! Money operations (#20): the payouts the nodes recorded, a fresh read of their records, and
//! the export file.

use std::sync::Arc;
use std::time::Duration;

use orcha_store::PayoutRow;

use crate::dto::*;
use crate::state::AppState;

fn payout_dto(
    node: &orcha_core::NodeId,
    e: &orcha_core::PayoutEvent,
    detected: chrono::DateTime<chrono::Utc>,
) -> PayoutDto {
    PayoutDto {
        node: node.to_string(),
        protocol: node.protocol().as_str().to_owned(),
        kind: e.kind.as_str().to_owned(),
        amount: MoneyDto::from(&e.amount),
        at: e.at,
        reference: e.reference.clone(),
        detail: e.detail.clone(),
        detected_at: detected,
    }
}

/// Payout events with `from <= at < to`, newest first.
pub async fn payouts(state: &Arc<AppState>, q: PayoutsQuery) -> Result<Vec<PayoutDto>, ApiError> {
    if q.to <= q.from {
        return Err(ApiError::bad_field("to", "must be after `from`"));
    }
    let rows: Vec<PayoutRow> = state.db(move |s| s.payouts(q.from, q.to)).await?;
    Ok(rows
        .iter()
        .rev()
        .map(|r| payout_dto(&r.node, &r.event, r.detected_at))
        .collect())
}

/// Reads every node's payout record now (the backfill on demand) and stores what is new.
pub async fn scan_payouts(state: &Arc<AppState>) -> Result<PayoutScanDto, ApiError> {
    let scan = crate::payouts::scan(state, Duration::from_secs(120)).await;
    let now = state.clock.now();
    Ok(PayoutScanDto {
        added: scan
            .added
            .iter()
            .map(|(n, e)| payout_dto(n, e, now))
            .collect(),
        periods_added: u32::try_from(scan.periods_added).unwrap_or(u32::MAX),
        gaps: scan
            .failed
            .into_iter()
            .map(|(n, reason)| PayoutGapDto {
                node: n.to_string(),
                reason,
            })
            .collect(),
    })
}

fn day(field: &str, s: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| ApiError::bad_field(field, format!("`{s}` is not a date (YYYY-MM-DD)")))
}

/// The export of `[from, to]` (days, both included) as the file's text, for the Export button.
pub async fn export_earnings(
    state: &Arc<AppState>,
    q: ExportQuery,
) -> Result<ExportFileDto, ApiError> {
    let from = day("from", &q.from)?;
    let to = day("to", &q.to)? + chrono::Duration::days(1);
    if to <= from {
        return Err(ApiError::bad_field("to", "is before `from`"));
    }
    let fiat = state.prices.fiat().to_ascii_lowercase();
    let machine = crate::fleet_metrics::machine_name(&state.config.orchestrator.machine);
    let rows = state
        .db(move |s| crate::export::rows(s, from, to, &fiat, &machine))
        .await?;
    let (content, ext, media) = match q.format.as_str() {
        "csv" => (crate::export::to_csv(&rows), "csv", "text/csv"),
        "json" => (crate::export::to_json(&rows), "json", "application/json"),
        "koinly" => (
            crate::export::to_koinly_csv(&rows),
            "koinly.csv",
            "text/csv",
        ),
        other => {
            return Err(ApiError::bad_field(
                "format",
                format!("`{other}` is not csv, json or koinly"),
            ))
        }
    };
    Ok(ExportFileDto {
        file_name: format!("orcha-earnings-{}-{}.{ext}", q.from, q.to),
        media_type: media.to_owned(),
        content,
        rows: u32::try_from(rows.len()).unwrap_or(u32::MAX),
    })
}

/// A sum of cent values written with exactly two decimals (`0.5` → `0.50`).
fn cents(sum: &str) -> String {
    let (int, frac) = sum.split_once('.').unwrap_or((sum, ""));
    format!("{int}.{frac:0<2}")
}

/// The start of the bucket `t` falls in.
fn bucket_start(t: chrono::DateTime<chrono::Utc>, bucket: &str) -> chrono::DateTime<chrono::Utc> {
    use chrono::Datelike;
    let d = t.date_naive();
    let start = match bucket {
        "week" => d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday())),
        "month" => d.with_day(1).unwrap_or(d),
        _ => d,
    };
    start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Earned per protocol and day, week or month, in the operator's fiat at each day's price.
pub async fn fiat_history(
    state: &Arc<AppState>,
    q: FiatHistoryQuery,
) -> Result<FiatHistoryDto, ApiError> {
    if !matches!(q.bucket.as_str(), "day" | "week" | "month") {
        return Err(ApiError::bad_field("bucket", "is not day, week or month"));
    }
    if q.to <= q.from {
        return Err(ApiError::bad_field("to", "must be after `from`"));
    }
    let fiat = state.prices.fiat().to_ascii_lowercase();
    let (from, to, f) = (q.from, q.to, fiat.clone());
    let rows = state
        .db(move |s| crate::export::rows(s, from, to, &f, ""))
        .await?;
    let mut buckets: std::collections::BTreeMap<
        chrono::DateTime<chrono::Utc>,
        std::collections::BTreeMap<String, ProtocolFiatDto>,
    > = std::collections::BTreeMap::new();
    for r in rows.iter().filter(|r| r.kind == "earned") {
        let entry = buckets
            .entry(bucket_start(r.time, &q.bucket))
            .or_default()
            .entry(r.protocol.clone())
            .or_insert_with(|| ProtocolFiatDto {
                protocol: r.protocol.clone(),
                fiat: "0".to_owned(),
                unpriced_days: 0,
                assumption: false,
            });
        match &r.fiat_value {
            Some(v) => {
                entry.fiat =
                    orcha_adapters::prices::add_decimals(&entry.fiat, v).ok_or_else(|| {
                        ApiError::internal(format!("cannot add {v} to {}", entry.fiat))
                    })?;
            }
            None => entry.unpriced_days += 1,
        }
        if r.price_source
            .as_deref()
            .is_some_and(|s| s.contains("assumption"))
        {
            entry.assumption = true;
        }
    }
    Ok(FiatHistoryDto {
        fiat,
        bucket: q.bucket,
        buckets: buckets
            .into_iter()
            .map(|(start, p)| FiatBucketDto {
                start,
                protocols: p
                    .into_values()
                    .map(|mut v| {
                        v.fiat = cents(&v.fiat);
                        v
                    })
                    .collect(),
            })
            .collect(),
    })
}
