//! `fleet_snapshot`: every machine Prometheus has seen, its nodes, earnings, allocation and alerts, and fleet totals.
//!
//! A machine is keyed by the `machine` label when a series carries one (a target label in the
//! scrape config, or an agent's `external_labels`), else by the name its `orcha_machine_info`
//! reports for the same `instance`, else by the instance itself.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use orcha_core::config::FleetConfig;

use crate::dto::*;
use crate::prometheus::{FleetError, PrometheusClient, Sample};

/// What the fleet view asks and how it judges freshness.
#[derive(Debug, Clone)]
pub struct FleetClient {
    pub prometheus: PrometheusClient,
    /// The scrape job of the Orcha targets; checked by `FleetConfig` to be a plain job name.
    pub job: String,
    pub stale_after: Duration,
    pub forget_after: Duration,
    pub dashboard_urls: BTreeMap<String, String>,
}

impl FleetClient {
    pub fn new(prometheus: PrometheusClient, cfg: &FleetConfig) -> FleetClient {
        FleetClient {
            prometheus,
            job: cfg.job.clone(),
            stale_after: Duration::from_secs(cfg.stale_after_secs),
            forget_after: Duration::from_secs(cfg.forget_after_hours * 3600),
            dashboard_urls: cfg.dashboard_urls.clone(),
        }
    }
}

/// The PromQL of each part of a snapshot, for the job `job`.
struct Queries {
    last_scrape: String,
    up: String,
    info: String,
    health: String,
    earnings: String,
    allocation: String,
    alerts: String,
}

impl Queries {
    fn new(job: &str, stale: Duration, forget: Duration) -> Queries {
        let sel = format!("{{job=\"{job}\"}}");
        let forget = format!("{}s", forget.as_secs().max(60));
        // Series of a stopped Orcha stay visible this long, as its last known state.
        let recent = format!("{}s", stale.as_secs().max(1));
        Queries {
            // `timestamp(up)` is exact for boxes scraped in the last 5 minutes; the subquery finds
            // the last scrape (to the minute) of those gone longer, up to `forget`.
            last_scrape: format!(
                "timestamp(up{sel}) or max_over_time(timestamp(up{sel})[{forget}:1m])"
            ),
            up: format!("last_over_time(up{sel}[{forget}])"),
            info: format!("last_over_time(orcha_machine_info{sel}[{forget}])"),
            health: format!("last_over_time(orcha_node_health_state{sel}[{recent}])"),
            earnings: format!("last_over_time(orcha_node_earnings_fiat{sel}[{recent}])"),
            allocation: format!("last_over_time(orcha_node_allocation{sel}[{recent}])"),
            alerts: format!("last_over_time(orcha_alerts_open{sel}[{recent}])"),
        }
    }
}

/// Adds `value` to the entry of `key` (a sum over nodes or machines).
fn add<K: Ord>(map: &mut BTreeMap<K, f64>, key: K, value: f64) {
    *map.entry(key).or_insert(0.0) += value;
}

fn windows(map: BTreeMap<(String, String), f64>) -> Vec<FiatWindowDto> {
    let order = |w: &str| match w {
        "today" => 0,
        "7d" => 1,
        "30d" => 2,
        _ => 3,
    };
    let mut out: Vec<FiatWindowDto> = map
        .into_iter()
        .map(|((window, fiat), value)| FiatWindowDto {
            window,
            fiat,
            value,
        })
        .collect();
    out.sort_by(|a, b| {
        (order(&a.window), &a.fiat, &a.window).cmp(&(order(&b.window), &b.fiat, &b.window))
    });
    out
}

fn resources(map: BTreeMap<String, f64>) -> Vec<ResourceAmountFleetDto> {
    map.into_iter()
        .map(|(resource, amount)| ResourceAmountFleetDto { resource, amount })
        .collect()
}

#[derive(Default)]
struct NodeAcc {
    protocol: String,
    health: Option<FleetHealth>,
    earnings: BTreeMap<(String, String), f64>,
    allocation: BTreeMap<String, f64>,
}

#[derive(Default)]
struct MachineAcc {
    instance: Option<String>,
    version: Option<String>,
    up: Option<bool>,
    last_scrape: Option<f64>,
    nodes: BTreeMap<String, NodeAcc>,
    alerts: Option<f64>,
}

