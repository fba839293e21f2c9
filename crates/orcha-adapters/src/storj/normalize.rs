//! Storj normalization: wire payloads checked and converted into readings, `Malformed` naming the JSON path.

use orcha_core::{AdapterError, Money, Token};

use super::model::{
    micro, AuditScores, Dashboard, DiskSpace, EstimatedPayout, HeldHistoryEntry,
    PayoutHistoryEntry, PayoutMonth, Paystub, PriceModel, SatelliteDetail, SatelliteStatus,
    Satellites,
};
use super::units::{ABSURD_BYTES, ABSURD_CENTS, ABSURD_MICRO_USD};
use super::wire::{
    RawAudits, RawDashboard, RawEstimatedPayout, RawHeldHistory, RawPayoutHistory, RawPayoutMonth,
    RawPaystub, RawSatellite, RawSatellites,
};
use crate::probe::float_to_decimal;

pub(super) struct Check<'a> {
    pub(super) endpoint: &'a str,
}

impl Check<'_> {
    pub(super) fn bad(&self, field: &str, why: String) -> AdapterError {
        AdapterError::Malformed {
            endpoint: self.endpoint.to_owned(),
            what: format!("field `{field}`: {why}"),
        }
    }

    pub(super) fn bytes(&self, field: &str, v: u64) -> Result<u64, AdapterError> {
        if v > ABSURD_BYTES {
            return Err(self.bad(field, format!("{v} bytes is not plausible")));
        }
        Ok(v)
    }

    pub(super) fn float_bytes(&self, field: &str, v: f64) -> Result<f64, AdapterError> {
        if !v.is_finite() || v < 0.0 || v > ABSURD_BYTES as f64 * 1e4 {
            return Err(self.bad(field, format!("{v} is not a plausible amount of bytes")));
        }
        Ok(v)
    }

    pub(super) fn score(&self, field: &str, v: f64) -> Result<f64, AdapterError> {
        if !(0.0..=1.0).contains(&v) {
            return Err(self.bad(field, format!("score {v} is outside 0..1")));
        }
        Ok(v)
    }

    pub(super) fn percent(&self, field: &str, v: f64) -> Result<f64, AdapterError> {
        if !(0.0..=100.0).contains(&v) {
            return Err(self.bad(field, format!("{v} is not a percentage")));
        }
        Ok(v)
    }

    /// A float in cents with 2 decimal places, as the node computes payouts.
    pub(super) fn cents(&self, field: &str, v: f64) -> Result<Money, AdapterError> {
        if !v.is_finite() || !(0.0..ABSURD_CENTS).contains(&v) {
            return Err(self.bad(field, format!("{v} cents is not a plausible payout")));
        }
        let text = float_to_decimal(v, 2)
            .ok_or_else(|| self.bad(field, format!("{v} is not a number")))?;
        // Cents with 2 places are dollars with 4: 164.49 cents = 1.6449 USD.
        let m = Money::parse_decimal(&text, Token::Usd, 2)
            .map_err(|e| self.bad(field, e.to_string()))?;
        Ok(Money::new(Token::Usd, m.amount, 4))
    }

    pub(super) fn micro(&self, field: &str, v: i64) -> Result<Money, AdapterError> {
        if !(0..=ABSURD_MICRO_USD).contains(&v) {
            return Err(self.bad(field, format!("{v} micro-USD is not a plausible amount")));
        }
        Ok(micro(v))
    }

    pub(super) fn whole_cents(&self, field: &str, v: i64) -> Result<Money, AdapterError> {
        if !(0..=ABSURD_CENTS as i64).contains(&v) {
            return Err(self.bad(field, format!("{v} cents is not a plausible amount")));
        }
        Ok(Money::new(Token::Usd, i128::from(v), 2))
    }

    pub(super) fn count(&self, field: &str, v: i64) -> Result<i64, AdapterError> {
        if v < 0 || v as u64 > ABSURD_BYTES {
            return Err(self.bad(field, format!("{v} is not a plausible count")));
        }
        Ok(v)
    }

    pub(super) fn period(&self, field: &str, p: &str) -> Result<(), AdapterError> {
        let b = p.as_bytes();
        let ok = b.len() == 7
            && b[4] == b'-'
            && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
            && matches!(p[5..].parse::<u8>(), Ok(1..=12));
        if ok {
            Ok(())
        } else {
            Err(self.bad(field, format!("`{p}` is not a YYYY-MM period")))
        }
    }
}

