//! The simulated machine: four nodes whose state moves minute by minute under the market model,
//! the faults and the allocation read from the nodes' real knobs.
//!
//! `World` owns the clock, the knobs and the fault book; the per-node state lives in `state` and
//! the per-minute protocol behaviour in `tick`.

mod state;
mod tick;

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};
use orcha_core::ProtocolId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use tokio::sync::watch;

use crate::economics::{nano_usd, usd_of, Conditions, MarginalValue};
use crate::faults::{FaultBook, FaultKind, OfflineMode, StorjShape, SurfaceFaults};
use crate::knobs::{self, HardwareProfile, KnobPaths, StorjKnob};
use crate::model::{Allocation, Market, GB_PER_GIB};
use crate::scenario::Scenario;

pub use state::Ledger;
pub(crate) use state::{
    Activity, Agreement, GolemState, GrassEpoch, GrassState, Invoice, Payment, StorjDay,
    StorjMonth, StorjState, StreamrState,
};
use tick::push_finished;
pub use tick::{golem_switch_loss, storj_ingress_bytes};

/// How long a Golem activity (job) runs before it is invoiced, in simulated minutes.
pub const JOB_MINUTES: u64 = 30;
/// How long an issued invoice waits before it is accepted, and an accepted one before it settles.
const INVOICE_ACCEPT_MINUTES: u64 = 5;
const INVOICE_SETTLE_MINUTES: u64 = 60;
/// A Golem activity's length in hours, over which its start price is amortized.
pub const JOB_HOURS: f64 = JOB_MINUTES as f64 / 60.0;

/// Storj satellite prices as the node's pricing endpoint reports them: cents per TB of egress
/// and of repair/audit egress, cents per TB-month stored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StorjPriceCents {
    pub egress: u64,
    pub repair: u64,
    pub disk: u64,
}

pub fn index(p: ProtocolId) -> usize {
    match p {
        ProtocolId::Storj => 0,
        ProtocolId::Golem => 1,
        ProtocolId::Streamr => 2,
        ProtocolId::Grass => 3,
    }
}

/// One allocation the simulator observed through a knob (or set at start).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct AllocationChange {
    pub minute: u64,
    pub at: DateTime<Utc>,
    pub allocation: Allocation,
    pub cause: String,
}

/// Bandwidth and CPU of the nodes that have no knob of their own (what cgroups/tc would set).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalAllocation {
    pub streamr_cpu_threads: Option<f64>,
    pub streamr_bandwidth_mbps: Option<f64>,
    pub grass_bandwidth_mbps: Option<f64>,
}

/// The whole simulated machine.
#[derive(Debug)]
pub struct World {
    pub(crate) scenario: Scenario,
    pub(crate) market: Market,
    pub(crate) faults: FaultBook,
    pub(crate) knobs: Option<KnobPaths>,
    pub(crate) minute: u64,
    pub(crate) alloc: Allocation,
    knob_texts: (Option<String>, Option<String>),
    pub(crate) storj: StorjState,
    pub(crate) golem: GolemState,
    pub(crate) streamr: StreamrState,
    pub(crate) grass: GrassState,
    pub(crate) ledger: Ledger,
    /// Earned so far per node, integer nano-dollars.
    nano: [i64; 4],
    cycle_acc: i64,
    pub(crate) history: Vec<AllocationChange>,
    rng: ChaCha8Rng,
    signals: Option<[watch::Sender<SurfaceFaults>; 4]>,
}

