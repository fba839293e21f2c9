// Formatting of the fleet's fiat windows and resource sums, shared by the totals and the rows.
import type { FiatWindowDto, ResourceAmountFleetDto } from "../../../bindings";
import { formatMetric } from "../../../utils/format";

export const WINDOWS = ["today", "7d", "30d"] as const;
export const WINDOW_LABELS: Record<(typeof WINDOWS)[number], string> = {
  today: "Today",
  "7d": "7 days",
  "30d": "30 days",
};

/** `12.34 USD` per currency the window has, or an em dash when the machine reported none. */
export function fiatIn(earnings: readonly FiatWindowDto[], window: string): string {
  const parts = earnings
    .filter((e) => e.window === window)
    .map(
      (e) =>
        `${e.value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${e.fiat.toUpperCase()}`,
    );
  return parts.length > 0 ? parts.join(" · ") : "—";
}

/** The `resource` label of `orcha_node_allocation` (base units) → its label and the metric it formats as. */
const RESOURCES: Record<string, { label: string; metric: string }> = {
  cpu: { label: "CPU", metric: "cpu_millicores" },
  memory: { label: "Memory", metric: "memory_bytes" },
  disk: { label: "Disk", metric: "disk_bytes" },
  bandwidth: { label: "Bandwidth", metric: "bandwidth_bps" },
};

export function allocationSummary(allocation: readonly ResourceAmountFleetDto[]): string {
  if (allocation.length === 0) return "—";
  return allocation
    .map((a) => {
      const r = RESOURCES[a.resource] ?? { label: a.resource, metric: a.resource };
      return `${r.label} ${formatMetric(r.metric, a.amount)}`;
    })
    .join(" · ");
}
