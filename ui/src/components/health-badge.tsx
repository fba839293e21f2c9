import type { HealthState } from "../bindings";

const LABELS: Record<HealthState, string> = {
  healthy: "Healthy",
  degraded: "Degraded",
  unreachable: "Unreachable",
  unknown: "Unknown",
};

export function HealthBadge({ state }: { state: HealthState }) {
  return (
    <span className={`badge badge-${state}`} data-health={state}>
      <span className="dot" aria-hidden="true" />
      {LABELS[state]}
    </span>
  );
}
