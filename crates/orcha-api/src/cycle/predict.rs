//! Predict: ask the ML engine for the next 24 hours of earnings per node.
//!
//! Each node's history is turned into an hourly series of earnings (the increase of its lifetime
//! figure, in whole tokens of its own currency) and sent to `POST /v2/forecast` as a `rate`
//! (resets and payouts are already taken out here, so the engine must not guess a running total),
//! with the amounts of each resource in force and the hour and weekday as features. Without the
//! engine nothing is predicted and nothing downstream is invented: the step says "ML engine
//! unavailable" and the cycle goes on to record that no plan exists.
//!
//! Every forecast is also stored (`forecasts` table, exact base units of the node's token per
//! hour), so the UI can draw its band and the `forecast_error` rule can later compare it with
//! what was realized.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use orcha_core::event::StepOutcome;
use orcha_core::{Money, NodeId, Token};
use orcha_store::{ForecastRow, ForecastRun};

pub use crate::earnings_series::{hourly_increases, node_history};
use crate::ml::{ForecastRequest, SeriesInput, TrainRequest};
use crate::state::AppState;

/// One node's forecast of its earnings rate, in the node's own token per hour.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeForecast {
    /// The model the engine chose (`lstm`, `seasonal_naive_24`, `ets`, …).
    pub model: String,
    /// Hourly p10, p50 and p90 for the horizon.
    pub p10: Vec<f64>,
    pub p50: Vec<f64>,
    pub p90: Vec<f64>,
    /// Rolling-origin backtest MASE of the chosen model and of the seasonal-naive baseline.
    pub mase: Option<f64>,
    pub baseline_mase: Option<f64>,
}

/// Forecasts of every node the engine could forecast.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Forecasts {
    pub per_node: BTreeMap<NodeId, NodeForecast>,
}

/// How much history is sent, and the least the engine accepts. Eight weeks: the span the engine's
/// model choice is benchmarked on (`ml-engine/scripts/bench.py`), and room for its weekly models
/// and for LSTM training (below).
const HISTORY_HOURS: i64 = 8 * 7 * 24;
const MIN_HOURS: usize = 24;
const HORIZON: u32 = 24;
/// The engine needs 72 h to fit and its backtest's 28 days held out before an LSTM can be trained
/// and scored honestly (`min_training_hours` in `ml-engine/src/orcha_ml/training.py`; it answers
/// 422 naming the number when this falls behind).
const TRAIN_MIN_HOURS: usize = 72 + 28 * 24;
/// How often a node's LSTM is retrained on fresh history.
const RETRAIN_EVERY_HOURS: i64 = 24;
/// Forecasts are stored with at least this many decimals, so a rate of a fraction of a cent per
/// hour is not rounded away for tokens counted in cents or whole points.
const MIN_FORECAST_DECIMALS: u8 = 9;

/// The node's earnings per hour in whole tokens, oldest first (hours stamped at their start),
/// read from the same figure the forecast is.
pub async fn earnings_hours(
    state: &AppState,
    id: &NodeId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, f64)>, crate::error::DbError> {
    let points = node_history(state, id, from, to).await?;
    Ok(hourly_increases(&points))
}

