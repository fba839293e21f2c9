import { ErrorState, LoadingState } from "../../../components/state-views";
import { TimeSeriesChart } from "../../../components/time-series-chart";
import { chartUnit, formatMetric, metricLabel } from "../../../utils/format";
import { useSeries } from "../api/use-series";

const COLORS: Record<string, string> = {
  cpu_millicores: "var(--c-cpu)",
  mem_bytes: "var(--c-mem)",
  disk_used_bytes: "var(--c-disk)",
  disk_allocated_bytes: "var(--c-disk2)",
  bandwidth_up_bps: "var(--c-up)",
  bandwidth_down_bps: "var(--c-down)",
};

export function ResourceChart({
  node,
  metric,
  rangeHours,
}: {
  node: string;
  metric: string;
  rangeHours: number;
}) {
  const series = useSeries(node, metric, rangeHours);
  const { unit, convert } = chartUnit(metric);
  const last = series.data?.points.at(-1);
  return (
    <div className="resource-chart" data-testid={`chart-${metric}`}>
      <div className="resource-chart-head">
        <h3>{metricLabel(metric)}</h3>
        <span className="resource-chart-last">
          {last ? formatMetric(metric, last.value) : ""}
          {series.data && <span className="muted"> · {series.data.resolution}</span>}
        </span>
      </div>
      {series.isPending ? (
        <LoadingState label="Loading samples…" />
      ) : !series.data ? (
        <ErrorState error={series.error} onRetry={() => void series.refetch()} compact />
      ) : series.data.points.length === 0 ? (
        <div className="chart-empty" data-state="not-measured">
          Not measured in this range
        </div>
      ) : (
        <TimeSeriesChart
          ariaLabel={`${metricLabel(metric)} of ${node}`}
          unit={unit}
          height={150}
          color={COLORS[metric]}
          dateTicks={rangeHours > 48}
          points={series.data.points.map((p) => ({
            t: Date.parse(p.ts),
            value: convert(p.value),
            label: formatMetric(metric, p.value),
          }))}
        />
      )}
    </div>
  );
}
