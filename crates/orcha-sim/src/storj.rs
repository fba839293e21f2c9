//! The Storj storagenode dashboard API (`/api/sno/…`, `/api/heldamount/…`) in the shapes of
//! v1.162 (current), v1.71.2 and v1.37.1, with values from the world.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde_json::{json, Value};

use crate::faults::StorjShape;
use crate::serve::{json_error, Shared};
use crate::world::{StorjMonth, World};

pub const NODE_ID: &str = "1Xf5b3xHn1ajoNRpJJJd3RebWUgZ58BVqNxKPAH2g1snSAEyNt";

/// A satellite and the share of the node's traffic and data it holds.
struct Satellite {
    id: &'static str,
    url: &'static str,
    weight: f64,
}

const CURRENT_SATELLITES: [Satellite; 4] = [
    Satellite {
        id: "12EayRS2V1kEsWESU9QMRseFhdxYxKicsiFmxrsLZHeLUtdps3S",
        url: "us1.storj.io:7777",
        weight: 0.4,
    },
    Satellite {
        id: "12L9ZFwhzVpuEKMUNUqkaTLGzwY9G24tbiigLiXpmZWKwmcNDDs",
        url: "eu1.storj.io:7777",
        weight: 0.3,
    },
    Satellite {
        id: "121RTSDpyNZVcEU84Ticf2L1ntiuUimbWgfATz21tuvgk3vzoA6",
        url: "ap1.storj.io:7777",
        weight: 0.2,
    },
    Satellite {
        id: "1wFTAgs9DP5RSnCqKV1eLf6N9wtk4EAtmN5DpSxcs8EjT69tGE",
        url: "saltlake.tardigrade.io:7777",
        weight: 0.1,
    },
];

const OLD_SATELLITES: [Satellite; 6] = [
    Satellite {
        id: "12tRQrMTWUWwzwGh18i7Fqs67kmdhH9t6aToeiwbo5mfS2rUmo",
        url: "us2.storj.io:7777",
        weight: 0.01,
    },
    Satellite {
        id: "1wFTAgs9DP5RSnCqKV1eLf6N9wtk4EAtmN5DpSxcs8EjT69tGE",
        url: "saltlake.tardigrade.io:7777",
        weight: 0.17,
    },
    Satellite {
        id: "121RTSDpyNZVcEU84Ticf2L1ntiuUimbWgfATz21tuvgk3vzoA6",
        url: "ap1.storj.io:7777",
        weight: 0.17,
    },
    Satellite {
        id: "12EayRS2V1kEsWESU9QMRseFhdxYxKicsiFmxrsLZHeLUtdps3S",
        url: "us1.storj.io:7777",
        weight: 0.12,
    },
    Satellite {
        id: "12L9ZFwhzVpuEKMUNUqkaTLGzwY9G24tbiigLiXpmZWKwmcNDDs",
        url: "eu1.storj.io:7777",
        weight: 0.17,
    },
    Satellite {
        id: "12rfG3sh9NCWiX3ivPjq2HtdLmbqCrvHVEzJubnzFzosMuawymB",
        url: "europe-north-1.tardigrade.io:7777",
        weight: 0.36,
    },
];

