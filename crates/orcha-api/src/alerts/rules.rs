//! The alert rules as pure functions: from what Orcha observed to a verdict per rule and node.
//!
//! Keeping them free of IO makes every threshold table-testable with a `ManualClock`; the
//! pipeline in `super` does the storing, publishing and notifying.

use chrono::{DateTime, Duration, Utc};
use orcha_core::config::AlertsConfig;
use orcha_core::{HealthStatus, ResourceMetrics};

/// Every rule Orcha raises alerts for: a closed set, so the `rule` label stays bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleId {
    NodeUnavailable,
    EarningsDrop,
    DiskHigh,
    MemoryHigh,
    StorjSuspended,
    StorjScoreLow,
    GolemNoAgreements,
    VersionOutdated,
    AllocationRollback,
    ForecastError,
    TrainingFailed,
    Anomaly,
    CpuSaturated,
    BandwidthAtCap,
    RunningNotEarning,
}

impl RuleId {
    pub const ALL: [RuleId; 15] = [
        RuleId::NodeUnavailable,
        RuleId::EarningsDrop,
        RuleId::DiskHigh,
        RuleId::MemoryHigh,
        RuleId::StorjSuspended,
        RuleId::StorjScoreLow,
        RuleId::GolemNoAgreements,
        RuleId::VersionOutdated,
        RuleId::AllocationRollback,
        RuleId::ForecastError,
        RuleId::TrainingFailed,
        RuleId::Anomaly,
        RuleId::CpuSaturated,
        RuleId::BandwidthAtCap,
        RuleId::RunningNotEarning,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::NodeUnavailable => "node_unavailable",
            RuleId::EarningsDrop => "earnings_drop",
            RuleId::DiskHigh => "disk_high",
            RuleId::MemoryHigh => "memory_high",
            RuleId::StorjSuspended => "storj_suspended",
            RuleId::StorjScoreLow => "storj_score_low",
            RuleId::GolemNoAgreements => "golem_no_agreements",
            RuleId::VersionOutdated => "version_outdated",
            // The apply step opens this one itself (crate::cycle::apply); it shares the name.
            RuleId::AllocationRollback => "allocation_rollback",
            RuleId::ForecastError => "forecast_error",
            RuleId::TrainingFailed => "training_failed",
            RuleId::Anomaly => "anomaly",
            RuleId::CpuSaturated => "cpu_saturated",
            RuleId::BandwidthAtCap => "bandwidth_at_cap",
            RuleId::RunningNotEarning => "running_not_earning",
        }
    }

    pub fn parse(s: &str) -> Option<RuleId> {
        RuleId::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn severity(self) -> Severity {
        match self {
            RuleId::NodeUnavailable | RuleId::StorjSuspended | RuleId::AllocationRollback => {
                Severity::Critical
            }
            RuleId::ForecastError | RuleId::TrainingFailed | RuleId::Anomaly => Severity::Info,
            _ => Severity::Warning,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// What one rule concluded about one node.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The condition holds: open (or keep open) an alert with this message.
    Firing(String),
    /// The condition is over: clear an open alert.
    Clear,
    /// Not enough information, or inside the hysteresis band: leave things as they are.
    Unknown,
}

/// Consecutive failed polls → unavailable; one good poll clears it.
pub fn node_unavailable(
    ok: bool,
    consecutive_failures: u32,
    threshold: u32,
    error: &str,
) -> Verdict {
    if ok {
        Verdict::Clear
    } else if consecutive_failures >= threshold.max(1) {
        Verdict::Firing(format!(
            "the node failed {consecutive_failures} polls in a row (last error: {error})"
        ))
    } else {
        Verdict::Unknown
    }
}

/// Disk use against the allocation; clears two points below the threshold so it does not flap.
pub fn disk_high(m: &ResourceMetrics, percent: f64) -> Verdict {
    let (Some(used), Some(allocated)) = (m.disk_used_bytes, m.disk_allocated_bytes) else {
        return Verdict::Unknown;
    };
    if allocated.is_nan() || allocated <= 0.0 || !used.is_finite() {
        return Verdict::Unknown;
    }
    let pct = used / allocated * 100.0;
    if pct > percent {
        Verdict::Firing(format!(
            "disk use is {pct:.1} % of the allocation ({:.1} of {:.1} GB, threshold {percent} %)",
            used / 1e9,
            allocated / 1e9
        ))
    } else if pct < percent - 2.0 {
        Verdict::Clear
    } else {
        Verdict::Unknown
    }
}

/// Memory pressure: use above the operator's limit; off when the limit is 0.
pub fn memory_high(m: &ResourceMetrics, limit_mib: u64) -> Verdict {
    if limit_mib == 0 {
        return Verdict::Clear;
    }
    let Some(used) = m.mem_bytes.filter(|v| v.is_finite()) else {
        return Verdict::Unknown;
    };
    let limit = limit_mib as f64 * 1024.0 * 1024.0;
    if used > limit {
        Verdict::Firing(format!(
            "memory use is {:.0} MiB, above the {limit_mib} MiB limit",
            used / 1024.0 / 1024.0
        ))
    } else if used < limit * 0.95 {
        Verdict::Clear
    } else {
        Verdict::Unknown
    }
}

/// A cap a measured value is held to: the node's allocation, else what the machine has.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cap {
    pub value: f64,
    /// `the allocation`, `the machine's RAM`, …, for the message.
    pub of: &'static str,
}

/// Measured use of a resource against its cap: fires at `percent` of it, clears five points
/// below so it does not flap; `percent` 0 turns the rule off. No measurement says nothing; no
/// cap means the node cannot be at it.
pub fn usage_at_cap(
    what: &str,
    used: Option<f64>,
    cap: Option<Cap>,
    percent: f64,
    show: fn(f64) -> String,
) -> Verdict {
    if percent <= 0.0 {
        return Verdict::Clear;
    }
    let Some(used) = used.filter(|v| v.is_finite()) else {
        return Verdict::Unknown;
    };
    let Some(cap) = cap.filter(|c| c.value.is_finite() && c.value > 0.0) else {
        return Verdict::Clear;
    };
    let pct = used / cap.value * 100.0;
    if pct >= percent {
        Verdict::Firing(format!(
            "{what} is {}, {pct:.0} % of {} ({}; threshold {percent} %)",
            show(used),
            cap.of,
            show(cap.value)
        ))
    } else if pct < percent - 5.0 {
        Verdict::Clear
    } else {
        Verdict::Unknown
    }
}

/// Two verdicts of one rule: firing if either fires, clear only when both clear.
pub fn either(a: Verdict, b: Verdict) -> Verdict {
    match (a, b) {
        (Verdict::Firing(x), Verdict::Firing(y)) => Verdict::Firing(format!("{x}; {y}")),
        (f @ Verdict::Firing(_), _) | (_, f @ Verdict::Firing(_)) => f,
        (Verdict::Clear, Verdict::Clear) => Verdict::Clear,
        _ => Verdict::Unknown,
    }
}

pub fn show_cores(millicores: f64) -> String {
    format!("{:.2} cores", millicores / 1000.0)
}

pub fn show_mib(bytes: f64) -> String {
    format!("{:.0} MiB", bytes / 1024.0 / 1024.0)
}

pub fn show_mbps(bps: f64) -> String {
    format!("{:.2} Mbit/s", bps / 1e6)
}

/// A node whose process runs and whose API is healthy, yet whose earnings have not grown for
/// `hours` (the protocol's normal gap). A stopped process is another incident (the node is
/// down), so it clears this one; an unhealthy or unmeasured node says nothing.
pub fn running_not_earning(
    series: &[(DateTime<Utc>, f64)],
    now: DateTime<Utc>,
    hours: u32,
    running: Option<bool>,
    healthy: bool,
) -> Verdict {
    if hours == 0 || running == Some(false) {
        return Verdict::Clear;
    }
    if running.is_none() || !healthy {
        return Verdict::Unknown;
    }
    match growth(series, now, Duration::hours(i64::from(hours))) {
        Some(0.0) => Verdict::Firing(format!(
            "the node's process runs and its API is healthy, but it has earned nothing for {hours} h, longer than the protocol's normal gap (usage.not_earning_hours)"
        )),
        Some(_) => Verdict::Clear,
        None => Verdict::Unknown,
    }
}

/// The protocol signals the adapters put in their health reasons, as `(rule, verdict)`.
/// An unreachable or unchecked node says nothing about them.
pub fn health_signals(health: &HealthStatus) -> Vec<(RuleId, Verdict)> {
    let rules = [
        RuleId::StorjSuspended,
        RuleId::StorjScoreLow,
        RuleId::VersionOutdated,
    ];
    let reasons = match health {
        HealthStatus::Healthy => Vec::new(),
        HealthStatus::Degraded(r) => r.clone(),
        HealthStatus::Unreachable(_) | HealthStatus::Unknown => {
            return rules.iter().map(|r| (*r, Verdict::Unknown)).collect()
        }
    };
    let matching = |pred: &dyn Fn(&str) -> bool| -> Verdict {
        let hits: Vec<&str> = reasons
            .iter()
            .map(String::as_str)
            .filter(|r| pred(r))
            .collect();
        if hits.is_empty() {
            Verdict::Clear
        } else {
            Verdict::Firing(hits.join("; "))
        }
    };
    vec![
        (
            RuleId::StorjSuspended,
            matching(&|r| r.starts_with("suspended on ") || r.starts_with("disqualified on ")),
        ),
        (
            RuleId::StorjScoreLow,
            matching(&|r| {
                ["audit score on", "suspension score on", "online score on"]
                    .iter()
                    .any(|p| r.starts_with(p))
            }),
        ),
        (
            RuleId::VersionOutdated,
            matching(&|r| {
                let r = r.to_ascii_lowercase();
                r.contains("version")
                    && (r.contains("below the minimum")
                        || r.contains("outdated")
                        || r.contains("update the node"))
            }),
        ),
    ]
}

/// The value of a cumulative series at `t`: the last observation at or before it.
fn value_at(series: &[(DateTime<Utc>, f64)], t: DateTime<Utc>) -> Option<f64> {
    series
        .iter()
        .rev()
        .find(|(ts, _)| *ts <= t)
        .map(|(_, v)| *v)
}

/// Growth of a cumulative series over `[to - window, to]`; `None` when it is not covered or went
/// down (a payout or a period reset, not a loss).
fn growth(series: &[(DateTime<Utc>, f64)], to: DateTime<Utc>, window: Duration) -> Option<f64> {
    let start = value_at(series, to - window)?;
    let end = value_at(series, to)?;
    // The window's start must be observed, not only its end.
    series.first().filter(|(ts, _)| *ts <= to - window)?;
    let d = end - start;
    (d >= 0.0).then_some(d)
}

/// Earnings over the last window against the same hours of the previous days. Fires when the
/// drop exceeds `cfg.earnings_drop_percent`; clears when it is back within half of it.
pub fn earnings_drop(
    series: &[(DateTime<Utc>, f64)],
    now: DateTime<Utc>,
    cfg: &AlertsConfig,
    token: &str,
) -> Verdict {
    let window = Duration::hours(i64::from(cfg.earnings_window_hours.max(1)));
    let Some(current) = growth(series, now, window) else {
        return Verdict::Unknown;
    };
    let earlier: Vec<f64> = (1..=i64::from(cfg.earnings_baseline_days.max(1)))
        .filter_map(|d| growth(series, now - Duration::days(d), window))
        .collect();
    if earlier.is_empty() {
        return Verdict::Unknown;
    }
    let baseline = earlier.iter().sum::<f64>() / earlier.len() as f64;
    if baseline.is_nan() || baseline <= 0.0 {
        return Verdict::Unknown;
    }
    let drop = (1.0 - current / baseline) * 100.0;
    if drop > cfg.earnings_drop_percent {
        Verdict::Firing(format!(
            "earnings over the last {} h were {current:.4} {token}, {drop:.0} % below the {baseline:.4} {token} of the same hours on the previous {} days",
            window.num_hours(),
            earlier.len()
        ))
    } else if drop < cfg.earnings_drop_percent / 2.0 {
        Verdict::Clear
    } else {
        Verdict::Unknown
    }
}

/// A Golem node that answers but has earned nothing new for `hours`: no agreements arrive.
pub fn golem_idle(
    series: &[(DateTime<Utc>, f64)],
    now: DateTime<Utc>,
    hours: u32,
    reachable: bool,
) -> Verdict {
    if !reachable || hours == 0 {
        return Verdict::Unknown;
    }
    match growth(series, now, Duration::hours(i64::from(hours))) {
        Some(0.0) => Verdict::Firing(format!(
            "no new earnings for {hours} h while the node is online: no agreements are reaching it (check offers, prices and the subnet)"
        )),
        Some(_) => Verdict::Clear,
        None => Verdict::Unknown,
    }
}

/// Realized earnings over a completed forecast's hours against the sum of its p50, both in whole
/// tokens. Returns the error ratio `|realized - p50| / p50` (for the gauge) and the verdict:
/// fires above `percent`, clears below three quarters of it so it does not flap. A forecast of
/// nothing has no ratio and says nothing.
pub fn forecast_error(
    p50_total: f64,
    realized: f64,
    hours: usize,
    percent: f64,
    token: &str,
) -> (Option<f64>, Verdict) {
    if !p50_total.is_finite() || !realized.is_finite() || p50_total <= 0.0 || hours == 0 {
        return (None, Verdict::Unknown);
    }
    let ratio = (realized - p50_total).abs() / p50_total;
    let pct = ratio * 100.0;
    let verdict = if pct > percent {
        Verdict::Firing(format!(
            "earnings over the {hours} forecasted hours were {realized:.4} {token}, {pct:.0} % off the forecast's median of {p50_total:.4} {token} (threshold {percent} %)"
        ))
    } else if pct < percent * 0.75 {
        Verdict::Clear
    } else {
        Verdict::Unknown
    };
    (Some(ratio), verdict)
}

/// The newest *finished* training job that included `series` decides: failed fires, succeeded
/// clears; queued or running jobs, and a series never trained, say nothing yet.
pub fn training_failed(jobs: &[crate::ml::JobInfo], series: &str) -> Verdict {
    let finished_at = |j: &crate::ml::JobInfo| {
        j.finished_at
            .as_deref()
            .or(Some(j.created_at.as_str()))
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.to_utc())
    };
    let newest = jobs
        .iter()
        .filter(|j| j.series_ids.iter().any(|s| s == series))
        .filter(|j| j.state == "failed" || j.state == "succeeded")
        // Ties and unparsable times keep the engine's order, which is creation order.
        .max_by(|a, b| finished_at(a).cmp(&finished_at(b)));
    match newest {
        Some(j) if j.state == "failed" => Verdict::Firing(format!(
            "the ML engine's training job {} failed: {}",
            j.job_id,
            j.error
                .as_deref()
                .filter(|e| !e.is_empty())
                .unwrap_or(j.message.as_str())
        )),
        Some(_) => Verdict::Clear,
        None => Verdict::Unknown,
    }
}