/// Checks the engine and, when it answers, forecasts every node with enough history.
pub async fn run(state: &AppState, _cycle: i64) -> (StepOutcome, Option<Forecasts>) {
    let ml = state.ml.health().await;
    let available = ml.is_ok();
    let engine_version = ml.as_ref().ok().and_then(|h| h.version.clone());
    let detail = match &ml {
        Ok(h) => format!(
            "ML engine {} ({})",
            h.status,
            h.version
                .clone()
                .unwrap_or_else(|| "unknown version".into())
        ),
        Err(e) => format!("ML engine unavailable: {e}"),
    };
    state.report_ml_status(available, detail.clone());
    if !available {
        return (StepOutcome::Skipped(detail), None);
    }

    let now = state.clock.now();
    let from = now - Duration::hours(HISTORY_HOURS);
    let to = now + Duration::minutes(1);
    let mut series = Vec::new();
    let mut notes = Vec::new();
    // The unit each node's forecast is stored in: its latest earnings figure's token.
    let mut units: BTreeMap<String, (Token, u8)> = BTreeMap::new();
    let changes = super::belief::changes(state).await;
    for node in &state.nodes {
        let history = node_history(state, &node.config.id, from, to).await;
        let hourly = match history {
            Ok(points) => {
                if let Some((_, m)) = points.last() {
                    units.insert(
                        node.config.id.to_string(),
                        (m.token, m.decimals.max(MIN_FORECAST_DECIMALS)),
                    );
                }
                hourly_increases(&points)
            }
            Err(e) => {
                notes.push(format!("{}: history unreadable ({})", node.config.id, e));
                continue;
            }
        };
        if hourly.len() < MIN_HOURS {
            notes.push(format!(
                "{}: {} h of history, {MIN_HOURS} h needed",
                node.config.id,
                hourly.len()
            ));
            continue;
        }
        let node_changes = changes.get(&node.config.id).cloned().unwrap_or_default();
        // The amounts in force now are the last applied ones; the log's `before` covers earlier.
        let current: crate::policy::Amounts = node_changes
            .iter()
            .flat_map(|(_, _, after)| after.iter().map(|(k, v)| (*k, *v)))
            .collect();
        let hours: Vec<DateTime<Utc>> = hourly
            .iter()
            .map(|(t, _)| *t + Duration::minutes(30))
            .collect();
        let features = super::belief::features(&hours, &node_changes, &current);
        series.push(SeriesInput {
            id: node.config.id.to_string(),
            timestamps: hourly
                .iter()
                .map(|(t, _)| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .collect(),
            values: hourly.iter().map(|(_, v)| *v).collect(),
            features: Some(features),
            series_kind: Some("rate".to_owned()),
        });
    }
    if series.is_empty() {
        let why = if notes.is_empty() {
            "no node is configured".to_owned()
        } else {
            notes.join("; ")
        };
        return (
            StepOutcome::Skipped(format!("no node has enough history to forecast: {why}")),
            None,
        );
    }
    let training = start_training(state, &series, now).await;
    let request = ForecastRequest {
        series,
        horizon: HORIZON,
        quantiles: vec![0.1, 0.5, 0.9],
    };
    let response = match state.ml.forecast(&request).await {
        Ok(r) => r,
        Err(e) => return (StepOutcome::Failed(e.to_string()), None),
    };
    let stored = store_forecasts(state, &response.forecasts, &units, engine_version, now).await;
    let mut forecasts = Forecasts::default();
    let mut summary = Vec::new();
    for f in response.forecasts {
        let Ok(id) = f.id.parse::<NodeId>() else {
            continue;
        };
        let q = |k: &str| {
            f.quantiles
                .get(k)
                .cloned()
                .unwrap_or_else(|| f.point.clone())
        };
        let (mase, baseline) = (
            f.backtest.as_ref().map(|b| b.mase),
            f.backtest.as_ref().map(|b| b.baseline_mase),
        );
        summary.push(match (mase, baseline) {
            (Some(m), Some(b)) => format!(
                "{id} by {} (backtest MASE {m:.2} vs seasonal naive {b:.2})",
                f.model
            ),
            _ if f.baseline => format!("{id} by {} (baseline: {})", f.model, f.note),
            _ => format!("{id} by {}", f.model),
        });
        forecasts.per_node.insert(
            id,
            NodeForecast {
                model: f.model,
                p10: q("0.1"),
                p50: q("0.5"),
                p90: q("0.9"),
                mase,
                baseline_mase: baseline,
            },
        );
    }
    summary.extend(notes);
    summary.extend(stored);
    summary.extend(training);
    (
        StepOutcome::Done(format!("forecast {}", summary.join("; "))),
        Some(forecasts),
    )
}

/// An hourly rate in whole tokens as exact base units; `None` for a value that is not a number
/// or does not fit.
pub fn rate_to_money(v: f64, token: Token, decimals: u8) -> Option<Money> {
    let scaled = (v * 10f64.powi(i32::from(decimals))).round();
    // 1e36 keeps well inside i128; a rate that large is not an earnings forecast.
    (scaled.is_finite() && scaled.abs() < 1e36).then(|| Money::new(token, scaled as i128, decimals))
}

/// The start of each forecasted hour: the engine's timestamps, or the hours after `now` when
/// one does not parse.
fn target_hours(f: &crate::ml::SeriesForecast, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let base = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    (0..f.point.len())
        .map(|i| {
            f.timestamps
                .get(i)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.to_utc())
                .unwrap_or_else(|| base + Duration::hours(i as i64 + 1))
        })
        .collect()
}

