//! How each node's state moves in one simulated minute: storage and payouts, jobs and invoices,
//! traffic, epochs. Kept apart from `World`'s plumbing because these follow the protocols.

use std::collections::VecDeque;

use chrono::{DateTime, Datelike, Duration, Utc};
use orcha_core::ProtocolId;

use super::*;

impl World {
    pub(super) fn tick_storj(&mut self, m: u64, now: DateTime<Utc>, usd: f64, up: bool) {
        let s = &mut self.storj;
        // The online score is a 30-day moving average of being reachable.
        let window = 30.0 * 1440.0;
        s.online_score += ((if up { 1.0 } else { 0.0 }) - s.online_score) / window;
        if up {
            s.last_pinged = now;
        }
        let demand = self.market.demand(ProtocolId::Storj, m);
        let ingress = if up && s.used_bytes < s.allocated_bytes {
            2.0e9 / 60.0 * demand
        } else {
            0.0
        };
        let filling = self.faults.disk_filling_gb_per_hour(ProtocolId::Storj, m) * 1e9 / 60.0;
        s.used_bytes += ingress + filling;
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
        let cents = usd * 100.0;
        let (fs, fe, fr) = STORJ_SPLIT;
        let egress_bytes = cents * fe / STORJ_PRICE_EGRESS * 1e12;
        let repair_bytes = cents * fr / STORJ_PRICE_REPAIR * 1e12;
        let byte_hours = cents * fs / STORJ_PRICE_DISK * 1e12 * 720.0;
        if let Some(d) = s.days.last_mut() {
            d.at_rest_byte_hours += byte_hours;
            d.egress_usage += egress_bytes;
            d.egress_repair += repair_bytes * 0.99;
            d.egress_audit += repair_bytes * 0.01;
            d.ingress_usage += ingress;
            d.ingress_repair += ingress * 0.2;
        }
        if let Some(mo) = s.months.last_mut() {
            mo.storage_cents += cents * fs;
            mo.egress_cents += cents * fe;
            mo.repair_audit_cents += cents * fr;
            mo.egress_bytes += egress_bytes;
            mo.repair_audit_bytes += repair_bytes;
            mo.byte_hours += byte_hours;
            mo.ingress_bytes += ingress * 1.2;
        }
    }

    pub(super) fn tick_golem(&mut self, m: u64, now: DateTime<Utc>, usd: f64, up: bool) {
        let jobs = up && self.alloc.golem_cpu_threads > 0.0 && self.market.golem_jobs_arrive(m);
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
            let d = self.market.demand(ProtocolId::Golem, m);
            let theta = self.scenario.market.golem_job_threshold.max(1e-9);
            let threads = self.alloc.golem_cpu_threads.max(1.0);
            let n = (threads * (d / (2.0 * theta)).min(1.0))
                .round()
                .clamp(1.0, threads) as usize;
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

    pub(super) fn tick_streamr(&mut self, m: u64, usd: f64, up: bool) {
        if !up {
            return;
        }
        let d = self.market.demand(ProtocolId::Streamr, m);
        let bw = self.alloc.streamr_bandwidth_mbps;
        let s = &mut self.streamr;
        // Traffic uses about a fifth of the granted bandwidth at demand 1.
        let bytes = bw * 1e6 / 8.0 * 60.0 * 0.2 * d.min(5.0);
        s.bytes_sent += bytes;
        s.bytes_received += bytes * 0.5;
        s.messages_sent += bytes / 1000.0;
        s.messages_received += bytes / 2000.0;
        s.messages_propagated += bytes / 1000.0;
        s.earnings_data += self.scenario.usd_to_token(ProtocolId::Streamr, usd);
    }

    pub(super) fn tick_grass(&mut self, m: u64, now: DateTime<Utc>, usd: f64, up: bool) {
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
        let _ = now;
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

/// The Golem earnings lost by a profile change at minute `m` away from `prev`.
///
/// `loss = L/60 · rate_golem(m, prev) · f(m)` when jobs arrive at `m`, else 0; the oracle uses
/// the same function so the world and the oracle charge identical switching costs.
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
    let factor = faults.earnings_factor(ProtocolId::Golem, m);
    scenario.costs.golem_job_loss_minutes / 60.0
        * market.rate_usd_per_hour(ProtocolId::Golem, m, prev)
        * factor
}

pub(super) fn push_finished(list: &mut VecDeque<Activity>, a: Activity) {
    list.push_back(a);
    while list.len() > 200 {
        list.pop_front();
    }
}
