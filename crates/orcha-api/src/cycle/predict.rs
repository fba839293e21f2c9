//! Predict: ask the ML engine for the next 24 hours of earnings per node.
//!
//! Each node's history is turned into an hourly series of earnings (the increase of its lifetime
//! figure, in whole tokens of its own currency) and sent to `POST /v1/forecast`. Without the
//! engine nothing is predicted and nothing downstream is invented: the step says "ML engine
//! unavailable" and the cycle goes on to record that no plan exists.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use orcha_core::event::StepOutcome;
use orcha_core::{EarningsKind, Money, NodeId};

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

/// How much history is sent, and the least the engine accepts.
const HISTORY_HOURS: i64 = 14 * 24;
const MIN_HOURS: usize = 24;
const HORIZON: u32 = 24;
/// The engine needs 72 h to fit and 168 h held out before an LSTM can be trained and scored.
const TRAIN_MIN_HOURS: usize = 240;
/// How often a node's LSTM is retrained on fresh history.
const RETRAIN_EVERY_HOURS: i64 = 24;

/// Turns observations of a cumulative figure into hourly increases, oldest first.
///
/// The last observation in each hour stands for the hour. A decrease (a payout, or a reset of a
/// period figure) says nothing about earnings, so that hour counts as zero rather than negative.
/// Hours without an observation are filled from the neighbours by carrying the figure forward,
/// which spreads nothing: the whole increase lands in the hour it was seen.
pub fn hourly_increases(points: &[(DateTime<Utc>, Money)]) -> Vec<(DateTime<Utc>, f64)> {
    let mut last_per_hour: BTreeMap<DateTime<Utc>, f64> = BTreeMap::new();
    for (at, m) in points {
        if let Ok(hour) = at.duration_trunc(Duration::hours(1)) {
            last_per_hour.insert(hour, m.to_f64_lossy());
        }
    }
    let (Some((&first, _)), Some((&last, _))) = (
        last_per_hour.first_key_value(),
        last_per_hour.last_key_value(),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut prev: Option<f64> = None;
    let mut hour = first;
    while hour <= last {
        let value = last_per_hour.get(&hour).copied().or(prev);
        if let (Some(v), Some(p)) = (value, prev) {
            out.push((hour, (v - p).max(0.0)));
        }
        prev = value;
        hour += Duration::hours(1);
    }
    out
}

/// Checks the engine and, when it answers, forecasts every node with enough history.
pub async fn run(state: &AppState, _cycle: i64) -> (StepOutcome, Option<Forecasts>) {
    let ml = state.ml.health().await;
    let available = ml.is_ok();
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
    for node in &state.nodes {
        let id = node.config.id.clone();
        let history = state
            .db(move |s| {
                let lifetime = s.earnings_history(&id, EarningsKind::Lifetime, from, to)?;
                if lifetime.is_empty() {
                    s.earnings_history(&id, EarningsKind::CurrentPeriodEstimate, from, to)
                } else {
                    Ok(lifetime)
                }
            })
            .await;
        let hourly = match history {
            Ok(points) => hourly_increases(&points),
            Err(e) => {
                notes.push(format!(
                    "{}: history unreadable ({})",
                    node.config.id, e.message
                ));
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
        series.push(SeriesInput {
            id: node.config.id.to_string(),
            timestamps: hourly
                .iter()
                .map(|(t, _)| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .collect(),
            values: hourly.iter().map(|(_, v)| *v).collect(),
            features: None,
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
    summary.extend(training);
    (
        StepOutcome::Done(format!("forecast {}", summary.join("; "))),
        Some(forecasts),
    )
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
        .cloned()
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
}
