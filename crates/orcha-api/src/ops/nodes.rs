//! Nodes and their history: live state, metric series and earnings history.

use std::sync::Arc;

use orcha_core::EarningsKind;
use orcha_store::Resolution;

use super::allocation::auto_apply_of;
use super::check_range;
use super::parse_node;
use crate::dto::*;
use crate::state::AppState;

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
            auto_apply: auto_apply_of(state, n),
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
            measured: live
                .measured
                .as_ref()
                .map(|m| crate::usage::dto(m, &live.allocated)),
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