fn satellites(shape: StorjShape) -> &'static [Satellite] {
    match shape {
        StorjShape::Current => &CURRENT_SATELLITES,
        StorjShape::V1_71 | StorjShape::V1_37 => &OLD_SATELLITES,
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn ts_secs(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn day_start(d: NaiveDate) -> String {
    ts_secs(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn int(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x.round().min(9e18) as u64
    } else {
        0
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/sno", get(dashboard))
        .route("/api/sno/", get(dashboard))
        .route("/api/sno/satellites", get(satellites_summary))
        .route("/api/sno/satellite/{id}", get(satellite))
        .route("/api/sno/satellites/{id}/pricing", get(pricing))
        .route("/api/sno/estimated-payout", get(estimated_payout))
        .route("/api/heldamount/paystubs/{period}", get(paystubs))
        .route(
            "/api/heldamount/paystubs/{start}/{end}",
            get(paystubs_range),
        )
        .route(
            "/api/heldamount/payout-history/{period}",
            get(payout_history),
        )
        .route("/api/heldamount/held-history", get(held_history))
        .route("/api/heldamount/periods", get(periods))
        .fallback(|| async { json_error(StatusCode::NOT_FOUND, "error", "not found") })
        .with_state(shared)
}

fn dashboard_json(w: &World) -> Value {
    let shape = w.storj_shape();
    let now = w.now();
    let s = &w.storj;
    // Data a disk-filling fault writes is on disk (and can overfill it) but is not paid for.
    let pieces = s.used_bytes + s.filler_bytes;
    let trash = pieces * 0.03;
    let sats: Vec<Value> = satellites(shape)
        .iter()
        .map(|sat| match shape {
            StorjShape::Current => json!({
                "id": sat.id, "url": sat.url, "disqualified": null, "suspended": null,
                "vettedAt": "2021-02-03T10:11:12.000000Z",
            }),
            _ => json!({
                "id": sat.id, "url": sat.url, "disqualified": null, "suspended": null,
                "currentStorageUsed": int(pieces * sat.weight),
            }),
        })
        .collect();
    let month_bandwidth: f64 = w
        .storj
        .months
        .last()
        .map(|m| m.egress_bytes + m.repair_audit_bytes + m.ingress_bytes)
        .unwrap_or(0.0);
    let mut v = json!({
        "nodeID": NODE_ID,
        "wallet": "0x0000000000000000000000000000000000000001",
        "walletFeatures": if shape == StorjShape::Current { json!(["zksync-era"]) } else { Value::Null },
        "satellites": sats,
        "bandwidth": { "used": int(month_bandwidth), "available": 0 },
        "lastPinged": ts(s.last_pinged),
        "version": shape.version(),
        "allowedVersion": if shape == StorjShape::Current { "1.150.0" } else { "1.24.0" },
        "upToDate": true,
        "startedAt": ts(s.started_at),
    });
    let disk = match shape {
        // Since v1.143 `used` includes trash and `available` is what is left in the allocation.
        StorjShape::Current => {
            let used = pieces + trash;
            json!({
                "used": int(used),
                "available": int((s.allocated_bytes - used).max(0.0)),
                "overused": int((used - s.allocated_bytes).max(0.0)),
                "allocated": int(s.allocated_bytes),
                "trash": int(trash),
                "reclaimable": 0,
            })
        }
        _ => json!({
            "used": int(pieces),
            "available": int(s.allocated_bytes),
            "trash": int(trash),
            "overused": int((pieces + trash - s.allocated_bytes).max(0.0)),
        }),
    };
    if let Value::Object(map) = &mut v {
        map.insert("diskSpace".into(), disk);
        if shape != StorjShape::V1_37 {
            map.insert("configuredPort".into(), json!("28967"));
            map.insert("quicStatus".into(), json!("OK"));
            map.insert(
                "lastQuicPingedAt".into(),
                json!(ts(now - Duration::minutes(30))),
            );
        }
    }
    v
}

async fn dashboard(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let w = sh.world();
    Json(dashboard_json(&w))
}

/// The days of the month `now` is in, scaled to one satellite's share.
fn month_days(
    w: &World,
    weight: f64,
    per_satellite: bool,
    shape: StorjShape,
) -> (Vec<Value>, Vec<Value>, Sums) {
    let now = w.now();
    let mut sums = Sums::default();
    let mut storage = Vec::new();
    let mut bandwidth = Vec::new();
    for d in w
        .storj
        .days
        .iter()
        .filter(|d| d.date.year() == now.year() && d.date.month() == now.month())
    {
        let hours = if d.date == now.date_naive() {
            (f64::from(chrono::Timelike::num_seconds_from_midnight(&now.time())) / 3600.0).max(1.0)
        } else {
            24.0
        };
        let at_rest = d.at_rest_byte_hours * weight;
        let mut s = json!({
            "atRestTotal": at_rest,
            "atRestTotalBytes": at_rest / hours,
        });
        if let Value::Object(map) = &mut s {
            if per_satellite {
                map.insert("intervalInHours".into(), json!(hours.round() as u64));
            }
            map.insert("intervalStart".into(), json!(day_start(d.date)));
            if shape == StorjShape::Current {
                map.insert("calculated".into(), json!(d.date == now.date_naive()));
            }
        }
        storage.push(s);
        let (eu, er, ea, iu, ir) = (
            int(d.egress_usage * weight),
            int(d.egress_repair * weight),
            int(d.egress_audit * weight),
            int(d.ingress_usage * weight),
            int(d.ingress_repair * weight),
        );
        bandwidth.push(json!({
            "egress": { "repair": er, "audit": ea, "usage": eu },
            "ingress": { "repair": ir, "usage": iu },
            "delete": 0,
            "intervalStart": day_start(d.date),
        }));
        sums.storage += at_rest;
        sums.egress += (eu + er + ea) as f64;
        sums.ingress += (iu + ir) as f64;
        sums.avg_bytes += at_rest / hours;
        sums.days += 1.0;
    }
    (storage, bandwidth, sums)
}

#[derive(Default)]
struct Sums {
    storage: f64,
    egress: f64,
    ingress: f64,
    avg_bytes: f64,
    days: f64,
}

fn audits(w: &World, sat: &Satellite) -> Value {
    json!({
        "auditScore": 1,
        "suspensionScore": 1,
        "onlineScore": w.storj.online_score.clamp(0.0, 1.0),
        "satelliteName": sat.url,
    })
}

async fn satellites_summary(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let w = sh.world();
    let shape = w.storj_shape();
    let (storage, bandwidth, sums) = month_days(&w, 1.0, false, shape);
    let mut v = json!({
        "storageDaily": storage,
        "bandwidthDaily": bandwidth,
        "storageSummary": sums.storage,
        "bandwidthSummary": int(sums.egress + sums.ingress),
        "egressSummary": int(sums.egress),
        "ingressSummary": int(sums.ingress),
        "earliestJoinedAt": "2021-01-07T01:54:43.576738Z",
        "audits": satellites(shape).iter().map(|s| audits(&w, s)).collect::<Vec<_>>(),
    });
    if shape != StorjShape::V1_37 {
        if let Value::Object(map) = &mut v {
            map.insert(
                "averageUsageBytes".into(),
                json!(sums.avg_bytes / sums.days.max(1.0)),
            );
        }
    }
    Json(v)
}

async fn satellite(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let w = sh.world();
    let shape = w.storj_shape();
    let Some(sat) = satellites(shape).iter().find(|s| s.id == id) else {
        return json_error(
            StatusCode::NOT_FOUND,
            "error",
            format!("satellite {id} not found in the trust pool"),
        );
    };
    let (storage, bandwidth, sums) = month_days(&w, sat.weight, true, shape);
    let now = w.now();
    let windows: Vec<Value> = (0..6)
        .rev()
        .map(|i| {
            let start = now - Duration::hours(12 * (i + 1));
            json!({ "windowStart": ts_secs(start), "totalCount": 300, "onlineCount": 300 })
        })
        .collect();
    let mut v = json!({
        "id": sat.id,
        "storageDaily": storage,
        "bandwidthDaily": bandwidth,
        "storageSummary": sums.storage,
        "bandwidthSummary": int(sums.egress + sums.ingress),
        "egressSummary": int(sums.egress),
        "ingressSummary": int(sums.ingress),
        "audits": audits(&w, sat),
        "auditHistory": { "score": w.storj.online_score.clamp(0.0, 1.0), "windows": windows },
        "priceModel": {
            "EgressBandwidth": w.storj_price_cents().egress,
            "RepairBandwidth": w.storj_price_cents().repair,
            "AuditBandwidth": w.storj_price_cents().repair,
            "DiskSpace": w.storj_price_cents().disk,
        },
        "nodeJoinedAt": "2021-01-07T01:54:43.576738Z",
    });
    if let Value::Object(map) = &mut v {
        if shape != StorjShape::V1_37 {
            map.insert(
                "averageUsageBytes".into(),
                json!(sums.avg_bytes / sums.days.max(1.0)),
            );
        }
        match shape {
            StorjShape::Current => {
                map.insert("vettedAt".into(), json!("2021-02-03T10:11:12.000000Z"));
            }
            _ => {
                map.insert(
                    "currentStorageUsed".into(),
                    json!(int(w.storj.used_bytes * sat.weight)),
                );
            }
        }
    }
    Json(v).into_response()
}

async fn pricing(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if !CURRENT_SATELLITES
        .iter()
        .chain(OLD_SATELLITES.iter())
        .any(|s| s.id == id)
    {
        return json_error(
            StatusCode::NOT_FOUND,
            "error",
            format!("satellite {id} not found"),
        );
    }
    // Cents per TB (per TB-month for disk), the unit of the real `pricing.Pricing`.
    let cents = sh.world().storj_price_cents();
    Json(json!({
        "satelliteID": id,
        "egressBandwidth": cents.egress,
        "repairBandwidth": cents.repair,
        "auditBandwidth": cents.repair,
        "diskSpace": cents.disk,
    }))
    .into_response()
}

fn month_payout(m: Option<&StorjMonth>, weight: f64) -> Value {
    let zero = StorjMonth::default();
    let m = m.unwrap_or(&zero);
    let egress = round2(m.egress_cents * weight);
    let repair = round2(m.repair_audit_cents * weight);
    let disk = round2(m.storage_cents * weight);
    json!({
        "egressBandwidth": int(m.egress_bytes * weight),
        "egressBandwidthPayout": egress,
        "egressRepairAudit": int(m.repair_audit_bytes * weight),
        "egressRepairAuditPayout": repair,
        "diskSpace": m.byte_hours * weight / 720.0,
        "diskSpacePayout": disk,
        "heldRate": 0,
        "payout": round2(egress + repair + disk),
        "held": 0,
    })
}

fn satellite_weight(shape: StorjShape, q: &HashMap<String, String>) -> Result<f64, Box<Response>> {
    match q.get("id") {
        None => Ok(1.0),
        Some(id) => satellites(shape)
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.weight)
            .ok_or_else(|| {
                Box::new(json_error(
                    StatusCode::NOT_FOUND,
                    "error",
                    format!("satellite {id} not found"),
                ))
            }),
    }
}

async fn estimated_payout(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let w = sh.world();
    let weight = match satellite_weight(w.storj_shape(), &q) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let now = w.now();
    let months = &w.storj.months;
    let current = months
        .last()
        .filter(|m| (m.year, m.month) == (now.year(), now.month()));
    let previous = if current.is_some() {
        months.iter().rev().nth(1)
    } else {
        months.last()
    };
    let cur = month_payout(current, weight);
    // Linear extrapolation of this month's payout to the month's end, in whole cents.
    let elapsed = f64::from(now.day() - 1)
        + chrono::Timelike::num_seconds_from_midnight(&now.time()) as f64 / 86400.0;
    let days = days_in_month(now.year(), now.month());
    let payout = cur.get("payout").and_then(Value::as_f64).unwrap_or(0.0);
    let expectations = if elapsed > 0.0 {
        (payout * days / elapsed).round() as i64
    } else {
        0
    };
    Json(json!({
        "currentMonth": cur,
        "previousMonth": month_payout(previous, weight),
        "currentMonthExpectations": expectations,
    }))
    .into_response()
}

fn days_in_month(year: i32, month: u32) -> f64 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    match (
        NaiveDate::from_ymd_opt(year, month, 1),
        NaiveDate::from_ymd_opt(ny, nm, 1),
    ) {
        (Some(a), Some(b)) => (b - a).num_days() as f64,
        _ => 30.0,
    }
}

fn parse_period(p: &str) -> Option<(i32, u32)> {
    let (y, m) = p.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some((y, m))
}

/// Months that are over (a paystub exists only after the month ends).
fn completed_months(w: &World) -> Vec<&StorjMonth> {
    let now = w.now();
    w.storj
        .months
        .iter()
        .filter(|m| (m.year, m.month) != (now.year(), now.month()))
        .collect()
}

fn paystub(m: &StorjMonth, sat: &Satellite) -> Value {
    let micro = |cents: f64| int(cents * sat.weight * 1e4);
    let at_rest = micro(m.storage_cents);
    let get = micro(m.egress_cents);
    let repair = micro(m.repair_audit_cents * 0.99);
    let audit = micro(m.repair_audit_cents * 0.01);
    let owed = at_rest + get + repair + audit;
    let created = NaiveDate::from_ymd_opt(
        if m.month == 12 { m.year + 1 } else { m.year },
        if m.month == 12 { 1 } else { m.month + 1 },
        10,
    )
    .and_then(|d| d.and_hms_opt(14, 6, 33))
    .map(|d| ts(Utc.from_utc_datetime(&d)))
    .unwrap_or_default();
    json!({
        "satelliteId": sat.id,
        "period": m.period(),
        "created": created,
        "codes": "",
        "usageAtRest": m.byte_hours * sat.weight / 720.0,
        "usageGet": int(m.egress_bytes * sat.weight),
        "usagePut": int(m.ingress_bytes * sat.weight),
        "usageGetRepair": int(m.repair_audit_bytes * sat.weight * 0.99),
        "usagePutRepair": int(m.ingress_bytes * sat.weight * 0.1),
        "usageGetAudit": int(m.repair_audit_bytes * sat.weight * 0.01),
        "compAtRest": at_rest,
        "compGet": get,
        "compPut": 0,
        "compGetRepair": repair,
        "compPutRepair": 0,
        "compGetAudit": audit,
        "surgePercent": 0,
        "held": 0,
        "owed": owed,
        "disposed": 0,
        "paid": owed,
        "distributed": owed,
    })
}

fn stubs_between(
    w: &World,
    from: (i32, u32),
    to: (i32, u32),
    q: &HashMap<String, String>,
) -> Response {
    let shape = w.storj_shape();
    let sats: Vec<&Satellite> = match q.get("id") {
        Some(id) => satellites(shape).iter().filter(|s| s.id == id).collect(),
        None => satellites(shape).iter().collect(),
    };
    let stubs: Vec<Value> = completed_months(w)
        .into_iter()
        .filter(|m| (m.year, m.month) >= from && (m.year, m.month) <= to)
        .flat_map(|m| sats.iter().map(move |s| paystub(m, s)))
        .collect();
    if q.contains_key("id") {
        // With `id` the node answers a single object, or 404 when there is no paystub.
        return match stubs.into_iter().next() {
            Some(s) => Json(s).into_response(),
            None => json_error(StatusCode::NOT_FOUND, "error", "no paystub for this period"),
        };
    }
    Json(Value::Array(stubs)).into_response()
}

async fn paystubs(
    State(sh): State<Arc<Shared>>,
    Path(period): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(p) = parse_period(&period) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "error",
            format!("period `{period}` is not YYYY-MM"),
        );
    };
    let w = sh.world();
    stubs_between(&w, p, p, &q)
}

