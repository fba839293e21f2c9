import type { HealthState, MetricValueDto } from "../bindings";
import { formatMetric } from "../utils/format";

interface MetricValueProps {
  metric: string;
  resources: readonly MetricValueDto[];
  health: HealthState;
  /** Dense tables show "—" for "not measured" (still styled and titled differently from zero). */
  compact?: boolean;
}

/**
 * One resource reading in its unit. Three states look different on purpose: the metric was never
 * measured (absent), the node is unreachable (the last known value, struck through), and zero.
 */
export function MetricValue({ metric, resources, health, compact = false }: MetricValueProps) {
  const found = resources.find((r) => r.metric === metric);
  if (!found) {
    return (
      <span
        className="metric metric-not-measured"
        data-state="not-measured"
        title="Not measured: this node does not report it"
      >
        {compact ? "—" : "not measured"}
      </span>
    );
  }
  const text = formatMetric(metric, found.value);
  if (health === "unreachable") {
    return (
      <span
        className="metric metric-unreachable"
        data-state="unreachable"
        title="Last known value; the node is unreachable"
      >
        <s>{text}</s>{" "}
        {compact ? (
          <span className="unreachable-dot" role="img" aria-label="unreachable" />
        ) : (
          <span className="tag tag-danger">unreachable</span>
        )}
      </span>
    );
  }
  if (found.value === 0) {
    return (
      <span className="metric metric-zero" data-state="zero">
        {text}
      </span>
    );
  }
  return (
    <span className="metric" data-state="measured">
      {text}
    </span>
  );
}
