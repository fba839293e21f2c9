//! The optimizer's belief per node and resource, for the Allocation screen
//! (`GET /api/v1/allocation/curves`).

use std::sync::Arc;

use orcha_core::{ProtocolId, ResourceKind};

use crate::cycle::response::{self, Status};
use crate::dto::curves::{MarginalValueDto, NodeCurvesDto, ResourceCurveDto, ResponseCurvesDto};
use crate::dto::ApiError;
use crate::state::AppState;

/// Fiat to a hundred-millionth: a GB of disk can be worth a few millionths of a dollar an hour.
fn money(v: f64) -> String {
    format!("{:.8}", if v.is_finite() { v.max(0.0) } else { 0.0 })
}

/// Fits the beliefs now, from the same facts the next cycle would plan with. A resource the
/// newest decision probes is `probing`.
pub async fn response_curves(state: &Arc<AppState>) -> Result<ResponseCurvesDto, ApiError> {
    let (_, facts, beliefs) = crate::cycle::optimize::gather(state, None).await;
    let newest_note = state
        .db(|s| s.decisions(1))
        .await
        .ok()
        .and_then(|mut d| d.pop())
        .and_then(|d| d.proposed_plan)
        .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
        .and_then(|v| v.get("note").and_then(|n| n.as_str()).map(str::to_owned))
        .unwrap_or_default();
    let nodes = facts
        .iter()
        .map(|f| {
            let resources = beliefs
                .get(&f.id)
                .into_iter()
                .flatten()
                .map(|(k, b)| {
                    let probing = newest_note.contains(&format!("probe: {} {}", f.id, k.as_str()));
                    let status = match (b.status, probing) {
                        (_, true) => "probing",
                        // Known to earn nothing more now, whatever the fit: not "thin". Storj's
                        // unfilled space is held while ingress fills it (not given away).
                        _ if b.cap.is_some()
                            && f.id.protocol() == ProtocolId::Storj
                            && *k == ResourceKind::Disk =>
                        {
                            "ingress_limited"
                        }
                        _ if b.cap.is_some() => "demand_limited",
                        (Status::Fitted, _) => "fitted",
                        (Status::AtCap, _) => "at_cap",
                        (Status::Thin, _) => "thin_data",
                    };
                    ResourceCurveDto {
                        resource: k.as_str().to_owned(),
                        unit: response::unit(*k).1.to_owned(),
                        status: status.to_owned(),
                        a: b.a,
                        b: b.b,
                        operating_point: b.at,
                        marginal_per_hour: MarginalValueDto {
                            p10: money(b.marginal[0]),
                            p50: money(b.marginal[1]),
                            p90: money(b.marginal[2]),
                        },
                        demand_limited_at: b.cap,
                        hours: b.hours as u32,
                        levels: b.levels as u32,
                        note: b.note.clone(),
                    }
                })
                .collect();
            NodeCurvesDto {
                node: f.id.to_string(),
                resources,
                held_because: f.held_because.clone(),
            }
        })
        .collect();
    Ok(ResponseCurvesDto {
        fiat: state.prices.fiat().to_owned(),
        nodes,
    })
}