/// Names the machine a series belongs to (see the module comment).
struct Naming {
    by_instance: BTreeMap<String, String>,
}

impl Naming {
    fn of(&self, s: &Sample) -> Option<String> {
        if let Some(m) = s.label("machine").filter(|m| !m.is_empty()) {
            return Some(m.to_owned());
        }
        let instance = s.label("instance")?;
        Some(
            self.by_instance
                .get(instance)
                .cloned()
                .unwrap_or_else(|| instance.to_owned()),
        )
    }
}

/// The node a series is about, within a machine already known from `up`.
fn node_entry<'a>(
    naming: &Naming,
    machines: &'a mut BTreeMap<String, MachineAcc>,
    s: &Sample,
) -> Option<&'a mut NodeAcc> {
    let machine = naming.of(s)?;
    let protocol = s.label("protocol")?.to_owned();
    let id = format!("{protocol}:{}", s.label("node")?);
    let n = machines.get_mut(&machine)?.nodes.entry(id).or_default();
    n.protocol = protocol;
    Some(n)
}

/// The fleet as Prometheus sees it at `now`: every machine scraped within `forget_after`, up,
/// down (last scrape failed) or stale (no scrape for `stale_after`), with its nodes and totals.
pub async fn fleet_snapshot(
    client: &FleetClient,
    now: DateTime<Utc>,
) -> Result<FleetDto, FleetError> {
    let q = Queries::new(&client.job, client.stale_after, client.forget_after);
    let p = &client.prometheus;
    let parts = futures::future::try_join_all(
        [
            &q.last_scrape,
            &q.up,
            &q.info,
            &q.health,
            &q.earnings,
            &q.allocation,
            &q.alerts,
        ]
        .map(|query| p.query(query, now)),
    )
    .await?;
    let [last_scrape, up, info, health, earnings, allocation, alerts]: [Vec<Sample>; 7] =
        parts.try_into().map_err(|_| FleetError::Invalid {
            url: p.url().to_owned(),
            reason: "missing query results".to_owned(),
        })?;

    let naming = Naming {
        by_instance: info
            .iter()
            .filter_map(|s| {
                Some((
                    s.label("instance")?.to_owned(),
                    s.label("machine")
                        .or(s.label("exported_machine"))?
                        .to_owned(),
                ))
            })
            .collect(),
    };
    let mut machines: BTreeMap<String, MachineAcc> = BTreeMap::new();
    for s in &up {
        let Some(name) = naming.of(s) else { continue };
        let m = machines.entry(name).or_default();
        m.instance = s.label("instance").map(str::to_owned);
        // Several targets under one name (a misconfiguration) count as up only if all are.
        m.up = Some(m.up.unwrap_or(true) && s.value >= 1.0);
    }
    for s in &last_scrape {
        if let Some(m) = naming.of(s).and_then(|n| machines.get_mut(&n)) {
            m.last_scrape = Some(m.last_scrape.map_or(s.value, |t| t.max(s.value)));
        }
    }
    for s in &info {
        if let Some(m) = naming.of(s).and_then(|n| machines.get_mut(&n)) {
            m.version = s.label("version").map(str::to_owned);
        }
    }
    for s in &health {
        if let Some(n) = node_entry(&naming, &mut machines, s) {
            n.health = Some(FleetHealth::from_code(s.value));
        }
    }
    for s in &earnings {
        let (Some(window), Some(fiat)) = (s.label("window"), s.label("fiat")) else {
            continue;
        };
        let key = (window.to_owned(), fiat.to_owned());
        if let Some(n) = node_entry(&naming, &mut machines, s) {
            add(&mut n.earnings, key, s.value);
        }
    }
    for s in &allocation {
        let Some(resource) = s.label("resource") else {
            continue;
        };
        let resource = resource.to_owned();
        if let Some(n) = node_entry(&naming, &mut machines, s) {
            add(&mut n.allocation, resource, s.value);
        }
    }
    for s in &alerts {
        if let Some(m) = naming.of(s).and_then(|n| machines.get_mut(&n)) {
            *m.alerts.get_or_insert(0.0) += s.value;
        }
    }

    let mut totals = FleetTotalsDto {
        machines: 0,
        machines_up: 0,
        nodes: 0,
        nodes_healthy: 0,
        earnings: Vec::new(),
        allocation: Vec::new(),
        alerts_open: 0,
    };
    let mut fleet_earnings = BTreeMap::new();
    let mut fleet_allocation = BTreeMap::new();
    let stale_after = client.stale_after.as_secs_f64();
    let now_secs = now.timestamp_millis() as f64 / 1000.0;
    let mut out = Vec::new();
    for (name, m) in machines {
        let fresh = m.last_scrape.is_some_and(|t| now_secs - t <= stale_after);
        let state = match (m.up, fresh) {
            (_, false) => MachineState::Stale,
            (Some(true), true) => MachineState::Up,
            _ => MachineState::Down,
        };
        let mut earn = BTreeMap::new();
        let mut alloc = BTreeMap::new();
        let mut nodes = Vec::new();
        for (id, n) in m.nodes {
            for ((w, f), v) in &n.earnings {
                add(&mut earn, (w.clone(), f.clone()), *v);
            }
            for (r, v) in &n.allocation {
                add(&mut alloc, r.clone(), *v);
            }
            let health = n.health.unwrap_or(FleetHealth::Unknown);
            totals.nodes += 1;
            totals.nodes_healthy += u32::from(health == FleetHealth::Healthy);
            nodes.push(FleetNodeDto {
                node: id,
                protocol: n.protocol,
                health,
                earnings: windows(n.earnings),
                allocation: resources(n.allocation),
            });
        }
        for (k, v) in &earn {
            add(&mut fleet_earnings, k.clone(), *v);
        }
        for (k, v) in &alloc {
            add(&mut fleet_allocation, k.clone(), *v);
        }
        let alerts_open = m.alerts.map(|a| a.max(0.0) as u32);
        totals.machines += 1;
        totals.machines_up += u32::from(state == MachineState::Up);
        totals.alerts_open += alerts_open.unwrap_or(0);
        out.push(MachineDto {
            dashboard_url: client.dashboard_urls.get(&name).cloned(),
            machine: name,
            instance: m.instance,
            version: m.version,
            state,
            last_scrape: m.last_scrape.and_then(|t| {
                Utc.timestamp_millis_opt((t * 1000.0).round() as i64)
                    .single()
            }),
            nodes,
            earnings: windows(earn),
            allocation: resources(alloc),
            alerts_open,
        });
    }
    totals.earnings = windows(fleet_earnings);
    totals.allocation = resources(fleet_allocation);
    Ok(FleetDto {
        at: now,
        prometheus_url: p.url().to_owned(),
        machines: out,
        totals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_use_the_job_and_the_exported_names() {
        let q = Queries::new(
            "orcha",
            Duration::from_secs(120),
            Duration::from_secs(86400),
        );
        assert_eq!(
            q.last_scrape,
            "timestamp(up{job=\"orcha\"}) or max_over_time(timestamp(up{job=\"orcha\"})[86400s:1m])"
        );
        assert!(q
            .earnings
            .contains("orcha_node_earnings_fiat{job=\"orcha\"}[120s]"));
    }

    #[test]
    fn a_machine_label_wins_over_the_instance() {
        let sample = |labels: &[(&str, &str)]| Sample {
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            value: 1.0,
        };
        let naming = Naming {
            by_instance: [("10.0.0.2:7373".to_owned(), "box2".to_owned())].into(),
        };
        assert_eq!(
            naming.of(&sample(&[("machine", "box1"), ("instance", "x")])),
            Some("box1".into())
        );
        assert_eq!(
            naming.of(&sample(&[("instance", "10.0.0.2:7373")])),
            Some("box2".into())
        );
        assert_eq!(
            naming.of(&sample(&[("instance", "10.0.0.3:7373")])),
            Some("10.0.0.3:7373".into())
        );
    }

    #[test]
    fn windows_are_ordered_today_first() {
        let mut m = BTreeMap::new();
        for w in ["30d", "7d", "today"] {
            m.insert((w.to_owned(), "usd".to_owned()), 1.0);
        }
        let names: Vec<String> = windows(m).into_iter().map(|w| w.window).collect();
        assert_eq!(names, ["today", "7d", "30d"]);
    }
}
