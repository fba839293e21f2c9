//! How each node's state moves in one simulated minute: storage and payouts, jobs and invoices,
//! traffic, epochs. Kept apart from `World`'s plumbing because these follow the protocols.

use std::collections::VecDeque;

use chrono::{DateTime, Datelike, Duration, Utc};
use orcha_core::ProtocolId;

use super::*;
use crate::economics::StorjPay;

impl World {
    pub(super) fn tick_storj(&mut self, m: u64, now: DateTime<Utc>, c: &Conditions) {
        let eco = self.scenario.economics.storj;
        let (d, f) = (c.demand[0], c.factor[0]);
        let up = f > 0.0;
        let s = &mut self.storj;
        // The online score is a 30-day moving average of being reachable.
        let window = 30.0 * 1440.0;
        s.online_score += ((if up { 1.0 } else { 0.0 }) - s.online_score) / window;
        if up {
            s.last_pinged = now;
        }
        // Satellites upload new pieces while the node is up and has free allocated space; the
        // used space stops at the allocation (a shrink below it deletes nothing).
        let ingress = storj_ingress_bytes(&eco, d, up, s.used_bytes, s.allocated_bytes);
        s.used_bytes += ingress;
        s.filler_bytes += self.faults.disk_filling_gb_per_hour(ProtocolId::Storj, m) * 1e9 / 60.0;
        let date = now.date_naive();
        if s.days.last().is_none_or(|d| d.date != date) {
            s.days.push(StorjDay {
                date,
                ..StorjDay::default()
            });
            // Keep two months of days: enough for "month to date" after any month boundary.
            if s.days.len() > 62 {
                s.days.remove(0);
            }
        }
        let (year, month) = (now.year(), now.month());
        if s.months
            .last()
            .is_none_or(|mo| (mo.year, mo.month) != (year, month))
        {
            s.months.push(StorjMonth {
                year,
                month,
                ..StorjMonth::default()
            });
        }
        // The paid traffic of this minute, from the data stored at its start (as the rate).
        let stored_bytes = c.storj_used_gb * 1e9;
        let per_minute = f / (crate::economics::HOURS_PER_MONTH * 60.0);
        let egress_bytes = stored_bytes * eco.egress_per_stored_month * d * per_minute;
        let repair_bytes = stored_bytes * eco.repair_per_stored_month * per_minute;
        let byte_hours = stored_bytes * f / 60.0;
        let cents = |bytes: f64, usd_per_tb: f64| bytes / 1e12 * usd_per_tb * 100.0;
        if let Some(day) = s.days.last_mut() {
            day.at_rest_byte_hours += byte_hours;
            day.egress_usage += egress_bytes;
            day.egress_repair += repair_bytes * 0.99;
            day.egress_audit += repair_bytes * 0.01;
            day.ingress_usage += ingress;
            day.ingress_repair += ingress * 0.2;
        }
        if let Some(mo) = s.months.last_mut() {
            mo.storage_cents += cents(
                byte_hours / crate::economics::HOURS_PER_MONTH,
                eco.storage_usd_per_tb_month,
            );
            mo.egress_cents += cents(egress_bytes, eco.egress_usd_per_tb);
            mo.repair_audit_cents += cents(repair_bytes, eco.repair_usd_per_tb);
            mo.egress_bytes += egress_bytes;
            mo.repair_audit_bytes += repair_bytes;
            mo.byte_hours += byte_hours;
            mo.ingress_bytes += ingress * 1.2;
        }
    }

    pub(super) fn tick_golem(&mut self, m: u64, now: DateTime<Utc>, usd: f64, c: &Conditions) {
        let eco = &self.scenario.economics;
        let rented = eco.golem_rented_threads(c.demand[1], &self.alloc);
        let jobs = c.factor[1] > 0.0 && rented > 0.0;
        // Finish activities that ran their course, or whose jobs stopped arriving.
        let mut i = 0;
        while i < self.golem.running.len() {
            let done = !jobs || m >= self.golem.running[i].start_minute + JOB_MINUTES;
            if done {
                let mut a = self.golem.running.swap_remove(i);
                a.state = "Terminated";
                a.reason = Some("Agreement terminated".into());
                self.golem.terminated_total += 1;
                self.golem.last_activity = Some(now);
                if a.usd > 0.0 {
                    let glm = self.scenario.usd_to_token(ProtocolId::Golem, a.usd);
                    let id = self.random_uuid();
                    self.golem.invoices.push(Invoice {
                        id,
                        agreement_id: a.agreement_id.clone(),
                        activity_ids: vec![a.id.clone()],
                        amount: format_units(to_units(glm, 18), 18),
                        amount_glm: glm,
                        created: now,
                        created_minute: m,
                        status: "ISSUED",
                    });
                }
                push_finished(&mut self.golem.finished, a);
            } else {
                i += 1;
            }
        }
        if jobs && self.golem.running.is_empty() {
            // One single-threaded activity per rented thread (demand-limited).
            let threads = self.alloc.golem_cpu_threads.max(1.0);
            let n = rented.round().clamp(1.0, threads) as usize;
            for _ in 0..n {
                let id = self.random_hex(64);
                let agreement_id = self.random_hex(64);
                self.golem.agreements.push(Agreement {
                    id: agreement_id.clone(),
                    timestamp: now,
                    approved: now + Duration::milliseconds(1250),
                });
                self.golem.running.push(Activity {
                    id,
                    agreement_id,
                    start_minute: m,
                    usd: 0.0,
                    cpu_sec: 0.0,
                    duration_sec: 0.0,
                    state: "Ready",
                    reason: None,
                });
                self.golem.created_total += 1;
            }
            self.golem.last_activity = Some(now);
        }
        let n = self.golem.running.len();
        if n > 0 {
            let share = usd / n as f64;
            for a in &mut self.golem.running {
                a.usd += share;
                a.duration_sec += 60.0;
                a.cpu_sec += 60.0 * 0.9;
            }
        }
        // Invoices move ISSUED -> ACCEPTED -> SETTLED, and settling creates a payment.
        let mut k = self.golem.first_open_invoice;
        while k < self.golem.invoices.len() {
            let inv = &self.golem.invoices[k];
            let age = m.saturating_sub(inv.created_minute);
            if inv.status == "ISSUED" && age >= INVOICE_ACCEPT_MINUTES {
                self.golem.invoices[k].status = "ACCEPTED";
            } else if inv.status == "ACCEPTED" && age >= INVOICE_SETTLE_MINUTES {
                let (agreement_id, amount, glm) =
                    (inv.agreement_id.clone(), inv.amount.clone(), inv.amount_glm);
                self.golem.invoices[k].status = "SETTLED";
                let id = self.random_uuid();
                self.golem.payments.push(Payment {
                    id,
                    agreement_id,
                    amount,
                    timestamp: now,
                });
                self.golem.received_glm += glm;
            }
            k += 1;
        }
        while self.golem.first_open_invoice < self.golem.invoices.len()
            && self.golem.invoices[self.golem.first_open_invoice].status == "SETTLED"
        {
            self.golem.first_open_invoice += 1;
        }
    }

