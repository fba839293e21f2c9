//! What each network truly pays for (docs/economics.md): Storj stored data, egress and repair;
//! Golem rented threads at its preset prices; Streamr stake payouts behind a resource floor;
//! Grass uptime and bandwidth used. Pure functions, shared by the world, the oracle and the curves.
//!
//! Everything is in US dollars per hour; the world converts to each node's token. The rates are
//! functions of the minute's conditions (demand, faults, Storj used space) and the allocation, so
//! the marginal values reported by `GET /control/curves` are derivatives of the very same code.

use orcha_core::{ProtocolId, ResourceKind};
use serde::{Deserialize, Serialize};

use crate::model::{model_unit, ser_name, Allocation, GB_PER_GIB};
use crate::scenario::Prices;

/// Nano-dollars per US dollar: the ledger's integer base unit.
pub const NANO_USD_PER_USD: f64 = 1e9;

/// An amount of US dollars in the ledger's integer base units (1e-9 USD), rounded once per
/// minute and node so the world and the oracle add up exactly the same integers.
pub fn nano_usd(usd: f64) -> i64 {
    if usd.is_finite() {
        (usd * NANO_USD_PER_USD).round() as i64
    } else {
        0
    }
}

/// Integer nano-dollars as dollars, for display and scores only.
pub fn usd_of(nano: i64) -> f64 {
    nano as f64 / NANO_USD_PER_USD
}

/// Hours in the month Storj bills storage by (its `UsageAtRestTbM` divides byte-hours by 720).
pub const HOURS_PER_MONTH: f64 = 720.0;
/// GB a link of 1 Mbit/s carries in an hour (1e6 / 8 · 3600 / 1e9).
pub const GB_PER_MBPS_HOUR: f64 = 0.45;

/// Storj: paid per TB-month stored, per TB of customer egress and of repair/audit egress.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorjPay {
    /// USD per TB-month of data stored (published: $1.50).
    pub storage_usd_per_tb_month: f64,
    /// USD per TB of customer egress (published since Dec 2023: $2).
    pub egress_usd_per_tb: f64,
    /// USD per TB of repair and audit egress (published since Dec 2023: $2).
    pub repair_usd_per_tb: f64,
    /// GB of new data uploaded to the node per hour at demand 1 (assumption).
    pub ingress_gb_per_hour: f64,
    /// TB of customer egress per TB stored per month at demand 1 (assumption).
    pub egress_per_stored_month: f64,
    /// TB of repair/audit egress per TB stored per month, independent of demand (assumption).
    pub repair_per_stored_month: f64,
}

impl Default for StorjPay {
    fn default() -> Self {
        StorjPay {
            storage_usd_per_tb_month: 1.5,
            egress_usd_per_tb: 2.0,
            repair_usd_per_tb: 2.0,
            ingress_gb_per_hour: 2.0,
            egress_per_stored_month: 0.05,
            repair_per_stored_month: 0.01,
        }
    }
}

/// Golem: paid by requestors per CPU-second and environment-second of rented activities, plus a
/// start price per activity, at the prices of the provider's preset.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GolemPay {
    /// Preset CPU price, GLM per CPU-hour (golemsp default 0.025).
    pub cpu_glm_per_hour: f64,
    /// Preset environment (duration) price, GLM per hour of an activity (golemsp default 0.005).
    pub env_glm_per_hour: f64,
    /// Preset start price, GLM per activity (golemsp default 0).
    pub start_glm: f64,
    /// Threads requestors would rent at demand 1 while jobs arrive (assumption).
    pub demand_threads: f64,
    /// Share of a rented thread's time its CPU is busy (assumption).
    pub cpu_utilisation: f64,
    /// Memory a rented thread needs, GiB (assumption: typical task requirement).
    pub mem_gib_per_thread: f64,
    /// Scratch storage a rented thread needs, GiB (assumption).
    pub storage_gib_per_thread: f64,
}

impl Default for GolemPay {
    fn default() -> Self {
        GolemPay {
            cpu_glm_per_hour: 0.025,
            env_glm_per_hour: 0.005,
            start_glm: 0.0,
            demand_threads: 6.0,
            cpu_utilisation: 0.9,
            mem_gib_per_thread: 1.0,
            storage_gib_per_thread: 2.0,
        }
    }
}