async fn paystubs_range(
    State(sh): State<Arc<Shared>>,
    Path((start, end)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (Some(a), Some(b)) = (parse_period(&start), parse_period(&end)) else {
        return json_error(StatusCode::BAD_REQUEST, "error", "periods must be YYYY-MM");
    };
    let w = sh.world();
    stubs_between(&w, a, b, &q)
}

async fn payout_history(State(sh): State<Arc<Shared>>, Path(period): Path<String>) -> Response {
    let Some(p) = parse_period(&period) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "error",
            format!("period `{period}` is not YYYY-MM"),
        );
    };
    let w = sh.world();
    let shape = w.storj_shape();
    let Some(month) = completed_months(&w)
        .into_iter()
        .find(|m| (m.year, m.month) == p)
    else {
        return Json(json!([])).into_response();
    };
    let out: Vec<Value> = satellites(shape)
        .iter()
        .map(|sat| {
            let stub = paystub(month, sat);
            let earned = ["compAtRest", "compGet", "compGetRepair", "compGetAudit"]
                .iter()
                .map(|k| stub.get(*k).and_then(Value::as_u64).unwrap_or(0))
                .sum::<u64>();
            json!({
                "satelliteID": sat.id,
                "satelliteURL": sat.url,
                "age": 60,
                "earned": earned,
                "surge": earned,
                "surgePercent": 100,
                "held": 0,
                "heldPercent": 0,
                "afterHeld": earned,
                "disposed": 0,
                "paid": earned,
                "receipt": format!("zksync-era:0x{:064x}", (month.year as u64) * 100 + u64::from(month.month)),
                "isExitComplete": false,
                "distributed": earned,
            })
        })
        .collect();
    Json(Value::Array(out)).into_response()
}

async fn held_history(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let w = sh.world();
    let out: Vec<Value> = satellites(w.storj_shape())
        .iter()
        .map(|sat| {
            let base = (sat.weight * 1e7) as u64;
            json!({
                "satelliteID": sat.id,
                "satelliteName": sat.url,
                "holdForFirstPeriod": base,
                "holdForSecondPeriod": base + base / 5,
                "holdForThirdPeriod": base + base / 2,
                "totalHeld": base * 3 + base / 5 + base / 2,
                "totalDisposed": (base * 3 + base / 5 + base / 2) / 2,
                "joinedAt": "2021-01-07T01:55:00Z",
            })
        })
        .collect();
    Json(Value::Array(out))
}

async fn periods(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let w = sh.world();
    Json(json!(completed_months(&w)
        .iter()
        .map(|m| m.period())
        .collect::<Vec<_>>()))
}

/// The dashboard JSON at the world's current time (for tests and the lead's tooling).
pub fn dashboard_snapshot(w: &World) -> Value {
    dashboard_json(w)
}