    pub(super) fn tick_streamr(&mut self, c: &Conditions, usd: f64) {
        let eco = &self.scenario.economics;
        if !eco.streamr_serving(c, &self.alloc) {
            self.streamr.missed_minutes += 1;
        }
        if c.factor[2] <= 0.0 {
            return;
        }
        let d = c.demand[2];
        // The node relays its streams' traffic, at most what its bandwidth lets through.
        let mbps = self
            .alloc
            .streamr_bandwidth_mbps
            .min(eco.streamr_bandwidth_floor(d));
        let s = &mut self.streamr;
        let bytes = mbps * 1e6 / 8.0 * 60.0;
        s.bytes_sent += bytes;
        s.bytes_received += bytes * 0.5;
        s.messages_sent += bytes / 1000.0;
        s.messages_received += bytes / 2000.0;
        s.messages_propagated += bytes / 1000.0;
        s.earnings_data += self.scenario.usd_to_token(ProtocolId::Streamr, usd);
    }

    pub(super) fn tick_grass(&mut self, m: u64, usd: f64, up: bool) {
        let epoch = self.market.grass_epoch(m);
        let hours = self.scenario.market.grass_epoch_hours.max(1);
        if self.grass.epochs.last().is_none_or(|e| e.index != epoch) {
            // Points of an epoch are settled (show in totalPoints) only once the epoch ends.
            if let Some(prev) = self.grass.epochs.last() {
                self.grass.settled_points += prev.points;
            }
            let start = self.time_of(epoch * hours * 60);
            self.grass.epochs.push(GrassEpoch {
                index: epoch,
                start,
                end: start + Duration::hours(i64::try_from(hours).unwrap_or(1))
                    - Duration::seconds(1),
                points: 0.0,
                uptime_s: 0.0,
            });
        }
        if up {
            self.grass.total_uptime_s += 60.0;
        }
        let points = self.scenario.usd_to_token(ProtocolId::Grass, usd);
        if let Some(e) = self.grass.epochs.last_mut() {
            e.points += points;
            if up {
                e.uptime_s += 60.0;
            }
        }
    }
}

/// Bytes Storj ingress adds in one minute: demand-driven, only while up, never past the
/// allocation. The oracle fills its Storj paths with the same function.
pub fn storj_ingress_bytes(
    eco: &StorjPay,
    demand: f64,
    up: bool,
    used: f64,
    allocated: f64,
) -> f64 {
    if !up || used >= allocated {
        return 0.0;
    }
    (eco.ingress_gb_per_hour * demand * 1e9 / 60.0).min(allocated - used)
}

/// The Golem earnings lost by a profile change at minute `m` away from `prev`.
///
/// `loss = L/60 · rate_golem(m, prev)` (the running activities are terminated uninvoiced) when
/// jobs arrive at `m`, else 0; the oracle uses the same function so the world and the oracle
/// charge identical switching costs.
pub fn golem_switch_loss(
    market: &mut Market,
    faults: &FaultBook,
    scenario: &Scenario,
    m: u64,
    prev: &Allocation,
) -> f64 {
    if prev.golem_cpu_threads <= 0.0 || !market.golem_jobs_arrive(m) {
        return 0.0;
    }
    let c = Conditions {
        demand: market.demands(m),
        factor: [0.0, faults.earnings_factor(ProtocolId::Golem, m), 0.0, 0.0],
        ..Conditions::default()
    };
    let rate = scenario.economics.rate_usd_per_hour(
        &scenario.prices,
        ProtocolId::Golem,
        &c,
        prev,
        JOB_HOURS,
    );
    scenario.costs.golem_job_loss_minutes / 60.0 * rate
}

pub(super) fn push_finished(list: &mut VecDeque<Activity>, a: Activity) {
    list.push_back(a);
    while list.len() > 200 {
        list.pop_front();
    }
}