impl World {
    /// A world without files or HTTP signals (benchmarks, oracle checks, unit tests).
    pub fn new(scenario: Scenario) -> Self {
        let market = Market::new(scenario.market.clone(), scenario.seed);
        let mut faults = FaultBook::default();
        for f in &scenario.faults {
            faults.add(f.target, f.kind.clone(), f.start_minute, f.end_minute);
        }
        let start = scenario.start;
        let alloc = scenario.initial;
        let profile = HardwareProfile {
            cpu_threads: alloc.golem_cpu_threads.max(1.0) as u32,
            mem_gib: alloc.golem_mem_gib,
            storage_gib: alloc.golem_storage_gib,
        };
        let storj = StorjState {
            allocated_bytes: alloc.storj_disk_gb * 1e9,
            used_bytes: scenario.storj_used_gb * 1e9,
            filler_bytes: 0.0,
            online_score: 0.9995,
            started_at: start - Duration::hours(30),
            last_pinged: start,
            days: Vec::new(),
            months: Vec::new(),
            restarts: 0,
            config_error: None,
            down_until: 0,
        };
        let golem = GolemState {
            profile,
            config_error: None,
            running: Vec::new(),
            finished: VecDeque::new(),
            agreements: Vec::new(),
            invoices: Vec::new(),
            first_open_invoice: 0,
            payments: Vec::new(),
            created_total: 0,
            terminated_total: 0,
            lost_total: 0,
            received_glm: 0.0,
            last_activity: None,
        };
        let history = vec![AllocationChange {
            minute: 0,
            at: start,
            allocation: alloc,
            cause: "start".into(),
        }];
        let rng = ChaCha8Rng::seed_from_u64(scenario.seed.wrapping_add(0xA11C_E5ED));
        World {
            scenario,
            market,
            faults,
            knobs: None,
            minute: 0,
            alloc,
            knob_texts: (None, None),
            storj,
            golem,
            streamr: StreamrState::default(),
            grass: GrassState::default(),
            ledger: Ledger::default(),
            nano: [0; 4],
            cycle_acc: 0,
            history,
            rng,
            signals: None,
        }
    }

    /// Connects the world to knob files (already written) and the surfaces' fault signals.
    pub(crate) fn attach(&mut self, knobs: KnobPaths, signals: [watch::Sender<SurfaceFaults>; 4]) {
        self.knob_texts = (
            std::fs::read_to_string(&knobs.storj_config).ok(),
            std::fs::read_to_string(&knobs.hardware_json).ok(),
        );
        self.knobs = Some(knobs);
        self.signals = Some(signals);
        self.publish();
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn minute(&self) -> u64 {
        self.minute
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.time_of(self.minute)
    }

    pub fn time_of(&self, minute: u64) -> DateTime<Utc> {
        self.scenario.start + Duration::minutes(i64::try_from(minute).unwrap_or(i64::MAX / 120))
    }

    pub fn allocation(&self) -> Allocation {
        self.alloc
    }

    pub fn history(&self) -> &[AllocationChange] {
        &self.history
    }

    pub fn faults(&self) -> &FaultBook {
        &self.faults
    }

    pub fn market(&self) -> &Market {
        &self.market
    }

    /// The truth ledger so far.
    pub fn ledger(&self) -> Ledger {
        let mut l = self.ledger.clone();
        l.nano_usd_by_node = ProtocolId::ALL
            .into_iter()
            .map(|p| (p.as_str().to_owned(), self.nano[index(p)]))
            .collect();
        l.total_nano_usd = self.nano.iter().sum();
        l.usd_by_node = l
            .nano_usd_by_node
            .iter()
            .map(|(k, v)| (k.clone(), usd_of(*v)))
            .collect();
        l.total_usd = usd_of(l.total_nano_usd);
        l
    }

    /// Moves the world to `now` (whole minutes), first picking up any knob change.
    pub fn advance_to(&mut self, now: DateTime<Utc>) {
        let target = (now - self.scenario.start).num_minutes().max(0) as u64;
        self.read_knobs();
        let before = self.minute;
        while self.minute < target {
            self.tick();
        }
        if self.minute != before {
            self.publish();
        }
    }

    /// Advances by a number of minutes (benchmarks and tests without a clock).
    pub fn advance_minutes(&mut self, minutes: u64) {
        self.read_knobs();
        for _ in 0..minutes {
            self.tick();
        }
        self.publish();
    }

    /// Adds a fault starting now (or `start_in` minutes from now).
    pub fn inject_fault(
        &mut self,
        target: ProtocolId,
        kind: FaultKind,
        start_in: u64,
        duration: Option<u64>,
    ) -> u64 {
        let start = self.minute + start_in;
        let id = self
            .faults
            .add(target, kind, start, duration.map(|d| start + d.max(1)));
        self.publish();
        id
    }

    pub fn clear_fault(&mut self, id: u64) -> bool {
        let ok = self.faults.clear(id, self.minute);
        self.publish();
        ok
    }

    /// Applies CPU and bandwidth of the nodes without knobs (cgroup/tc emulation).
    pub fn set_external(&mut self, ext: ExternalAllocation) -> Result<Allocation, String> {
        let mut next = self.alloc;
        let check = |v: f64, name: &str| {
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                Err(format!("{name} must be a non-negative number"))
            }
        };
        if let Some(v) = ext.streamr_cpu_threads {
            next.streamr_cpu_threads = check(v, "streamr_cpu_threads")?;
        }
        if let Some(v) = ext.streamr_bandwidth_mbps {
            next.streamr_bandwidth_mbps = check(v, "streamr_bandwidth_mbps")?;
        }
        if let Some(v) = ext.grass_bandwidth_mbps {
            next.grass_bandwidth_mbps = check(v, "grass_bandwidth_mbps")?;
        }
        self.apply(next, "control");
        Ok(next)
    }