pub(super) fn normalize_dashboard(
    endpoint: &str,
    raw: RawDashboard,
) -> Result<Dashboard, AdapterError> {
    let c = Check { endpoint };
    let d = &raw.disk_space;
    c.bytes("diskSpace.used", d.used)?;
    c.bytes("diskSpace.available", d.available)?;
    c.bytes("diskSpace.trash", d.trash)?;
    c.bytes("diskSpace.overused", d.overused)?;
    let disk = match d.allocated {
        // v1.143+: `used` already includes trash and `available` is what is left.
        Some(allocated) => DiskSpace {
            shape: "allocated",
            allocated_bytes: c.bytes("diskSpace.allocated", allocated)?,
            used_bytes: d.used,
            trash_bytes: d.trash,
            free_bytes: d.available,
            overused_bytes: d.overused,
            reclaimable_bytes: d
                .reclaimable
                .map(|r| c.bytes("diskSpace.reclaimable", r))
                .transpose()?,
        },
        // Before v1.143 `available` is the allocation itself and `used` excludes trash.
        None => {
            let used = d.used + d.trash;
            DiskSpace {
                shape: "legacy",
                allocated_bytes: d.available,
                used_bytes: used,
                trash_bytes: d.trash,
                free_bytes: d.available.saturating_sub(used),
                overused_bytes: d.overused,
                reclaimable_bytes: None,
            }
        }
    };
    let satellites = raw
        .satellites
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let used = s
                .current_storage_used
                .map(|u| c.bytes(&format!("satellites[{i}].currentStorageUsed"), u))
                .transpose()?;
            Ok(SatelliteStatus {
                id: s.id,
                url: s.url,
                disqualified_at: s.disqualified,
                suspended_at: s.suspended,
                vetted: s.vetted_at.map(|v| v.is_some()),
                vetted_at: s.vetted_at.flatten(),
                current_storage_used_bytes: used,
            })
        })
        .collect::<Result<Vec<_>, AdapterError>>()?;
    let bandwidth = raw
        .bandwidth
        .map(|b| c.bytes("bandwidth.used", b.used))
        .transpose()?;
    Ok(Dashboard {
        node_id: raw.node_id,
        wallet: raw.wallet,
        wallet_features: raw.wallet_features.unwrap_or_default(),
        version: raw.version,
        allowed_version: raw.allowed_version,
        up_to_date: raw.up_to_date,
        quic_status: raw.quic_status,
        configured_port: raw.configured_port,
        last_pinged: raw.last_pinged,
        started_at: raw.started_at,
        last_quic_pinged_at: raw.last_quic_pinged_at,
        disk,
        bandwidth_used_month_bytes: bandwidth,
        satellites,
    })
}

pub(super) fn normalize_audits(
    c: &Check<'_>,
    prefix: &str,
    a: RawAudits,
) -> Result<AuditScores, AdapterError> {
    Ok(AuditScores {
        audit_score: c.score(&format!("{prefix}.auditScore"), a.audit_score)?,
        suspension_score: c.score(&format!("{prefix}.suspensionScore"), a.suspension_score)?,
        online_score: c.score(&format!("{prefix}.onlineScore"), a.online_score)?,
        satellite_name: a.satellite_name,
    })
}

pub(super) fn normalize_satellites(
    endpoint: &str,
    raw: RawSatellites,
) -> Result<Satellites, AdapterError> {
    let c = Check { endpoint };
    let audits = raw
        .audits
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, a)| normalize_audits(&c, &format!("audits[{i}]"), a))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Satellites {
        storage_days: raw.storage_daily.map_or(0, |v| v.len()),
        bandwidth_days: raw.bandwidth_daily.map_or(0, |v| v.len()),
        storage_summary_byte_hours: c.float_bytes("storageSummary", raw.storage_summary)?,
        average_usage_bytes: raw
            .average_usage_bytes
            .map(|v| c.float_bytes("averageUsageBytes", v))
            .transpose()?,
        bandwidth_summary_bytes: c.bytes("bandwidthSummary", raw.bandwidth_summary)?,
        egress_summary_bytes: c.bytes("egressSummary", raw.egress_summary)?,
        ingress_summary_bytes: c.bytes("ingressSummary", raw.ingress_summary)?,
        earliest_joined_at: raw.earliest_joined_at,
        audits,
    })
}