/// Turns the engine's forecasts into `forecasts` rows (one per node and hour), stamped with the
/// model and its version. Pure, so the conversion is tested without a store.
pub fn forecast_rows(
    forecasts: &[crate::ml::SeriesForecast],
    units: &BTreeMap<String, (Token, u8)>,
    versions: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Vec<ForecastRow> {
    let mut rows = Vec::new();
    for f in forecasts {
        let (Ok(node), Some(&(token, decimals))) = (f.id.parse::<NodeId>(), units.get(&f.id))
        else {
            continue;
        };
        let q = |k: &str| f.quantiles.get(k).unwrap_or(&f.point).clone();
        let (p10, p50, p90) = (q("0.1"), q("0.5"), q("0.9"));
        let version = if f.model == "lstm" {
            versions.get(&f.id).cloned()
        } else {
            versions.get("").cloned()
        };
        for (i, target) in target_hours(f, now).into_iter().enumerate() {
            let money = |v: &[f64]| v.get(i).and_then(|x| rate_to_money(*x, token, decimals));
            let (Some(lo), Some(mid), Some(hi)) = (money(&p10), money(&p50), money(&p90)) else {
                continue;
            };
            rows.push(ForecastRow {
                node: node.clone(),
                made_at: now,
                target,
                p10: lo,
                p50: mid,
                p90: hi,
                model: f.model.clone(),
                model_version: version.clone(),
            });
        }
    }
    rows
}

/// The engine's verdict on each node's run: series kind, backtest scores and interval coverage.
/// Pure, like [`forecast_rows`]; nodes without a stored unit are skipped the same way.
pub fn forecast_runs(
    forecasts: &[crate::ml::SeriesForecast],
    units: &BTreeMap<String, (Token, u8)>,
    now: DateTime<Utc>,
) -> Vec<ForecastRun> {
    forecasts
        .iter()
        .filter(|f| units.contains_key(&f.id))
        .filter_map(|f| {
            let node = f.id.parse::<NodeId>().ok()?;
            let b = f.backtest.as_ref();
            Some(ForecastRun {
                node,
                made_at: now,
                series_kind: f.series_kind.clone(),
                backtest_mase: b.map(|b| b.mase),
                // Older engines only report seasonal naive 24 h as the baseline.
                seasonal_naive_mase: b
                    .map(|b| b.best_seasonal_naive_mase.unwrap_or(b.baseline_mase)),
                interval_coverage: b.and_then(|b| b.coverage),
                backtest_origins: b.map(|b| b.origins),
                engine_note: engine_note(&f.note),
            })
        })
        .collect()
}

/// Longest engine note kept: the engine's own run to about 250 characters, and a note is read
/// from a local service, so it is capped rather than trusted.
const ENGINE_NOTE_MAX_CHARS: usize = 600;

/// The engine's note, trimmed and cut at `ENGINE_NOTE_MAX_CHARS` characters; `None` when empty.
fn engine_note(note: &str) -> Option<String> {
    let note = note.trim();
    if note.is_empty() {
        return None;
    }
    let mut kept: String = note.chars().take(ENGINE_NOTE_MAX_CHARS).collect();
    if kept.len() < note.len() {
        kept.push('…');
    }
    Some(kept)
}

/// Stores this cycle's forecasts and drops runs older than the raw-sample retention. Returns a
/// note for the step's detail when something could not be stored.
async fn store_forecasts(
    state: &AppState,
    forecasts: &[crate::ml::SeriesForecast],
    units: &BTreeMap<String, (Token, u8)>,
    engine_version: Option<String>,
    now: DateTime<Utc>,
) -> Option<String> {
    // Models fitted on the fly are identified by the engine's version (key ""); a saved LSTM by
    // its own version, which only the model list knows.
    let mut versions = BTreeMap::new();
    if let Some(v) = engine_version {
        versions.insert(String::new(), v);
    }
    if forecasts.iter().any(|f| f.model == "lstm") {
        match state.ml.models().await {
            Ok(m) => {
                for s in m.series {
                    versions.insert(s.series_id, format!("lstm@{}", s.latest_version));
                }
            }
            Err(e) => tracing::debug!(error = %e, "No LSTM versions for the stored forecasts."),
        }
    }
    let rows = forecast_rows(forecasts, units, &versions, now);
    let runs = forecast_runs(forecasts, units, now);
    let keep_from = now - Duration::days(i64::from(state.config.storage.retention_raw_days.max(1)));
    let result = state
        .db(move |s| {
            let n = s.insert_forecasts(&rows)?;
            s.insert_forecast_runs(&runs)?;
            s.prune_forecasts(keep_from)?;
            Ok(n)
        })
        .await;
    match result {
        Ok(n) => {
            tracing::debug!(rows = n, "Forecasts stored.");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "Could not store forecasts.");
            Some(format!("forecasts not stored: {}", e))
        }
    }
}