/// Streamr: sponsorships pay staked operators pro rata to stake; the node must keep up with its
/// streams (CPU and bandwidth floor) or it misses payouts and fails inspections (slashing).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamrPay {
    /// DATA the operator has staked in sponsorships.
    pub stake_data: f64,
    /// Sponsorship payout per year as a fraction of stake, at demand 1 (cf. subgraph `spotAPY`).
    pub yield_per_year: f64,
    /// Protocol fee taken on withdrawal (code default 5 %).
    pub protocol_fee: f64,
    /// Threads the node needs to keep up with its assigned streams (assumption).
    pub min_cpu_threads: f64,
    /// Bandwidth the node needs at demand 1, Mbit/s; it scales with demand (assumption).
    pub min_bandwidth_mbps: f64,
    /// Minutes between inspections of the node by other operators (assumption).
    pub inspection_minutes: u64,
    /// Fraction of the stake slashed per failed inspection (docs 1 %, contract initializer 10 %).
    pub slashing_fraction: f64,
}

impl Default for StreamrPay {
    fn default() -> Self {
        StreamrPay {
            stake_data: 20_000.0,
            yield_per_year: 0.12,
            protocol_fee: 0.05,
            min_cpu_threads: 1.0,
            min_bandwidth_mbps: 10.0,
            inspection_minutes: 60,
            slashing_fraction: 0.01,
        }
    }
}

/// Grass: Uptime Points while connected with bandwidth available, Network Points for bandwidth
/// actually used (which requestors' traffic, not the allocation, limits).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrassPay {
    /// Uptime points per connected hour (assumption; not published).
    pub uptime_points_per_hour: f64,
    /// Bandwidth below which the device counts as not connected, Mbit/s (assumption).
    pub min_bandwidth_mbps: f64,
    /// Traffic the network routes through the device at demand 1, Mbit/s (assumption).
    pub traffic_mbps: f64,
    /// Network points per GB actually relayed (assumption; a fixed daily pool shared pro rata).
    pub network_points_per_gb: f64,
}

impl Default for GrassPay {
    fn default() -> Self {
        GrassPay {
            uptime_points_per_hour: 10.0,
            min_bandwidth_mbps: 1.0,
            traffic_mbps: 1.0,
            network_points_per_gb: 10.0,
        }
    }
}

/// What the operating system would measure of the simulated nodes that have no usage API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct OsUse {
    /// Golem's rented threads at their CPU utilisation (what its activities' CPU time shows).
    pub golem_cpu_threads: f64,
    /// Memory Golem's rented threads hold, GiB.
    pub golem_mem_gib: f64,
    pub streamr_cpu_threads: f64,
    pub streamr_up_mbps: f64,
    pub grass_up_mbps: f64,
}

/// The pay rules of all four networks (scenario section `[economics.<protocol>]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Economics {
    pub storj: StorjPay,
    pub golem: GolemPay,
    pub streamr: StreamrPay,
    pub grass: GrassPay,
}

/// What the market and the faults are at one minute, as the pay rules need it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Conditions {
    /// Effective demand per protocol (Golem 0 while no jobs arrive), `ProtocolId::ALL` order.
    pub demand: [f64; 4],
    /// Earnings factor per protocol: 0 offline or restarting, `1 − X/100` for an earnings drop.
    pub factor: [f64; 4],
    /// The Grass epoch's points multiplier.
    pub grass_epoch: f64,
    /// Data the Storj node stores and is paid for, GB.
    pub storj_used_gb: f64,
}

impl Economics {
    /// Storj USD/h per GB stored: storage, customer egress (demand-driven) and repair/audit.
    pub fn storj_usd_per_gb_hour(&self, demand: f64) -> f64 {
        let s = &self.storj;
        (s.storage_usd_per_tb_month
            + s.egress_per_stored_month * demand * s.egress_usd_per_tb
            + s.repair_per_stored_month * s.repair_usd_per_tb)
            / 1000.0
            / HOURS_PER_MONTH
    }

    /// Threads requestors rent: the least of what the profile offers and what demand asks for.
    pub fn golem_rented_threads(&self, demand: f64, a: &Allocation) -> f64 {
        let g = &self.golem;
        let by_mem = a.golem_mem_gib / g.mem_gib_per_thread.max(1e-9);
        let by_storage = a.golem_storage_gib / g.storage_gib_per_thread.max(1e-9);
        a.golem_cpu_threads
            .min(by_mem)
            .min(by_storage)
            .min(g.demand_threads * demand)
            .max(0.0)
    }

    /// GLM per hour one rented thread earns: CPU time, environment time, start price amortized
    /// over an activity's length.
    pub fn golem_glm_per_thread_hour(&self, job_hours: f64) -> f64 {
        let g = &self.golem;
        g.cpu_glm_per_hour * g.cpu_utilisation + g.env_glm_per_hour + g.start_glm / job_hours
    }

