//! Polling one node: usage, earnings and health read in parallel and stored in one transaction.
//!
//! Each adapter call has an outer timeout, so one slow or broken node never stalls another.
//! Polling raises no alerts itself: its callers (the poll tasks and the cycle's collect step)
//! hand the outcome to `alerts::after_poll`, which keeps this module below the alert rules.

use std::sync::Arc;
use std::time::{Duration, Instant};

use orcha_core::event::DomainEvent;
use orcha_core::{AdapterError, EarningsData, HealthStatus, ResourceMetrics};
use orcha_store::Sample;

use crate::dto::PollDto;
use crate::state::{AppState, NodeRuntime};
use crate::timeout::bounded;

/// What one poll of a node produced.
#[derive(Debug, Clone, PartialEq)]
pub struct PollOutcome {
    pub ok: bool,
    pub samples_written: usize,
    pub health: HealthStatus,
}

/// Polls one node once: usage, earnings and health in parallel, then one store transaction.
/// Nothing is written for a read that failed.
pub async fn poll_node(state: &AppState, node: &NodeRuntime) -> PollOutcome {
    let limit = Duration::from_secs(state.config.orchestrator.poll_timeout);
    let id = &node.config.id;
    let endpoint = node.config.api_endpoint.as_str();
    let (protocol, name) = (id.protocol().as_str(), id.name());
    let started = Instant::now();
    let adapter = Arc::clone(&node.adapter);

    if !node.live().connected {
        if let Ok(info) = bounded(limit, endpoint, adapter.connect()).await {
            node.update_live(|l| {
                l.connected = true;
                l.version = info.version;
            });
        }
    }
    let health_fut = async {
        tokio::time::timeout(limit, adapter.health_check())
            .await
            .unwrap_or_else(|_| {
                HealthStatus::Unreachable(format!(
                    "{endpoint} did not answer within {} ms",
                    limit.as_millis()
                ))
            })
    };
    let measure_at = state.clock.now();
    let measure_fut = async {
        let m = crate::usage::measure(&state.config, state.demo, id, &node.meter, measure_at);
        tokio::time::timeout(limit, m).await.ok().flatten()
    };
    let (usage, earnings, health, measured) = tokio::join!(
        bounded(limit, endpoint, adapter.get_resource_usage()),
        bounded(limit, endpoint, adapter.get_current_earnings()),
        health_fut,
        measure_fut,
    );
    let now = state.clock.now();
    let measured = measured.map(|mut m| {
        m.at = now;
        m
    });
    state
        .metrics
        .polls
        .with_label_values(&[protocol, name])
        .inc();
    state
        .metrics
        .poll_duration
        .with_label_values(&[protocol, name])
        .observe(started.elapsed().as_secs_f64());

    // An unsupported read is not a failure: the node simply has nothing to report there.
    let first_error = [usage.as_ref().err(), earnings.as_ref().err()]
        .into_iter()
        .flatten()
        .find(|e| !matches!(e, AdapterError::Unsupported { .. }))
        .cloned();
    let usage: Option<ResourceMetrics> = usage.ok().map(|mut m| {
        // The orchestrator's clock stamps every reading, so history lines up across nodes (and
        // follows the simulator's clock in demo mode) whatever the adapter's own clock says.
        m.observed_at = Some(now);
        m
    });
    let earnings: Option<EarningsData> = earnings.ok().map(|mut e| {
        e.observed_at = now;
        e
    });

    let mut samples: Vec<Sample> = usage
        .as_ref()
        .map(|m| {
            let ts = now;
            m.measured()
                .into_iter()
                .map(|(metric, value)| Sample {
                    node: id.clone(),
                    metric: metric.to_owned(),
                    ts,
                    value,
                })
                .collect()
        })
        .unwrap_or_default();
    // Beside the protocol's own samples, under their own names.
    if let Some(m) = &measured {
        samples.extend(crate::usage::samples(id, m));
    }
    let health_changed = node.live().health.as_ref().map(|(h, _)| h) != Some(&health);
    let write = {
        let (id, samples, earnings, health) = (
            id.clone(),
            samples.clone(),
            earnings.clone(),
            health.clone(),
        );
        state
            .db(move |s| {
                let n = if samples.is_empty() {
                    0
                } else {
                    s.insert_samples(&samples)?
                };
                if let Some(e) = &earnings {
                    if !e.figures.is_empty() {
                        s.insert_earnings(&id, e)?;
                    }
                }
                if health_changed {
                    s.record_health(&id, now, &health)?;
                }
                Ok(n)
            })
            .await
    };
    let samples_written = match write {
        Ok(n) => {
            state
                .metrics
                .samples_written
                .with_label_values(&[protocol, name])
                .inc_by(n as u64);
            tracing::debug!(node = %id, samples = n, "Stored poll results.");
            n
        }
        Err(e) => {
            tracing::error!(node = %id, error = %e, "Could not store poll results.");
            0
        }
    };

    state
        .metrics
        .node_health
        .with_label_values(&[protocol, name])
        .set(health.code());
    if let Some(m) = &usage {
        for (metric, v) in m.measured() {
            state
                .metrics
                .node_resource
                .with_label_values(&[protocol, name, metric])
                .set(v);
        }
        state.publish_domain(&DomainEvent::Sample {
            node: id.clone(),
            metrics: m.clone(),
        });
    }
    if let Some(m) = &measured {
        for (metric, _, v) in crate::usage::measured_values(&m.reading) {
            let resource = format!("{}{metric}", crate::usage::MEASURED_PREFIX);
            state
                .metrics
                .node_resource
                .with_label_values(&[protocol, name, resource.as_str()])
                .set(v.value as f64);
        }
    }
    if let Some(e) = &earnings {
        for (kind, money) in &e.figures {
            state
                .metrics
                .node_earnings
                .with_label_values(&[protocol, name, kind.as_str(), money.token.as_str()])
                .set(money.to_f64_lossy());
        }
        state.publish_domain(&DomainEvent::Earnings {
            node: id.clone(),
            earnings: e.clone(),
        });
    }
    if health_changed {
        state.publish_domain(&DomainEvent::Health {
            node: id.clone(),
            status: health.clone(),
            at: now,
        });
    }
    if let Some(e) = &first_error {
        state
            .metrics
            .poll_errors
            .with_label_values(&[protocol, name, e.kind()])
            .inc();
        tracing::warn!(node = %id, kind = e.kind(), error = %e, "Poll failed.");
        state.publish_domain(&DomainEvent::PollFailed {
            node: id.clone(),
            kind: e.kind(),
            message: e.to_string(),
            at: now,
        });
        if matches!(
            e,
            AdapterError::Unreachable { .. } | AdapterError::Timeout { .. }
        ) {
            node.update_live(|l| l.connected = false);
        }
    }
    let ok = first_error.is_none();
    node.update_live(|l| {
        let failures = if ok {
            0
        } else {
            l.last_poll.as_ref().map_or(0, |p| p.consecutive_failures) + 1
        };
        l.last_poll = Some(PollDto {
            at: now,
            ok,
            error_kind: first_error.as_ref().map(|e| e.kind().to_owned()),
            error: first_error.as_ref().map(ToString::to_string),
            consecutive_failures: failures,
        });
        l.health = Some((health.clone(), now));
        if let Some(m) = usage {
            l.metrics = m;
        }
        if measured.is_some() {
            l.measured = measured;
        }
    });
    PollOutcome {
        ok,
        samples_written,
        health,
    }
}