/// Asks the engine to (re)train the LSTM of every series with enough history that was not sent
/// for training in the last day. Training runs in the engine's background; the forecast of this
/// cycle still uses whatever models exist. Returns a note for the step's detail.
async fn start_training(
    state: &AppState,
    series: &[SeriesInput],
    now: DateTime<Utc>,
) -> Option<String> {
    let due: Vec<SeriesInput> = series
        .iter()
        .filter(|s| s.values.len() >= TRAIN_MIN_HOURS)
        .filter(|s| {
            state
                .last_training(&s.id)
                .is_none_or(|at| now - at >= Duration::hours(RETRAIN_EVERY_HOURS))
        })
        .take(16)
        // `/v1/train` takes v1 series, which have no kind (it refuses unknown fields).
        .map(|s| SeriesInput {
            series_kind: None,
            ..s.clone()
        })
        .collect();
    if due.is_empty() {
        return None;
    }
    let ids: Vec<String> = due.iter().map(|s| s.id.clone()).collect();
    match state
        .ml
        .train(&TrainRequest {
            series: due,
            epochs: None,
        })
        .await
    {
        Ok(job) => {
            for id in &ids {
                state.set_last_training(id, now);
            }
            Some(format!(
                "training job {} started for {}",
                job.job_id,
                ids.join(", ")
            ))
        }
        Err(e) => Some(format!("training could not start: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orcha_core::Token;

    fn at(h: i64, m: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-05-01T00:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::hours(h)
            + Duration::minutes(m)
    }

    #[test]
    fn cumulative_figures_become_hourly_increases() {
        let usd = |cents: i128| Money::new(Token::Usd, cents, 2);
        let points = vec![
            (at(0, 10), usd(100)),
            (at(0, 50), usd(110)),
            (at(1, 30), usd(130)),
            // Hour 2 has no observation: the figure is carried, the increase is zero.
            (at(3, 5), usd(160)),
            // A payout drops the figure; that hour counts as zero, not negative.
            (at(4, 0), usd(20)),
            (at(5, 0), usd(25)),
        ];
        let hourly = hourly_increases(&points);
        let values: Vec<f64> = hourly
            .iter()
            .map(|(_, v)| (v * 100.0).round() / 100.0)
            .collect();
        assert_eq!(values, vec![0.2, 0.0, 0.3, 0.0, 0.05]);
        assert_eq!(hourly[0].0, at(1, 0));
        assert!(hourly_increases(&[]).is_empty());
    }

    #[test]
    fn forecasts_become_exact_rows_per_hour_with_model_and_version() {
        let now = at(10, 20);
        let f = |id: &str, model: &str, ts: Vec<String>| crate::ml::SeriesForecast {
            id: id.into(),
            model: model.into(),
            timestamps: ts,
            point: vec![0.5, 0.25],
            quantiles: BTreeMap::from([
                ("0.1".to_owned(), vec![0.125, 0.0]),
                ("0.5".to_owned(), vec![0.5, 0.25]),
                ("0.9".to_owned(), vec![1.0, f64::NAN]),
            ]),
            ..Default::default()
        };
        let units = BTreeMap::from([
            ("golem:main".to_owned(), (Token::Glm, 18)),
            ("storj:main".to_owned(), (Token::Usd, 9)),
        ]);
        let versions = BTreeMap::from([
            (String::new(), "0.3.1".to_owned()),
            ("golem:main".to_owned(), "lstm@4".to_owned()),
        ]);
        let rows = forecast_rows(
            &[
                f(
                    "golem:main",
                    "lstm",
                    vec!["2026-05-01T11:00:00Z".into(), "2026-05-01T12:00:00Z".into()],
                ),
                f("storj:main", "ets", vec!["garbage".into()]),
                // Not a configured unit (unknown node): skipped.
                f("grass:main", "ets", vec![]),
            ],
            &units,
            &versions,
            now,
        );
        // The NaN p90 of the second hour drops that hour only.
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].target, at(11, 0));
        assert_eq!(
            rows[0].p50,
            Money::new(Token::Glm, 500_000_000_000_000_000, 18)
        );
        assert_eq!(rows[0].p10.to_decimal_string(), "0.125000000000000000");
        assert_eq!(rows[0].model_version.as_deref(), Some("lstm@4"));
        // An unparsable timestamp falls back to the hour after now.
        assert_eq!(rows[1].target, at(11, 0));
        assert_eq!(rows[1].p50, Money::new(Token::Usd, 500_000_000, 9));
        assert_eq!(rows[1].model_version.as_deref(), Some("0.3.1"));
        assert_eq!(rows[1].made_at, now);
        assert_eq!(rate_to_money(f64::INFINITY, Token::Usd, 2), None);

        // The run summaries carry the engine's verdict; a v1-style backtest without the best
        // seasonal naive falls back to seasonal naive 24 h, and no backtest gives no scores.
        let mut scored = f("golem:main", "ensemble_mean", vec![]);
        scored.series_kind = Some("rate".into());
        scored.note = "  ensemble_mean of ets, theta chosen by rolling-origin backtest ".into();
        scored.backtest = Some(crate::ml::Backtest {
            mase: 0.5,
            baseline_mase: 0.75,
            origins: 7,
            horizon: 24,
            best_seasonal_naive_mase: Some(0.625),
            coverage: Some(0.8125),
            ..Default::default()
        });
        let mut v1 = f("storj:main", "ets", vec![]);
        // A runaway note from the engine is cut, on a character boundary.
        v1.note = "é".repeat(ENGINE_NOTE_MAX_CHARS + 5);
        v1.backtest = Some(crate::ml::Backtest {
            mase: 1.5,
            baseline_mase: 2.0,
            origins: 3,
            ..Default::default()
        });
        let runs = forecast_runs(
            &[
                scored,
                v1,
                f("grass:main", "ets", vec![]),
                f("golem:b", "ets", vec![]),
            ],
            &BTreeMap::from([
                ("golem:main".to_owned(), (Token::Glm, 18)),
                ("storj:main".to_owned(), (Token::Usd, 9)),
                ("golem:b".to_owned(), (Token::Glm, 18)),
            ]),
            now,
        );
        assert_eq!(runs.len(), 3, "{runs:?}");
        assert_eq!(runs[0].node.to_string(), "golem:main");
        assert_eq!(runs[0].made_at, now);
        assert_eq!(runs[0].series_kind.as_deref(), Some("rate"));
        assert_eq!(
            (runs[0].backtest_mase, runs[0].seasonal_naive_mase),
            (Some(0.5), Some(0.625))
        );
        assert_eq!(
            (runs[0].interval_coverage, runs[0].backtest_origins),
            (Some(0.8125), Some(7))
        );
        assert_eq!(
            runs[0].engine_note.as_deref(),
            Some("ensemble_mean of ets, theta chosen by rolling-origin backtest")
        );
        let cut = runs[1].engine_note.clone().unwrap_or_default();
        assert_eq!(cut.chars().count(), ENGINE_NOTE_MAX_CHARS + 1, "{cut}");
        assert!(cut.ends_with('…'));
        assert_eq!(runs[1].seasonal_naive_mase, Some(2.0));
        assert_eq!(runs[1].interval_coverage, None);
        assert_eq!(
            (
                runs[2].backtest_mase,
                runs[2].seasonal_naive_mase,
                runs[2].series_kind.clone()
            ),
            (None, None, None)
        );
        assert_eq!(runs[2].engine_note, None, "an empty note is no note");
        assert_eq!(rate_to_money(1e40, Token::Usd, 2), None);
        assert_eq!(
            rate_to_money(-0.014, Token::Usd, 2),
            Some(Money::new(Token::Usd, -1, 2))
        );
    }
}