    /// Bandwidth Streamr needs at this demand, Mbit/s.
    pub fn streamr_bandwidth_floor(&self, demand: f64) -> f64 {
        self.streamr.min_bandwidth_mbps * demand
    }

    /// Whether the Streamr node keeps up with its streams (and so passes inspections).
    pub fn streamr_serving(&self, c: &Conditions, a: &Allocation) -> bool {
        let d = c.demand[2];
        c.factor[2] > 0.0
            && a.streamr_cpu_threads >= self.streamr.min_cpu_threads
            && a.streamr_bandwidth_mbps >= self.streamr_bandwidth_floor(d)
    }

    /// USD lost to one failed Streamr inspection.
    pub fn streamr_slash_usd(&self, prices: &Prices) -> f64 {
        self.streamr.stake_data * self.streamr.slashing_fraction * prices.data_usd
    }

    /// Grass GB relayed per hour: the allocation or the traffic on offer, whichever is smaller.
    pub fn grass_used_gb_hour(&self, demand: f64, a: &Allocation) -> f64 {
        a.grass_bandwidth_mbps
            .min(self.grass.traffic_mbps * demand)
            .max(0.0)
            * GB_PER_MBPS_HOUR
    }

    /// The node's true earnings rate in USD per hour under these conditions.
    pub fn rate_usd_per_hour(
        &self,
        prices: &Prices,
        p: ProtocolId,
        c: &Conditions,
        a: &Allocation,
        job_hours: f64,
    ) -> f64 {
        let (d, f) = match p {
            ProtocolId::Storj => (c.demand[0], c.factor[0]),
            ProtocolId::Golem => (c.demand[1], c.factor[1]),
            ProtocolId::Streamr => (c.demand[2], c.factor[2]),
            ProtocolId::Grass => (c.demand[3], c.factor[3]),
        };
        if f <= 0.0 {
            return 0.0;
        }
        let usd = match p {
            // Allocated but empty space earns nothing: only stored data is paid.
            ProtocolId::Storj => c.storj_used_gb.max(0.0) * self.storj_usd_per_gb_hour(d),
            ProtocolId::Golem => {
                self.golem_rented_threads(d, a)
                    * self.golem_glm_per_thread_hour(job_hours)
                    * prices.glm_usd
            }
            ProtocolId::Streamr => {
                if !self.streamr_serving(c, a) {
                    return 0.0;
                }
                let s = &self.streamr;
                s.stake_data * s.yield_per_year * d / (365.0 * 24.0)
                    * (1.0 - s.protocol_fee)
                    * prices.data_usd
            }
            ProtocolId::Grass => {
                let g = &self.grass;
                if a.grass_bandwidth_mbps < g.min_bandwidth_mbps {
                    return 0.0;
                }
                let points = g.uptime_points_per_hour * c.grass_epoch
                    + self.grass_used_gb_hour(d, a) * g.network_points_per_gb;
                points * prices.grass_usd_per_point
            }
        };
        usd * f
    }

    /// What an OS meter would read of the nodes (their processes' CPU and egress): Golem the CPU
    /// of its rented threads; Streamr uses what it needs to keep up with its streams, all it has when
    /// that is less; Grass relays the traffic on offer up to its allocation. Nothing while down.
    pub fn os_use(&self, c: &Conditions, a: &Allocation) -> OsUse {
        let up = |i: usize| c.factor[i] > 0.0;
        OsUse {
            golem_cpu_threads: if up(1) {
                self.golem_rented_threads(c.demand[1], a) * self.golem.cpu_utilisation
            } else {
                0.0
            },
            golem_mem_gib: if up(1) {
                self.golem_rented_threads(c.demand[1], a) * self.golem.mem_gib_per_thread
            } else {
                0.0
            },
            streamr_cpu_threads: if up(2) {
                a.streamr_cpu_threads
                    .min(self.streamr.min_cpu_threads)
                    .max(0.0)
            } else {
                0.0
            },
            streamr_up_mbps: if up(2) {
                a.streamr_bandwidth_mbps
                    .min(self.streamr_bandwidth_floor(c.demand[2]))
                    .max(0.0)
            } else {
                0.0
            },
            grass_up_mbps: if up(3) {
                self.grass_used_gb_hour(c.demand[3], a) / GB_PER_MBPS_HOUR
            } else {
                0.0
            },
        }
    }

