//! Reading scenario TOML: the raw file layout, the market merge and validation with file, field
//! and line in every error.

use std::path::Path;

use chrono::{DateTime, Datelike, Timelike};
use orcha_core::ProtocolId;
use serde::Deserialize;
use toml::Spanned;

use super::*;
use crate::economics::Economics;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    #[serde(default)]
    name: Option<String>,
    sim: RawSim,
    #[serde(default)]
    time: Option<Spanned<TimeMode>>,
    budget: RawBudget,
    initial: Spanned<RawInitial>,
    #[serde(default)]
    costs: Option<RawCosts>,
    #[serde(default)]
    prices: Option<RawPrices>,
    #[serde(default)]
    market: Option<RawMarket>,
    #[serde(default)]
    economics: Option<Spanned<Economics>>,
    #[serde(default)]
    regime: Vec<Spanned<RawRegime>>,
    #[serde(default)]
    fault: Vec<Spanned<RawFault>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSim {
    seed: u64,
    #[serde(default)]
    start: Option<Spanned<String>>,
    duration_days: Spanned<f64>,
    #[serde(default = "default_cycle")]
    cycle_minutes: Spanned<u64>,
    #[serde(default)]
    storj_shape: StorjShape,
}

fn default_cycle() -> Spanned<u64> {
    Spanned::new(0..0, 60)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    cpu_threads: Spanned<f64>,
    mem_gib: Spanned<f64>,
    disk_gb: Spanned<f64>,
    bandwidth_mbps: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInitial {
    storj_disk_gb: f64,
    #[serde(default)]
    storj_used_gb: Option<f64>,
    golem_cpu_threads: f64,
    golem_mem_gib: f64,
    golem_storage_gib: f64,
    streamr_cpu_threads: f64,
    streamr_bandwidth_mbps: f64,
    grass_bandwidth_mbps: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCosts {
    #[serde(default)]
    storj_restart_minutes: Option<Spanned<u64>>,
    #[serde(default)]
    golem_job_loss_minutes: Option<Spanned<f64>>,
    #[serde(default)]
    storj_min_disk_gb: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrices {
    #[serde(default)]
    glm_usd: Option<Spanned<f64>>,
    #[serde(default)]
    data_usd: Option<Spanned<f64>>,
    #[serde(default)]
    grass_usd_per_point: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMarket {
    #[serde(default)]
    golem_job_threshold: Option<f64>,
    #[serde(default)]
    grass_epoch_hours: Option<Spanned<u64>>,
    #[serde(default)]
    grass_epoch_spread: Option<f64>,
    #[serde(default)]
    storj: Option<Spanned<toml::Table>>,
    #[serde(default)]
    golem: Option<Spanned<toml::Table>>,
    #[serde(default)]
    streamr: Option<Spanned<toml::Table>>,
    #[serde(default)]
    grass: Option<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegime {
    protocol: String,
    start_hour: f64,
    duration_hours: f64,
    multiplier: f64,
    #[serde(default)]
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFault {
    target: String,
    kind: String,
    start_hour: f64,
    #[serde(default)]
    duration_minutes: Option<f64>,
    #[serde(default)]
    mode: Option<OfflineMode>,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default)]
    shape: Option<StorjShape>,
    #[serde(default)]
    percent: Option<f64>,
    #[serde(default)]
    gb_per_hour: Option<f64>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

struct Ctx<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(
        &self,
        span: std::ops::Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::Invalid {
            file: self.file.to_owned(),
            line: line_of(self.text, span.start),
            field: field.to_owned(),
            message: message.into(),
        }
    }

    fn positive(&self, v: &Spanned<f64>, field: &str) -> Result<f64, ScenarioError> {
        let x = *v.get_ref();
        if x.is_finite() && x > 0.0 {
            Ok(x)
        } else {
            Err(self.err(
                v.span(),
                field,
                format!("must be a positive number, got {x}"),
            ))
        }
    }
}

fn protocol(
    ctx: &Ctx,
    s: &str,
    span: std::ops::Range<usize>,
    field: &str,
) -> Result<ProtocolId, ScenarioError> {
    s.parse()
        .map_err(|e: orcha_core::domain::IdError| ctx.err(span, field, e.to_string()))
}

fn merge_market(
    ctx: &Ctx,
    base: &ProtocolMarket,
    user: Option<Spanned<toml::Table>>,
    name: &str,
) -> Result<ProtocolMarket, ScenarioError> {
    let Some(user) = user else {
        return Ok(base.clone());
    };
    let span = user.span();
    let field = format!("market.{name}");
    let mut merged =
        toml::Table::try_from(base).map_err(|e| ctx.err(span.clone(), &field, e.to_string()))?;
    for (k, v) in user.into_inner() {
        // Curves merge per resource so a scenario can override one curve and keep the others.
        match (k.as_str(), v) {
            ("curves", toml::Value::Table(curves)) => {
                let entry = merged
                    .entry("curves")
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if let toml::Value::Table(existing) = entry {
                    existing.extend(curves);
                }
            }
            (_, v) => {
                merged.insert(k, v);
            }
        }
    }
    let m: ProtocolMarket = merged
        .try_into()
        .map_err(|e: toml::de::Error| ctx.err(span.clone(), &field, e.message().to_owned()))?;
    for (kind, c) in &m.curves {
        if !["cpu", "memory", "disk", "bandwidth"].contains(&kind.as_str()) {
            return Err(ctx.err(
                span,
                &format!("{field}.curves.{kind}"),
                "unknown resource (cpu, memory, disk, bandwidth)",
            ));
        }
        if !(c.a.is_finite() && c.b.is_finite() && c.a >= 0.0 && c.b > 0.0) {
            return Err(ctx.err(
                span,
                &format!("{field}.curves.{kind}"),
                "needs a >= 0 and b > 0",
            ));
        }
    }
    for (v, f) in [(m.base, "base"), (m.noise, "noise")] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(ctx.err(
                span,
                &format!("{field}.{f}"),
                "must be a non-negative number",
            ));
        }
    }
    if !(0.0..1.0).contains(&m.noise_persistence) {
        return Err(ctx.err(
            span,
            &format!("{field}.noise_persistence"),
            "must be in [0, 1)",
        ));
    }
    Ok(m)
}

impl Scenario {
    /// Parses scenario text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        let ctx = Ctx { file: path, text };
        let raw: RawScenario = toml::from_str(text).map_err(|e: toml::de::Error| {
            let span = e.span().unwrap_or(0..0);
            // toml names the offending key in its message; keep the first line of it.
            let message = e.message().trim().to_owned();
            let field = message
                .split('`')
                .nth(1)
                .map(str::to_owned)
                .unwrap_or_else(|| "(document)".to_owned());
            ctx.err(span, &field, message)
        })?;

        let start = match &raw.sim.start {
            Some(s) => DateTime::parse_from_rfc3339(s.get_ref())
                .map(|d| d.to_utc())
                .map_err(|e| {
                    ctx.err(s.span(), "sim.start", format!("not an RFC 3339 time: {e}"))
                })?,
            None => Scenario::minimal().start,
        };
        let days = ctx.positive(&raw.sim.duration_days, "sim.duration_days")?;
        if days > 3660.0 {
            return Err(ctx.err(
                raw.sim.duration_days.span(),
                "sim.duration_days",
                "at most 3660 days",
            ));
        }
        let cycle = *raw.sim.cycle_minutes.get_ref();
        if cycle == 0 || cycle > 1440 {
            return Err(ctx.err(
                raw.sim.cycle_minutes.span(),
                "sim.cycle_minutes",
                "must be 1..=1440",
            ));
        }
        let time = match &raw.time {
            Some(t) => {
                if let TimeMode::Accelerated { speed } | TimeMode::CatchUp { speed } = t.get_ref() {
                    if !(speed.is_finite() && *speed > 0.0) {
                        return Err(ctx.err(t.span(), "time.speed", "must be a positive number"));
                    }
                }
                *t.get_ref()
            }
            None => TimeMode::Step,
        };
        let budget = Budget {
            cpu_threads: ctx.positive(&raw.budget.cpu_threads, "budget.cpu_threads")?,
            mem_gib: ctx.positive(&raw.budget.mem_gib, "budget.mem_gib")?,
            disk_gb: ctx.positive(&raw.budget.disk_gb, "budget.disk_gb")?,
            bandwidth_mbps: ctx.positive(&raw.budget.bandwidth_mbps, "budget.bandwidth_mbps")?,
        };
        let defaults = Scenario::minimal();
        let costs = match &raw.costs {
            None => defaults.costs,
            Some(c) => {
                let restart = c
                    .storj_restart_minutes
                    .as_ref()
                    .map_or(defaults.costs.storj_restart_minutes, |v| *v.get_ref());
                if restart > cycle {
                    let span = c.storj_restart_minutes.as_ref().map_or(0..0, |v| v.span());
                    return Err(ctx.err(
                        span,
                        "costs.storj_restart_minutes",
                        "must not exceed sim.cycle_minutes",
                    ));
                }
                let loss = match &c.golem_job_loss_minutes {
                    Some(v) if !(v.get_ref().is_finite() && *v.get_ref() >= 0.0) => {
                        return Err(ctx.err(
                            v.span(),
                            "costs.golem_job_loss_minutes",
                            "must be >= 0",
                        ))
                    }
                    Some(v) => *v.get_ref(),
                    None => defaults.costs.golem_job_loss_minutes,
                };
                let min_disk = match &c.storj_min_disk_gb {
                    Some(v) => ctx.positive(v, "costs.storj_min_disk_gb")?,
                    None => defaults.costs.storj_min_disk_gb,
                };
                SwitchingCosts {
                    storj_restart_minutes: restart,
                    golem_job_loss_minutes: loss,
                    storj_min_disk_gb: min_disk,
                }
            }
        };
        let prices = match &raw.prices {
            None => defaults.prices,
            Some(p) => Prices {
                glm_usd: p
                    .glm_usd
                    .as_ref()
                    .map(|v| ctx.positive(v, "prices.glm_usd"))
                    .transpose()?
                    .unwrap_or(defaults.prices.glm_usd),
                data_usd: p
                    .data_usd
                    .as_ref()
                    .map(|v| ctx.positive(v, "prices.data_usd"))
                    .transpose()?
                    .unwrap_or(defaults.prices.data_usd),
                grass_usd_per_point: p
                    .grass_usd_per_point
                    .as_ref()
                    .map(|v| ctx.positive(v, "prices.grass_usd_per_point"))
                    .transpose()?
                    .unwrap_or(defaults.prices.grass_usd_per_point),
            },
        };

        let init_span = raw.initial.span();
        let ri = raw.initial.into_inner();
        let initial = Allocation {
            storj_disk_gb: ri.storj_disk_gb,
            golem_cpu_threads: ri.golem_cpu_threads.round(),
            golem_mem_gib: ri.golem_mem_gib,
            golem_storage_gib: ri.golem_storage_gib,
            streamr_cpu_threads: ri.streamr_cpu_threads,
            streamr_bandwidth_mbps: ri.streamr_bandwidth_mbps,
            grass_bandwidth_mbps: ri.grass_bandwidth_mbps,
        };
        let checks = [
            (initial.storj_disk_gb, "initial.storj_disk_gb"),
            (initial.golem_cpu_threads, "initial.golem_cpu_threads"),
            (initial.golem_mem_gib, "initial.golem_mem_gib"),
            (initial.golem_storage_gib, "initial.golem_storage_gib"),
            (initial.streamr_cpu_threads, "initial.streamr_cpu_threads"),
            (
                initial.streamr_bandwidth_mbps,
                "initial.streamr_bandwidth_mbps",
            ),
            (initial.grass_bandwidth_mbps, "initial.grass_bandwidth_mbps"),
        ];
        for (v, f) in checks {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ctx.err(init_span.clone(), f, "must be a non-negative number"));
            }
        }
        if initial.storj_disk_gb + initial.golem_storage_gib * crate::model::GB_PER_GIB
            > budget.disk_gb * 1.0001
        {
            return Err(ctx.err(
                init_span.clone(),
                "initial.storj_disk_gb",
                "storj disk + golem storage exceed budget.disk_gb",
            ));
        }
        if initial.golem_cpu_threads + initial.streamr_cpu_threads > budget.cpu_threads + 1e-9 {
            return Err(ctx.err(
                init_span.clone(),
                "initial.golem_cpu_threads",
                "golem + streamr threads exceed budget.cpu_threads",
            ));
        }
        if initial.streamr_bandwidth_mbps + initial.grass_bandwidth_mbps
            > budget.bandwidth_mbps + 1e-9
        {
            return Err(ctx.err(
                init_span.clone(),
                "initial.streamr_bandwidth_mbps",
                "streamr + grass bandwidth exceed budget.bandwidth_mbps",
            ));
        }
        let storj_used_gb = ri.storj_used_gb.unwrap_or(initial.storj_disk_gb * 0.5);
        if !(storj_used_gb.is_finite() && storj_used_gb >= 0.0) {
            return Err(ctx.err(
                init_span,
                "initial.storj_used_gb",
                "must be a non-negative number",
            ));
        }

        let mut market = MarketParams::reference();
        market.start_weekday = start.weekday().num_days_from_monday();
        market.start_hour_of_day = f64::from(start.hour()) + f64::from(start.minute()) / 60.0;
        if let Some(m) = raw.market {
            if let Some(t) = m.golem_job_threshold {
                market.golem_job_threshold = t.max(0.0);
            }
            if let Some(h) = m.grass_epoch_hours {
                if *h.get_ref() == 0 {
                    return Err(ctx.err(
                        h.span(),
                        "market.grass_epoch_hours",
                        "must be at least 1",
                    ));
                }
                market.grass_epoch_hours = *h.get_ref();
            }
            if let Some(s) = m.grass_epoch_spread {
                market.grass_epoch_spread = s.clamp(0.0, 0.99);
            }
            market.storj = merge_market(&ctx, &market.storj, m.storj, "storj")?;
            market.golem = merge_market(&ctx, &market.golem, m.golem, "golem")?;
            market.streamr = merge_market(&ctx, &market.streamr, m.streamr, "streamr")?;
            market.grass = merge_market(&ctx, &market.grass, m.grass, "grass")?;
        }
        let economics = match raw.economics {
            None => Economics::default(),
            Some(e) => validate_economics(&ctx, e)?,
        };
        let hour_to_minute = |h: f64| (h.max(0.0) * MINUTES_PER_HOUR as f64).round() as u64;
        for r in raw.regime {
            let span = r.span();
            let r = r.into_inner();
            let p = protocol(&ctx, &r.protocol, span.clone(), "regime.protocol")?;
            if !(r.start_hour.is_finite() && r.start_hour >= 0.0) {
                return Err(ctx.err(span, "regime.start_hour", "must be >= 0"));
            }
            if !(r.duration_hours.is_finite() && r.duration_hours > 0.0) {
                return Err(ctx.err(span, "regime.duration_hours", "must be > 0"));
            }
            if !(r.multiplier.is_finite() && r.multiplier >= 0.0) {
                return Err(ctx.err(span, "regime.multiplier", "must be >= 0"));
            }
            let start_minute = hour_to_minute(r.start_hour);
            market.regimes.push(Regime {
                protocol: p,
                start_minute,
                end_minute: start_minute + hour_to_minute(r.duration_hours),
                multiplier: r.multiplier,
                label: r.label,
            });
        }
        let mut faults = Vec::new();
        for f in raw.fault {
            let span = f.span();
            let f = f.into_inner();
            let target = protocol(&ctx, &f.target, span.clone(), "fault.target")?;
            let need = |v: Option<f64>, field: &str| {
                v.filter(|x| x.is_finite() && *x >= 0.0).ok_or_else(|| {
                    ctx.err(
                        span.clone(),
                        field,
                        format!(
                            "fault kind `{}` needs a non-negative `{}`",
                            f.kind,
                            field.trim_start_matches("fault.")
                        ),
                    )
                })
            };
            let kind = match f.kind.as_str() {
                "offline" => FaultKind::Offline { mode: f.mode.unwrap_or_default() },
                "slow" => FaultKind::Slow {
                    delay_ms: f.delay_ms.ok_or_else(|| ctx.err(span.clone(), "fault.delay_ms", "fault kind `slow` needs `delay_ms`"))?,
                },
                "http500" => FaultKind::Http500,
                "malformed" => FaultKind::Malformed,
                "version_drift" => FaultKind::VersionDrift {
                    shape: f.shape.ok_or_else(|| ctx.err(span.clone(), "fault.shape", "fault kind `version_drift` needs `shape` (current, v1.71, v1.37)"))?,
                },
                "earnings_drop" => {
                    let p = need(f.percent, "fault.percent")?;
                    if p > 100.0 {
                        return Err(ctx.err(span, "fault.percent", "must be at most 100"));
                    }
                    FaultKind::EarningsDrop { percent: p }
                }
                "disk_filling" => FaultKind::DiskFilling { gb_per_hour: need(f.gb_per_hour, "fault.gb_per_hour")? },
                "token_revoked" => FaultKind::TokenRevoked,
                other => {
                    return Err(ctx.err(
                        span,
                        "fault.kind",
                        format!("unknown fault kind `{other}` (offline, slow, http500, malformed, version_drift, earnings_drop, disk_filling, token_revoked)"),
                    ))
                }
            };
            if !(f.start_hour.is_finite() && f.start_hour >= 0.0) {
                return Err(ctx.err(span, "fault.start_hour", "must be >= 0"));
            }
            let start_minute = hour_to_minute(f.start_hour);
            let end_minute = match f.duration_minutes {
                Some(d) if d.is_finite() && d > 0.0 => Some(start_minute + d.round() as u64),
                Some(_) => return Err(ctx.err(span, "fault.duration_minutes", "must be > 0")),
                None => None,
            };
            faults.push(ScheduledFault {
                target,
                kind,
                start_minute,
                end_minute,
            });
        }

        Ok(Scenario {
            name: raw.name.unwrap_or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "scenario".into())
            }),
            seed: raw.sim.seed,
            start,
            duration_minutes: (days * 1440.0).round() as u64,
            cycle_minutes: cycle,
            time,
            storj_shape: raw.sim.storj_shape,
            budget,
            initial,
            storj_used_gb,
            costs,
            prices,
            market,
            economics,
            faults,
        })
    }
}