pub(super) fn normalize_satellite(
    endpoint: &str,
    raw: RawSatellite,
) -> Result<SatelliteDetail, AdapterError> {
    let c = Check { endpoint };
    let price_model = raw
        .price_model
        .map(|p| -> Result<PriceModel, AdapterError> {
            Ok(PriceModel {
                egress_per_tb: c.whole_cents("priceModel.EgressBandwidth", p.egress_bandwidth)?,
                repair_per_tb: c.whole_cents("priceModel.RepairBandwidth", p.repair_bandwidth)?,
                audit_per_tb: c.whole_cents("priceModel.AuditBandwidth", p.audit_bandwidth)?,
                disk_per_tb_month: c.whole_cents("priceModel.DiskSpace", p.disk_space)?,
            })
        })
        .transpose()?;
    let (history_score, windows) = match raw.audit_history {
        Some(h) => (
            Some(c.score("auditHistory.score", h.score)?),
            h.windows.map_or(0, |w| w.len()),
        ),
        None => (None, 0),
    };
    Ok(SatelliteDetail {
        id: raw.id,
        storage_days: raw.storage_daily.map_or(0, |v| v.len()),
        storage_summary_byte_hours: c.float_bytes("storageSummary", raw.storage_summary)?,
        average_usage_bytes: raw
            .average_usage_bytes
            .map(|v| c.float_bytes("averageUsageBytes", v))
            .transpose()?,
        bandwidth_summary_bytes: c.bytes("bandwidthSummary", raw.bandwidth_summary)?,
        egress_summary_bytes: c.bytes("egressSummary", raw.egress_summary)?,
        ingress_summary_bytes: c.bytes("ingressSummary", raw.ingress_summary)?,
        current_storage_used_bytes: raw
            .current_storage_used
            .map(|v| c.bytes("currentStorageUsed", v))
            .transpose()?,
        audits: normalize_audits(&c, "audits", raw.audits)?,
        audit_history_score: history_score,
        audit_history_windows: windows,
        price_model,
        node_joined_at: raw.node_joined_at,
        vetted: raw.vetted_at.map(|v| v.is_some()),
        vetted_at: raw.vetted_at.flatten(),
    })
}

pub(super) fn normalize_month(
    c: &Check<'_>,
    p: &str,
    m: RawPayoutMonth,
) -> Result<PayoutMonth, AdapterError> {
    Ok(PayoutMonth {
        egress_bytes: c.bytes(&format!("{p}.egressBandwidth"), m.egress_bandwidth)?,
        egress_payout: c.cents(
            &format!("{p}.egressBandwidthPayout"),
            m.egress_bandwidth_payout,
        )?,
        repair_audit_bytes: c.bytes(&format!("{p}.egressRepairAudit"), m.egress_repair_audit)?,
        repair_audit_payout: c.cents(
            &format!("{p}.egressRepairAuditPayout"),
            m.egress_repair_audit_payout,
        )?,
        disk_byte_months: c.float_bytes(&format!("{p}.diskSpace"), m.disk_space)?,
        disk_payout: c.cents(&format!("{p}.diskSpacePayout"), m.disk_space_payout)?,
        held_rate_percent: c.percent(&format!("{p}.heldRate"), m.held_rate)?,
        payout: c.cents(&format!("{p}.payout"), m.payout)?,
        held: c.cents(&format!("{p}.held"), m.held)?,
    })
}

pub(super) fn normalize_estimated(
    endpoint: &str,
    raw: RawEstimatedPayout,
) -> Result<EstimatedPayout, AdapterError> {
    let c = Check { endpoint };
    Ok(EstimatedPayout {
        current_month: normalize_month(&c, "currentMonth", raw.current_month)?,
        previous_month: normalize_month(&c, "previousMonth", raw.previous_month)?,
        current_month_expectations: c
            .whole_cents("currentMonthExpectations", raw.current_month_expectations)?,
    })
}