    /// What one more unit of each resource earns per hour on each node at this operating point
    /// (the right-hand derivative of `rate_usd_per_hour`, with Storj disk valued as filled data
    /// when the allocation is what limits the node).
    pub fn marginal_values(
        &self,
        prices: &Prices,
        c: &Conditions,
        a: &Allocation,
        storj_allocated_gb: f64,
        job_hours: f64,
    ) -> Vec<MarginalValue> {
        let mut out = Vec::new();
        let (ds, dg, dst, dgr) = (c.demand[0], c.demand[1], c.demand[2], c.demand[3]);
        // Storj: a GB of allocation earns only once ingress fills it; if the node is not full,
        // more allocation changes nothing now.
        let full = c.storj_used_gb >= storj_allocated_gb;
        let per_gb = self.storj_usd_per_gb_hour(ds) * c.factor[0];
        out.push(MarginalValue::new(
            ProtocolId::Storj,
            ResourceKind::Disk,
            storj_allocated_gb,
            if full { per_gb } else { 0.0 },
        ));
        // Golem: only the binding one of CPU, memory and storage (below demand) adds rentals.
        let g = &self.golem;
        let per_thread = self.golem_glm_per_thread_hour(job_hours) * prices.glm_usd * c.factor[1];
        let limits = [
            a.golem_cpu_threads,
            a.golem_mem_gib / g.mem_gib_per_thread.max(1e-9),
            a.golem_storage_gib / g.storage_gib_per_thread.max(1e-9),
        ];
        let demand_cap = g.demand_threads * dg;
        let binding = |i: usize| {
            let v = limits[i];
            limits.iter().enumerate().all(|(j, w)| j == i || *w > v) && v < demand_cap
        };
        for (i, kind, per_unit) in [
            (0, ResourceKind::Cpu, 1.0),
            (
                1,
                ResourceKind::Memory,
                1.0 / g.mem_gib_per_thread.max(1e-9),
            ),
            (
                2,
                ResourceKind::Disk,
                1.0 / (g.storage_gib_per_thread.max(1e-9) * GB_PER_GIB),
            ),
        ] {
            let v = if binding(i) {
                per_thread * per_unit
            } else {
                0.0
            };
            out.push(MarginalValue::new(
                ProtocolId::Golem,
                kind,
                a.get(ProtocolId::Golem, kind),
                v,
            ));
        }
        // Streamr: nothing above the floors; below them the step to the floor is reported.
        let floor_bw = self.streamr_bandwidth_floor(dst);
        let mut cpu = MarginalValue::new(
            ProtocolId::Streamr,
            ResourceKind::Cpu,
            a.streamr_cpu_threads,
            0.0,
        );
        cpu.threshold = Some(self.streamr.min_cpu_threads);
        let mut bw = MarginalValue::new(
            ProtocolId::Streamr,
            ResourceKind::Bandwidth,
            a.streamr_bandwidth_mbps,
            0.0,
        );
        bw.threshold = Some(floor_bw);
        out.push(cpu);
        out.push(bw);
        // Grass: bandwidth pays until the traffic on offer is carried, above the connect floor.
        let traffic = self.grass.traffic_mbps * dgr;
        let grass_per_mbps = if a.grass_bandwidth_mbps >= self.grass.min_bandwidth_mbps
            && a.grass_bandwidth_mbps < traffic
        {
            GB_PER_MBPS_HOUR
                * self.grass.network_points_per_gb
                * prices.grass_usd_per_point
                * c.factor[3]
        } else {
            0.0
        };
        let mut gr = MarginalValue::new(
            ProtocolId::Grass,
            ResourceKind::Bandwidth,
            a.grass_bandwidth_mbps,
            grass_per_mbps,
        );
        gr.threshold = Some(self.grass.min_bandwidth_mbps);
        gr.saturation = Some(traffic);
        out.push(gr);
        out
    }
}

/// What one more unit of one resource earns per hour on one node, now.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MarginalValue {
    #[serde(serialize_with = "ser_name")]
    pub protocol: ProtocolId,
    #[serde(serialize_with = "ser_name")]
    pub resource: ResourceKind,
    /// The unit of `current` and of "per unit" (threads, GiB, GB, Mbit/s).
    pub unit: &'static str,
    /// The node's allocation of this resource now.
    pub current: f64,
    /// US dollars per hour that one more unit earns at the current operating point.
    pub usd_per_hour_per_unit: f64,
    /// Below this amount the node earns nothing (Streamr: and is slashed at inspections).
    pub threshold: Option<f64>,
    /// Above this amount more earns nothing (demand-limited).
    pub saturation: Option<f64>,
}

impl MarginalValue {
    fn new(protocol: ProtocolId, resource: ResourceKind, current: f64, v: f64) -> Self {
        MarginalValue {
            protocol,
            resource,
            unit: model_unit(resource),
            current,
            usd_per_hour_per_unit: v,
            threshold: None,
            saturation: None,
        }
    }
}