/// Every pay parameter is a finite non-negative number; per-thread needs and the inspection
/// interval must be positive because they divide.
fn validate_economics(ctx: &Ctx, e: Spanned<Economics>) -> Result<Economics, ScenarioError> {
    let span = e.span();
    let e = e.into_inner();
    let table = toml::Table::try_from(e)
        .map_err(|err| ctx.err(span.clone(), "economics", err.to_string()))?;
    for (section, v) in &table {
        if let toml::Value::Table(fields) = v {
            for (k, x) in fields {
                let n = x.as_float().or_else(|| x.as_integer().map(|i| i as f64));
                if !n.is_some_and(|n| n.is_finite() && n >= 0.0) {
                    return Err(ctx.err(
                        span.clone(),
                        &format!("economics.{section}.{k}"),
                        "must be a non-negative number",
                    ));
                }
            }
        }
    }
    let positive = [
        (
            e.golem.mem_gib_per_thread,
            "economics.golem.mem_gib_per_thread",
        ),
        (
            e.golem.storage_gib_per_thread,
            "economics.golem.storage_gib_per_thread",
        ),
        (
            e.streamr.inspection_minutes as f64,
            "economics.streamr.inspection_minutes",
        ),
    ];
    for (v, f) in positive {
        if v <= 0.0 {
            return Err(ctx.err(span.clone(), f, "must be positive"));
        }
    }
    if e.streamr.protocol_fee > 1.0 || e.streamr.slashing_fraction > 1.0 {
        return Err(ctx.err(span, "economics.streamr", "fractions must be at most 1"));
    }
    Ok(e)
}
