import type { UseQueryResult } from "@tanstack/react-query";
import type { ForecastDto } from "../../../bindings";
import { formatDateTime } from "../../../utils/format";
import { formatMoney } from "../../../utils/money";
import { forecastTotals } from "../utils/forecast";

/** The caption under the chart: what the band says, or why there is none. */
export function ForecastSummary({ forecast }: { forecast: UseQueryResult<ForecastDto> }) {
  if (forecast.isPending) return <p className="muted small">Loading the forecast…</p>;
  if (!forecast.data)
    return (
      <p className="muted small" data-testid="forecast-note">
        <span className="tag tag-warn">forecast unavailable</span>{" "}
        {forecast.error instanceof Error ? forecast.error.message : String(forecast.error)}
      </p>
    );
  const f = forecast.data;
  const totals = forecastTotals(f.points);
  if (f.points.length === 0 || !totals)
    return (
      <p className="muted small" data-testid="forecast-note">
        <span className="tag tag-muted">no forecast</span>{" "}
        {f.note || "The ML engine has not forecast this node."}
      </p>
    );
  return (
    <div className="forecast-summary" data-testid="forecast-summary">
      <p>
        <span className="legend-swatch legend-band" aria-hidden="true" />
        <span className="legend-swatch legend-p50" aria-hidden="true" />
        <span className="tag tag-accent">estimate</span> Next {f.points.length} h: about{" "}
        <strong>+{formatMoney(totals.p50)}</strong> (p50), between +{formatMoney(totals.p10)} and +
        {formatMoney(totals.p90)} (p10–p90 of each hour, added up).
      </p>
      <p className="muted small">
        {f.model && (
          <>
            Model {f.model}
            {f.model_version && f.model_version !== f.model && ` (${f.model_version})`}
          </>
        )}
        {f.made_at && <> · made {formatDateTime(f.made_at)}</>}
        {f.note && <> · {f.note}</>}
      </p>
    </div>
  );
}