    /// Applies a Storj allocation as if config.yaml had changed (library use without files).
    pub fn set_storj_disk_gb(&mut self, gb: f64) {
        let mut next = self.alloc;
        next.storj_disk_gb = gb.max(0.0);
        self.apply(next, "config.yaml");
    }

    /// Applies a Golem profile as if hardware.json had changed (library use without files).
    pub fn set_golem_profile(&mut self, profile: HardwareProfile) {
        let mut next = self.alloc;
        next.golem_cpu_threads = f64::from(profile.cpu_threads);
        next.golem_mem_gib = profile.mem_gib;
        next.golem_storage_gib = profile.storage_gib;
        self.golem.profile = profile;
        self.apply(next, "hardware.json");
    }

    /// Restarts the Storj node (control endpoint): downtime without an allocation change.
    pub fn restart_storj(&mut self) {
        self.storj.down_until = self.minute + self.scenario.costs.storj_restart_minutes;
        self.storj.restarts += 1;
        self.storj.started_at = self.time_of(self.storj.down_until);
        self.publish();
    }

    fn read_knobs(&mut self) {
        let Some(paths) = self.knobs.clone() else {
            return;
        };
        let storj_text = std::fs::read_to_string(&paths.storj_config).ok();
        if storj_text != self.knob_texts.0 {
            self.knob_texts.0 = storj_text.clone();
            match storj_text.as_deref().map(knobs::read_storj_allocation) {
                Some(StorjKnob::Allocated(bytes)) => {
                    let gb = bytes / 1e9;
                    if gb < self.scenario.costs.storj_min_disk_gb {
                        // The real node refuses to start below the minimum ("disk space
                        // requirement not met"); the simulator keeps it down until fixed.
                        self.storj.config_error = Some(format!(
                            "disk space requirement not met: {gb:.0} GB < {:.0} GB",
                            self.scenario.costs.storj_min_disk_gb
                        ));
                    } else {
                        self.storj.config_error = None;
                        let mut next = self.alloc;
                        next.storj_disk_gb = gb;
                        self.apply(next, "config.yaml");
                    }
                }
                Some(StorjKnob::Invalid(e)) => self.storj.config_error = Some(e),
                None => self.storj.config_error = Some("config.yaml is missing".into()),
            }
            self.publish();
        }
        let hw_text = std::fs::read_to_string(&paths.hardware_json).ok();
        if hw_text != self.knob_texts.1 {
            self.knob_texts.1 = hw_text.clone();
            match hw_text.as_deref().map(knobs::read_hardware) {
                Some(Ok(profile)) => {
                    self.golem.config_error = None;
                    self.set_golem_profile(profile);
                }
                // A broken hardware.json makes the real ya-provider keep its last profile.
                Some(Err(e)) => self.golem.config_error = Some(e),
                None => self.golem.config_error = Some("hardware.json is missing".into()),
            }
        }
    }

    /// Switches to a new allocation, charging the switching costs of the nodes that changed.
    fn apply(&mut self, next: Allocation, cause: &str) {
        if next == self.alloc {
            return;
        }
        let m = self.minute;
        let prev = self.alloc;
        if next.storj_disk_gb != prev.storj_disk_gb {
            self.storj.allocated_bytes = next.storj_disk_gb * 1e9;
            self.storj.down_until = m + self.scenario.costs.storj_restart_minutes;
            self.storj.restarts += 1;
            self.storj.started_at = self.time_of(self.storj.down_until);
        }
        if next.golem_profile_differs(&prev) {
            let loss = golem_switch_loss(&mut self.market, &self.faults, &self.scenario, m, &prev);
            let loss = nano_usd(loss);
            if loss > 0 {
                self.nano[index(ProtocolId::Golem)] -= loss;
                self.cycle_acc -= loss;
                self.ledger.switching_loss_nano_usd += loss;
            }
            // Running activities are lost whenever jobs run; their value is never invoiced.
            let now = self.time_of(m);
            for mut a in std::mem::take(&mut self.golem.running) {
                a.state = "Terminated";
                a.reason = Some("hardware profile changed".into());
                self.golem.lost_total += 1;
                self.golem.terminated_total += 1;
                self.golem.last_activity = Some(now);
                push_finished(&mut self.golem.finished, a);
            }
        }
        self.alloc = next;
        self.history.push(AllocationChange {
            minute: m,
            at: self.time_of(m),
            allocation: next,
            cause: cause.into(),
        });
    }

