//! The API operations: one async function each, over DTOs, returning `ApiError` on failure.
//!
//! REST routes (`orcha-server`) and Tauri commands (`src-tauri`) call these and nothing else.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use orcha_core::secret::{SecretKey, Sensitive};
use orcha_core::{EarningsKind, NodeId};
use orcha_store::{from_ms, AlertRow, DecisionRow, Resolution};

use crate::dto::*;
use crate::state::AppState;

fn parse_node(state: &AppState, field: &str, id: &str) -> Result<NodeId, ApiError> {
    let node: NodeId = id
        .parse()
        .map_err(|e: orcha_core::domain::IdError| ApiError::bad_field(field, e.to_string()))?;
    if state.node(id).is_none() {
        return Err(ApiError::not_found(format!("no node `{id}` is configured")));
    }
    Ok(node)
}

fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), ApiError> {
    if to <= from {
        return Err(ApiError::bad_field(
            "to",
            format!("`to` ({to}) must be after `from` ({from})"),
        ));
    }
    if to - from > chrono::Duration::days(3660) {
        return Err(ApiError::bad_field(
            "from",
            "the range may span at most ten years",
        ));
    }
    Ok(())
}

pub async fn status(state: &Arc<AppState>) -> Result<StatusDto, ApiError> {
    let (mut healthy, mut degraded, mut unreachable) = (0, 0, 0);
    for n in &state.nodes {
        match n.live().health.map(|(h, _)| h.state_name()) {
            Some("healthy") => healthy += 1,
            Some("degraded") => degraded += 1,
            Some("unreachable") => unreachable += 1,
            _ => {}
        }
    }
    let last_cycle = latest_cycle(state).await?;
    Ok(StatusDto {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        demo: state.demo,
        paused: state.paused(),
        ml: state.ml_status(),
        nodes_total: state.nodes.len() as u32,
        nodes_healthy: healthy,
        nodes_degraded: degraded,
        nodes_unreachable: unreachable,
        next_cycle_at: state.next_cycle_at(),
        last_cycle,
        now: state.clock.now(),
    })
}

pub async fn latest_cycle(state: &Arc<AppState>) -> Result<Option<CycleDto>, ApiError> {
    let found = state
        .db(|s| {
            let Some((id, started, finished)) = s.latest_cycle()? else {
                return Ok(None);
            };
            Ok(Some((id, started, finished, s.cycle_steps(id)?)))
        })
        .await?;
    Ok(found.map(|(id, started, finished, steps)| CycleDto {
        id,
        started_at: from_ms(started),
        finished_at: finished.map(from_ms),
        steps: steps
            .into_iter()
            .map(|r| StepDto {
                cycle: r.cycle,
                step: r.step,
                status: r.status,
                detail: r.detail,
                at: from_ms(r.finished_at),
            })
            .collect(),
    }))
}

pub async fn nodes(state: &Arc<AppState>) -> Result<Vec<NodeDto>, ApiError> {
    let mut out = Vec::with_capacity(state.nodes.len());
    for n in &state.nodes {
        let id = n.config.id.clone();
        let earnings = state.db(move |s| s.latest_earnings(&id)).await?;
        let live = n.live();
        out.push(NodeDto {
            id: n.config.id.to_string(),
            protocol: n.config.id.protocol().as_str().to_owned(),
            name: n.config.id.name().to_owned(),
            endpoint: n.config.api_endpoint.clone(),
            auto_apply: n.config.auto_apply,
            version: live.version.clone(),
            health: match &live.health {
                Some((h, at)) => HealthDto::from_status(h, Some(*at)),
                None => HealthDto::from_status(&orcha_core::HealthStatus::Unknown, None),
            },
            last_poll: live.last_poll.clone(),
            earnings: earnings
                .iter()
                .map(|(k, m, at)| EarningsFigureDto::new(*k, m, *at))
                .collect(),
            resources: metric_values(&live.metrics),
            capabilities: n
                .adapter
                .capabilities()
                .iter()
                .map(CapabilityDto::from)
                .collect(),
        });
    }
    Ok(out)
}

pub async fn series(state: &Arc<AppState>, q: SeriesQuery) -> Result<SeriesDto, ApiError> {
    let node = parse_node(state, "node", &q.node)?;
    check_range(q.from, q.to)?;
    if q.metric.is_empty() || q.metric.len() > 64 {
        return Err(ApiError::bad_field(
            "metric",
            "metric must be 1-64 characters",
        ));
    }
    let resolution = Resolution::for_range(q.from, q.to);
    let (metric, from, to) = (q.metric.clone(), q.from, q.to);
    let points = state
        .db(move |s| s.samples(&node, &metric, from, to, resolution))
        .await?;
    Ok(SeriesDto {
        node: q.node,
        metric: q.metric,
        resolution: match resolution {
            Resolution::Raw => "raw",
            Resolution::Minute => "minute",
            Resolution::Hour => "hour",
        }
        .to_owned(),
        points: points
            .into_iter()
            .map(|p| PointDto {
                ts: p.ts,
                value: p.value,
                min: p.min,
                max: p.max,
            })
            .collect(),
    })
}

pub async fn earnings_history(
    state: &Arc<AppState>,
    q: EarningsHistoryQuery,
) -> Result<EarningsHistoryDto, ApiError> {
    let node = parse_node(state, "node", &q.node)?;
    check_range(q.from, q.to)?;
    let kind: EarningsKind = q
        .kind
        .parse()
        .map_err(|e: String| ApiError::bad_field("kind", e))?;
    let (from, to) = (q.from, q.to);
    let points = state
        .db(move |s| s.earnings_history(&node, kind, from, to))
        .await?;
    Ok(EarningsHistoryDto {
        node: q.node,
        kind: q.kind,
        points: points
            .iter()
            .map(|(at, m)| EarningsPointDto {
                at: *at,
                amount: m.into(),
            })
            .collect(),
    })
}