pub(super) fn normalize_paystub(
    c: &Check<'_>,
    i: usize,
    p: RawPaystub,
) -> Result<Paystub, AdapterError> {
    let f = |name: &str| format!("[{i}].{name}");
    c.period(&f("period"), &p.period)?;
    Ok(Paystub {
        usage_at_rest_byte_months: c.float_bytes(&f("usageAtRest"), p.usage_at_rest)?,
        usage_get_bytes: c.count(&f("usageGet"), p.usage_get)?,
        usage_put_bytes: c.count(&f("usagePut"), p.usage_put)?,
        usage_get_repair_bytes: c.count(&f("usageGetRepair"), p.usage_get_repair)?,
        usage_put_repair_bytes: c.count(&f("usagePutRepair"), p.usage_put_repair)?,
        usage_get_audit_bytes: c.count(&f("usageGetAudit"), p.usage_get_audit)?,
        comp_at_rest: c.micro(&f("compAtRest"), p.comp_at_rest)?,
        comp_get: c.micro(&f("compGet"), p.comp_get)?,
        comp_put: c.micro(&f("compPut"), p.comp_put)?,
        comp_get_repair: c.micro(&f("compGetRepair"), p.comp_get_repair)?,
        comp_put_repair: c.micro(&f("compPutRepair"), p.comp_put_repair)?,
        comp_get_audit: c.micro(&f("compGetAudit"), p.comp_get_audit)?,
        surge_percent: c.count(&f("surgePercent"), p.surge_percent)?,
        held: c.micro(&f("held"), p.held)?,
        owed: c.micro(&f("owed"), p.owed)?,
        disposed: c.micro(&f("disposed"), p.disposed)?,
        paid: c.micro(&f("paid"), p.paid)?,
        distributed: c.micro(&f("distributed"), p.distributed)?,
        satellite_id: p.satellite_id,
        period: p.period,
    })
}

pub(super) fn normalize_payout_history(
    c: &Check<'_>,
    i: usize,
    p: RawPayoutHistory,
) -> Result<PayoutHistoryEntry, AdapterError> {
    let f = |name: &str| format!("[{i}].{name}");
    Ok(PayoutHistoryEntry {
        age_months: c.count(&f("age"), p.age)?,
        earned: c.micro(&f("earned"), p.earned)?,
        surge: c.micro(&f("surge"), p.surge)?,
        surge_percent: c.count(&f("surgePercent"), p.surge_percent)?,
        held: c.micro(&f("held"), p.held)?,
        held_percent: c.percent(&f("heldPercent"), p.held_percent)?,
        after_held: c.micro(&f("afterHeld"), p.after_held)?,
        disposed: c.micro(&f("disposed"), p.disposed)?,
        paid: c.micro(&f("paid"), p.paid)?,
        distributed: c.micro(&f("distributed"), p.distributed)?,
        receipt: p.receipt.filter(|r| !r.is_empty()),
        is_exit_complete: p.is_exit_complete,
        satellite_id: p.satellite_id,
        satellite_url: p.satellite_url,
    })
}

pub(super) fn normalize_held(
    c: &Check<'_>,
    i: usize,
    h: RawHeldHistory,
) -> Result<HeldHistoryEntry, AdapterError> {
    let f = |name: &str| format!("[{i}].{name}");
    if h.total_disposed > h.total_held {
        return Err(c.bad(
            &f("totalDisposed"),
            format!("{} exceeds totalHeld {}", h.total_disposed, h.total_held),
        ));
    }
    Ok(HeldHistoryEntry {
        held_first_period: c.micro(&f("holdForFirstPeriod"), h.hold_for_first_period)?,
        held_second_period: c.micro(&f("holdForSecondPeriod"), h.hold_for_second_period)?,
        held_third_period: c.micro(&f("holdForThirdPeriod"), h.hold_for_third_period)?,
        total_held: c.micro(&f("totalHeld"), h.total_held)?,
        total_disposed: c.micro(&f("totalDisposed"), h.total_disposed)?,
        still_held: micro(h.total_held - h.total_disposed),
        joined_at: h.joined_at,
        satellite_id: h.satellite_id,
        satellite_name: h.satellite_name,
    })
}
