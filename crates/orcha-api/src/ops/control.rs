//! Status and the automation switches: the overview, the newest cycle, run now, pause.

use std::sync::Arc;

use orcha_store::from_ms;

use crate::actor::Actor;
use crate::dto::*;
use crate::state::AppState;

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
        clock_speed: state.clock.speed(),
        restart_required: super::settings::restart_required(state),
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

/// Asks the orchestrator to run a cycle now; it runs in the loop, not in the request.
pub async fn run_cycle_now(state: &Arc<AppState>, actor: Actor) -> Result<(), ApiError> {
    let at = state.clock.now();
    state
        .db(move |s| s.audit_config(at, actor.as_str(), "cycle.run_now", None, Some("requested")))
        .await?;
    state.cycle_now.notify_one();
    Ok(())
}

pub async fn set_paused(
    state: &Arc<AppState>,
    req: PauseRequest,
    actor: Actor,
) -> Result<StatusDto, ApiError> {
    let at = state.clock.now();
    let (old, new) = (state.paused().to_string(), req.paused.to_string());
    // Recorded before it takes effect: the audit log is what restores the switch on restart.
    state
        .db(move |s| {
            s.audit_config(
                at,
                actor.as_str(),
                "automation.paused",
                Some(&old),
                Some(&new),
            )
        })
        .await?;
    state.set_paused(req.paused);
    state.publish(Event::Automation(AutomationEventDto {
        paused: req.paused,
        at,
    }));
    status(state).await
}