fn decision_dto(d: DecisionRow) -> DecisionDto {
    DecisionDto {
        id: d.id,
        cycle: d.cycle,
        created_at: from_ms(d.created_at),
        verdict: d.verdict,
        reason: d.reason,
        proposed_plan: d.proposed_plan,
        expected_gain: d.expected_gain,
        switching_cost: d.switching_cost,
        applied_result: d.applied_result,
        rollback: d.rollback,
    }
}

pub async fn decisions(state: &Arc<AppState>, limit: u32) -> Result<Vec<DecisionDto>, ApiError> {
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_field(
            "limit",
            "limit must be between 1 and 1000",
        ));
    }
    Ok(state
        .db(move |s| s.decisions(limit))
        .await?
        .into_iter()
        .map(decision_dto)
        .collect())
}

pub fn alert_dto(a: AlertRow) -> AlertDto {
    AlertDto {
        id: a.id,
        node: a.node,
        rule: a.rule,
        severity: a.severity,
        message: a.message,
        opened_at: from_ms(a.opened_at),
        cleared_at: a.cleared_at.map(from_ms),
        acknowledged_at: a.acknowledged_at.map(from_ms),
    }
}

pub async fn alerts(state: &Arc<AppState>, q: AlertQuery) -> Result<Vec<AlertDto>, ApiError> {
    Ok(state
        .db(move |s| s.alerts(q.include_cleared, 500))
        .await?
        .into_iter()
        .map(alert_dto)
        .collect())
}

pub async fn acknowledge_alert(state: &Arc<AppState>, id: i64) -> Result<(), ApiError> {
    let at = state.clock.now();
    if state.db(move |s| s.acknowledge_alert(id, at)).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "no unacknowledged alert with id {id}"
        )))
    }
}

/// Asks the orchestrator to run a cycle now; it runs in the loop, not in the request.
// Every operation is async so both front doors wrap them the same way.
#[allow(clippy::unused_async)]
pub async fn run_cycle_now(state: &Arc<AppState>) -> Result<(), ApiError> {
    state.cycle_now.notify_one();
    Ok(())
}

pub async fn set_paused(state: &Arc<AppState>, req: PauseRequest) -> Result<StatusDto, ApiError> {
    state.set_paused(req.paused);
    let at = state.clock.now();
    let (old, new) = ((!req.paused).to_string(), req.paused.to_string());
    state
        .db(move |s| s.audit_config(at, "operator", "automation.paused", Some(&old), Some(&new)))
        .await?;
    state.publish(Event::Automation(AutomationEventDto {
        paused: req.paused,
        at,
    }));
    status(state).await
}

/// Credentials are named `<node id>/<kind>`; only kinds Orcha uses are accepted.
const SECRET_KINDS: [&str; 4] = ["app_key", "token", "api_key", "info_key"];

fn secret_key(state: &AppState, key: &str) -> Result<SecretKey, ApiError> {
    let (node, kind) = key.split_once('/').ok_or_else(|| {
        ApiError::bad_field(
            "key",
            format!("`{key}` must look like `<protocol>:<name>/<kind>`"),
        )
    })?;
    node.parse::<NodeId>()
        .map_err(|e| ApiError::bad_field("key", e.to_string()))?;
    if !SECRET_KINDS.contains(&kind) {
        return Err(ApiError::bad_field(
            "key",
            format!(
                "unknown credential kind `{kind}` (expected one of {})",
                SECRET_KINDS.join(", ")
            ),
        ));
    }
    let _ = state;
    Ok(SecretKey(key.to_owned()))
}

pub async fn secret_status(
    state: &Arc<AppState>,
    key: String,
) -> Result<SecretStatusDto, ApiError> {
    let k = secret_key(state, &key)?;
    let secrets = Arc::clone(&state.secrets);
    let stored = tokio::task::spawn_blocking(move || secrets.get(&k))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?
        .is_some();
    Ok(SecretStatusDto { key, stored })
}

pub async fn set_secret(
    state: &Arc<AppState>,
    req: SetSecretRequest,
) -> Result<SecretStatusDto, ApiError> {
    let k = secret_key(state, &req.key)?;
    let value = req.value.trim().to_owned();
    if value.is_empty() {
        return Err(ApiError::bad_field("value", "the credential is empty"));
    }
    if value.len() > 4096 || value.chars().any(char::is_control) {
        return Err(ApiError::bad_field(
            "value",
            "the credential must be at most 4096 printable characters",
        ));
    }
    let secrets = Arc::clone(&state.secrets);
    tokio::task::spawn_blocking(move || secrets.set(&k, Sensitive::new(value)))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let at = state.clock.now();
    let key = req.key.clone();
    // The audit log records that a credential changed, never its value.
    state
        .db(move |s| {
            s.audit_config(
                at,
                "operator",
                &format!("secret:{key}"),
                None,
                Some("<stored>"),
            )
        })
        .await?;
    Ok(SecretStatusDto {
        key: req.key,
        stored: true,
    })
}

pub async fn delete_secret(
    state: &Arc<AppState>,
    key: String,
) -> Result<SecretStatusDto, ApiError> {
    let k = secret_key(state, &key)?;
    let secrets = Arc::clone(&state.secrets);
    tokio::task::spawn_blocking(move || secrets.delete(&k))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let at = state.clock.now();
    let audit_key = key.clone();
    state
        .db(move |s| {
            s.audit_config(
                at,
                "operator",
                &format!("secret:{audit_key}"),
                Some("<stored>"),
                None,
            )
        })
        .await?;
    Ok(SecretStatusDto { key, stored: false })
}
