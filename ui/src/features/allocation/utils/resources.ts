// Allocation amounts are whole numbers in base units (millicores, bytes, bits per second) as
// decimal strings. These helpers name and format them, and bound the what-if sliders.
import type { CapabilityDto, ResourceAmountDto } from "../../../bindings";
import { formatBps, formatBytes, formatCores } from "../../../utils/format";

export const RESOURCES = ["cpu", "memory", "disk", "bandwidth"] as const;

const LABELS: Record<string, string> = {
  cpu: "CPU",
  memory: "Memory",
  disk: "Disk",
  bandwidth: "Bandwidth",
};

export function resourceLabel(resource: string): string {
  return LABELS[resource] ?? resource;
}

/** The amount of `resource` in a list, or undefined when the list does not mention it. */
export function amountOf(list: readonly ResourceAmountDto[], resource: string): string | undefined {
  return list.find((a) => a.resource === resource)?.amount;
}

export function formatAmount(resource: string, amount: string | number): string {
  const v = typeof amount === "number" ? amount : Number(amount);
  if (!Number.isFinite(v)) return String(amount);
  if (resource === "cpu") return formatCores(v);
  if (resource === "memory" || resource === "disk") return formatBytes(v);
  if (resource === "bandwidth") return formatBps(v);
  return v.toLocaleString("en-US");
}

/** Resources a node's allocation mentions, in the canonical order. */
export function resourcesOf(...lists: ReadonlyArray<readonly ResourceAmountDto[]>): string[] {
  const seen = new Set(lists.flatMap((l) => l.map((a) => a.resource)));
  return [...RESOURCES.filter((r) => seen.has(r)), ...[...seen].filter((r) => !LABELS[r])];
}

export interface SliderBounds {
  min: number;
  max: number;
  step: number;
}

function numeric(text: string | undefined): number | null {
  if (text === undefined) return null;
  const v = Number(text.trim());
  return Number.isFinite(v) ? v : null;
}

/** Capabilities name resources `disk` or `disk_bytes`; both mean the allocation's `disk`. */
export function capabilityFor(
  capabilities: readonly CapabilityDto[],
  resource: string,
): CapabilityDto | undefined {
  const aliases: Record<string, string[]> = {
    cpu: ["cpu", "cpu_millicores"],
    memory: ["memory", "mem_bytes", "memory_bytes"],
    disk: ["disk", "disk_bytes"],
    bandwidth: ["bandwidth", "bandwidth_bps"],
  };
  const names = aliases[resource] ?? [resource];
  return capabilities.find((c) => names.includes(c.resource));
}

/**
 * The range a what-if slider may move in: the node's knob limits, capped by what the machine
 * grants, always wide enough to show the current and proposed amounts. Null when there is nothing
 * to move (no budget for the resource, or the knob is `none`).
 */
export function sliderBounds(
  capability: CapabilityDto | undefined,
  budget: string | undefined,
  known: ReadonlyArray<string | undefined>,
): SliderBounds | null {
  if (capability?.knob === "none") return null;
  const cap = numeric(budget);
  if (cap === null || cap <= 0) return null;
  const values = known.map(numeric).filter((v): v is number => v !== null);
  let min = Math.max(0, numeric(capability?.min) ?? 0);
  let max = Math.min(numeric(capability?.max) ?? cap, cap);
  // The knob's minimum does not fit in what the machine grants: nothing to try.
  if (max < min) return null;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  if (max <= min) return null;
  const step = numeric(capability?.step);
  const fallback = (max - min) / 200;
  return { min, max, step: step !== null && step > 0 && step <= max - min ? step : fallback };
}

/** Snaps a slider value onto the knob's grid (counted from `min`) and into the range. */
export function snap(value: number, b: SliderBounds): number {
  const steps = Math.round((value - b.min) / b.step);
  return Math.min(b.max, Math.max(b.min, Math.round(b.min + steps * b.step)));
}