    fn publish(&self) {
        let Some(signals) = &self.signals else { return };
        for p in ProtocolId::ALL {
            let mut s = self.faults.surface(p, self.minute);
            if p == ProtocolId::Storj
                && (self.storj.config_error.is_some() || self.minute < self.storj.down_until)
                && s.offline.is_none()
            {
                s.offline = Some(OfflineMode::Refused);
            }
            signals[index(p)].send_if_modified(|cur| {
                if *cur != s {
                    *cur = s;
                    true
                } else {
                    false
                }
            });
        }
    }

    /// The Storj shape served now (a version-drift fault overrides the configured one).
    pub fn storj_shape(&self) -> StorjShape {
        self.faults
            .surface(ProtocolId::Storj, self.minute)
            .storj_shape
            .unwrap_or(self.scenario.storj_shape)
    }

    fn random_hex(&mut self, len: usize) -> String {
        const HEX: &[u8] = b"0123456789abcdef";
        (0..len)
            .map(|_| char::from(HEX[self.rng.random_range(0..16)]))
            .collect()
    }

    fn random_uuid(&mut self) -> String {
        let h = self.random_hex(32);
        format!(
            "{}-{}-4{}-8{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    /// The market, faults and Storj fill at minute `m`, as the pay rules see them.
    pub(crate) fn conditions(&mut self, m: u64) -> Conditions {
        let demand = self.market.demands(m);
        let factor = ProtocolId::ALL.map(|p| {
            if self.node_up(p, m) {
                self.faults.earnings_factor(p, m)
            } else {
                0.0
            }
        });
        Conditions {
            demand,
            factor,
            grass_epoch: self.market.grass_epoch_multiplier(m),
            storj_used_gb: self.storj.used_bytes / 1e9,
        }
    }

    /// The conditions of the current minute (demand, faults, Storj fill), for checking the
    /// marginal values against the pay rules.
    pub fn conditions_now(&mut self) -> Conditions {
        self.conditions(self.minute)
    }

    /// What an OS meter would read of Streamr and Grass now (see `Economics::os_use`).
    pub fn os_use(&mut self) -> crate::economics::OsUse {
        let c = self.conditions(self.minute);
        self.scenario.economics.os_use(&c, &self.alloc)
    }

    /// What one more unit of each resource earns per hour on each node now (the curves).
    pub fn marginal_values(&mut self) -> Vec<MarginalValue> {
        let c = self.conditions(self.minute);
        let s = &self.scenario;
        s.economics.marginal_values(
            &s.prices,
            &c,
            &self.alloc,
            self.storj.allocated_bytes / 1e9,
            JOB_HOURS,
        )
    }

    /// The Storj prices the pricing endpoint serves, from the scenario's economics.
    pub fn storj_price_cents(&self) -> StorjPriceCents {
        let e = &self.scenario.economics.storj;
        let cents = |usd: f64| (usd * 100.0).round().max(0.0) as u64;
        StorjPriceCents {
            egress: cents(e.egress_usd_per_tb),
            repair: cents(e.repair_usd_per_tb),
            disk: cents(e.storage_usd_per_tb_month),
        }
    }

    /// Data the Storj node stores and is paid for, GB.
    pub fn storj_used_gb(&self) -> f64 {
        self.storj.used_bytes / 1e9
    }

    /// One simulated minute.
    fn tick(&mut self) {
        let m = self.minute;
        let now = self.time_of(m);
        let c = self.conditions(m);
        let alloc = self.alloc;
        for p in ProtocolId::ALL {
            let eco = &self.scenario.economics;
            let rate = eco.rate_usd_per_hour(&self.scenario.prices, p, &c, &alloc, JOB_HOURS);
            let usd = rate / 60.0;
            let mut nano = nano_usd(usd);
            if p == ProtocolId::Streamr
                && m.is_multiple_of(eco.streamr.inspection_minutes.max(1))
                && !eco.streamr_serving(&c, &alloc)
            {
                // A node that cannot keep up with its streams fails the inspection and is
                // flagged; the reviewers' vote slashes a fraction of the stake.
                let slash = nano_usd(eco.streamr_slash_usd(&self.scenario.prices));
                nano -= slash;
                self.ledger.streamr_slashed_nano_usd += slash;
                self.ledger.streamr_slashings += 1;
                self.streamr.slashed_data += eco.streamr.stake_data * eco.streamr.slashing_fraction;
            }
            self.nano[index(p)] += nano;
            self.cycle_acc += nano;
            match p {
                ProtocolId::Storj => self.tick_storj(m, now, &c),
                ProtocolId::Golem => self.tick_golem(m, now, usd, &c),
                ProtocolId::Streamr => self.tick_streamr(&c, usd),
                ProtocolId::Grass => self.tick_grass(m, usd, c.factor[3] > 0.0),
            }
        }
        self.minute += 1;
        if self.minute.is_multiple_of(self.scenario.cycle_minutes) {
            let total = self
                .ledger
                .cycle_totals_nano_usd
                .last()
                .copied()
                .unwrap_or(0)
                + self.cycle_acc;
            self.ledger.cycle_totals_nano_usd.push(total);
            self.cycle_acc = 0;
        }
    }

    fn node_up(&self, p: ProtocolId, m: u64) -> bool {
        match p {
            ProtocolId::Storj => self.storj.config_error.is_none() && m >= self.storj.down_until,
            _ => true,
        }
    }
}

/// A non-negative amount in base units (e.g. GLM with 18 decimals), never from a NaN.
pub fn to_units(value: f64, decimals: u32) -> u128 {
    if !(value.is_finite() && value > 0.0) {
        return 0;
    }
    // Round to 12 significant digits first so the decimal string has no float noise tail.
    let scaled = value * 10f64.powi(i32::try_from(decimals).unwrap_or(18));
    let magnitude = scaled.log10().floor() as i32;
    let keep = 12 - magnitude - 1;
    let rounded = if keep < 0 {
        let f = 10f64.powi(-keep);
        (scaled / f).round() * f
    } else {
        scaled.round()
    };
    rounded.min(1e37) as u128
}

/// Formats base units as a decimal string without trailing zeros ("0.0021", "12").
pub fn format_units(units: u128, decimals: u32) -> String {
    let base = 10u128.pow(decimals.min(38));
    let int = units / base;
    let frac = units % base;
    if frac == 0 {
        return int.to_string();
    }
    let digits = format!("{:0width$}", frac, width = decimals as usize);
    format!("{int}.{}", digits.trim_end_matches('0'))
}

/// Total GB of disk the allocation uses (Storj + Golem storage).
pub fn disk_used_gb(a: &Allocation) -> f64 {
    a.storj_disk_gb + a.golem_storage_gib * GB_PER_GIB
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_format_exactly() {
        assert_eq!(format_units(2_100_000_000_000_000, 18), "0.0021");
        assert_eq!(format_units(12 * 10u128.pow(18), 18), "12");
        assert_eq!(
            format_units(to_units(0.006944444444444445, 18), 18),
            "0.00694444444444"
        );
        assert_eq!(to_units(f64::NAN, 18), 0);
        assert_eq!(to_units(-1.0, 18), 0);
    }

    #[test]
    fn world_earns_and_invoices_over_a_day() {
        let mut w = World::new(Scenario::minimal());
        w.advance_minutes(1440);
        let l = w.ledger();
        assert!(l.total_usd > 0.0);
        assert_eq!(l.cycle_totals_nano_usd.len(), 24);
        assert_eq!(l.cycle_totals_nano_usd[23], l.total_nano_usd);
        assert!(!w.golem.invoices.is_empty());
        assert!(w.storj.months.last().unwrap().storage_cents > 0.0);
    }

    #[test]
    fn storj_change_restarts_the_node_and_costs_earnings() {
        let mut a = World::new(Scenario::minimal());
        let mut b = World::new(Scenario::minimal());
        a.advance_minutes(600);
        b.advance_minutes(600);
        b.set_storj_disk_gb(a.allocation().storj_disk_gb);
        assert_eq!(b.storj.restarts, 0, "an unchanged value is not a restart");
        b.restart_storj();
        a.advance_minutes(30);
        b.advance_minutes(30);
        assert!(b.ledger().usd_by_node["storj"] < a.ledger().usd_by_node["storj"]);
    }
}
