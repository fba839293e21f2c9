import type { ForecastDto, NodeDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { formatDateTime, protocolName } from "../../../utils/format";
import { formatMoney, tokenLabel } from "../../../utils/money";
import { useForecast } from "../api/use-forecast";
import { forecastTotals, hourlyBand } from "../utils/forecast";
import { ForecastChart } from "./forecast-chart";

/** What each model the engine can choose is, in words. */
const MODEL_NAMES: Record<string, string> = {
  naive: "last value",
  seasonal_naive_24: "same hour yesterday (seasonal naive 24 h)",
  seasonal_naive_168: "same hour last week (seasonal naive 168 h)",
  seasonal_median: "median of each hour over recent days",
  ets: "exponential smoothing (ETS)",
  theta: "Theta",
  mstl: "daily + weekly decomposition (MSTL)",
  tsb: "intermittent demand (TSB)",
  linear: "linear regression on the last day and week",
  lstm: "LSTM neural network",
  ensemble_median: "median of the three best models",
  ensemble_mean: "mean of the models weighted hour by hour by backtest error",
};

export function modelName(model: string): string {
  return MODEL_NAMES[model] ?? model;
}

/** "-36 % error vs seasonal naive" style comparison; null when either score is missing. */
export function comparedToNaive(mase: number | undefined, naive: number | undefined): string | null {
  if (mase === undefined || naive === undefined || !(naive > 0)) return null;
  const change = Math.round((mase / naive - 1) * 100);
  if (change === 0) return "as good as seasonal naive";
  return change < 0
    ? `${-change} % less error than seasonal naive`
    : `${change} % more error than seasonal naive`;
}

/**
 * A MASE to two decimals, or to two significant digits below 0.1: a near-perfect backtest (e.g.
 * 0.0035 on a flat series) must not read as a perfect one ("0.00").
 */
export function formatMase(mase: number): string {
  if (mase === 0 || mase >= 0.1) return mase.toFixed(2);
  return mase.toPrecision(2);
}

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

function ForecastFacts({ f }: { f: ForecastDto }) {
  const compared = comparedToNaive(f.backtest_mase, f.seasonal_naive_mase);
  const coverage = f.interval_coverage;
  return (
    <dl className="figures" data-testid="forecast-facts">
      <div className="figure">
        <dt>Model</dt>
        <dd data-testid="forecast-model">
          {f.model ? modelName(f.model) : "—"}
          <div className="muted small">
            {f.model}
            {f.model_version && f.model_version !== f.model && ` · ${f.model_version}`}
            {f.series_kind && ` · ${f.series_kind === "cumulative" ? "running total" : "hourly earnings"}`}
          </div>
        </dd>
      </div>
      <div className="figure">
        <dt>Backtest MASE</dt>
        <dd data-testid="forecast-mase">
          {f.backtest_mase === undefined ? (
            <span className="metric-not-measured">not scored</span>
          ) : (
            formatMase(f.backtest_mase)
          )}
          <div className="muted small">
            {f.seasonal_naive_mase !== undefined && `seasonal naive ${formatMase(f.seasonal_naive_mase)}`}
            {compared && ` · ${compared}`}
            {f.backtest_origins !== undefined &&
              ` · ${f.backtest_origins} daily origin${f.backtest_origins === 1 ? "" : "s"}`}
          </div>
        </dd>
      </div>
      <div className="figure">
        <dt>p10–p90 coverage</dt>
        <dd data-testid="forecast-coverage">
          {coverage === undefined ? (
            <span className="metric-not-measured">not measured</span>
          ) : (
            percent(coverage)
          )}
          <div className="muted small">of backtest outcomes inside the band (calibrated for 80 %)</div>
        </dd>
      </div>
    </dl>
  );
}

/**
 * The next hours' forecast of one node: the p50 line in its p10–p90 band, the model the engine
 * chose, how it scored in the backtest against seasonal naive, and how often the band held.
 */
export function ForecastCard({ node }: { node: NodeDto }) {
  const forecast = useForecast(node.id);
  const title = (
    <>
      Forecast, {protocolName(node.protocol)} · {node.name} <span className="tag tag-accent">estimate</span>
    </>
  );
  if (forecast.isPending)
    return (
      <Card title={title}>
        <p className="muted small">Loading the forecast…</p>
      </Card>
    );
  if (!forecast.data)
    return (
      <Card title={title}>
        <p className="muted small" data-testid="forecast-card-note">
          <span className="tag tag-warn">forecast unavailable</span>{" "}
          {forecast.error instanceof Error ? forecast.error.message : String(forecast.error)}
        </p>
      </Card>
    );
  const f = forecast.data;
  const totals = forecastTotals(f.points);
  const first = f.points[0];
  if (!first || !totals)
    return (
      <Card title={title}>
        <p className="muted small" data-testid="forecast-card-note">
          <span className="tag tag-muted">no forecast</span>{" "}
          {f.note || "The ML engine has not forecast this node."}
        </p>
      </Card>
    );
  return (
    <Card
      title={title}
      subtitle={`Earnings per hour, next ${f.points.length} h: the line is p50, the band p10–p90. An estimate, not a promise.`}
    >
      <div data-testid="forecast-card">
        <ForecastChart
          ariaLabel="Forecast band, next hours"
          unit={`${tokenLabel(first.p50.token)}/h`}
          height={180}
          dateTicks={false}
          color="var(--forecast)"
          history={[]}
          band={hourlyBand(f.points, formatMoney)}
          anchored={false}
          formatRange={(b) => `${b.p10.toLocaleString("en-US")} – ${b.p90.toLocaleString("en-US")}`}
        />
        <p className="small" data-testid="forecast-card-total">
          Next {f.points.length} h: about <strong>+{formatMoney(totals.p50)}</strong>, between +
          {formatMoney(totals.p10)} and +{formatMoney(totals.p90)}.
        </p>
        <ForecastFacts f={f} />
        {f.engine_note && (
          <p className="small" data-testid="forecast-engine-note">
            <span className="muted">The engine says:</span> {f.engine_note}
          </p>
        )}
        <p className="muted small">
          {f.made_at && <>Made {formatDateTime(f.made_at)}</>}
          {f.note && <> · {f.note}</>}
        </p>
      </div>
    </Card>
  );
}
