// Decision fields: the plan is free text from the backend (usually JSON), the apply result and
// rollback are typed. Render each as readable rows.
import type { AppliedResultDto, RollbackDto } from "../../../bindings";
import { formatAmount, resourceLabel } from "./resources";

export interface PlanRow {
  label: string;
  value: string;
}

function flatten(value: unknown, prefix: string, out: PlanRow[]): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix} · ${k}` : k, out);
    return;
  }
  const text = Array.isArray(value) ? value.map(String).join(", ") : String(value);
  out.push({ label: prefix || "value", value: text });
}

function record(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** `{cpu: 4000, memory: 6e9}` as "CPU 4 cores, Memory 6 GB" (before → after when both given). */
function amountsText(after: unknown, before?: unknown): string {
  const a = record(after) ?? {};
  const b = record(before) ?? {};
  const parts = Object.entries(a).map(([k, v]) => {
    const was = b[k];
    const now = formatAmount(k, String(v));
    return `${resourceLabel(k)} ${was === undefined ? now : `${formatAmount(k, String(was))} → ${now}`}`;
  });
  return parts.length === 0 ? "no change" : parts.join(", ");
}

/** The plan the server writes (`nodes` array with current/changes). Null for anything else. */
function summarize(value: Record<string, unknown>): PlanRow[] | null {
  if (Array.isArray(value.nodes)) {
    const rows: PlanRow[] = [];
    for (const n of value.nodes.map(record)) {
      if (!n || typeof n.node !== "string") continue;
      const changes = record(n.changes) ?? {};
      if (Object.keys(changes).length === 0) continue;
      rows.push({ label: n.node, value: amountsText(changes, n.current) });
    }
    if (rows.length === 0) rows.push({ label: "nodes", value: "no change" });
    if (typeof value.source === "string")
      rows.push({
        label: "from",
        value: typeof value.solver === "string" ? `${value.source} (${value.solver})` : value.source,
      });
    return rows;
  }
  return null;
}

/** JSON objects become label/value rows; anything else is one row of text (null when empty). */
export function readPlan(text: string | null): PlanRow[] | string | null {
  if (!text || text.trim() === "") return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object") {
      const known = record(parsed) && summarize(parsed as Record<string, unknown>);
      if (known) return known;
      const rows: PlanRow[] = [];
      flatten(parsed, "", rows);
      return rows;
    }
  } catch {
    // Plain text, shown as such.
  }
  return text;
}

/** An apply result: its status, each node's change, and what failed. */
export function applyResultRows(result: AppliedResultDto): PlanRow[] {
  const rows: PlanRow[] = [{ label: "status", value: result.status.replaceAll("_", " ") }];
  for (const [node, change] of Object.entries(result.nodes ?? {}))
    if (change) rows.push({ label: node, value: amountsText(change.after, change.before) });
  if (result.failed_node) rows.push({ label: `${result.failed_node} failed`, value: result.error ?? "" });
  else if (result.error) rows.push({ label: "error", value: result.error });
  return rows;
}

/** A rollback: the nodes restored, and the errors of those that could not be. */
export function rollbackRows(rollback: RollbackDto): PlanRow[] {
  return [
    { label: "restored", value: Object.keys(rollback.restored).join(", ") || "none" },
    ...(rollback.errors.length > 0 ? [{ label: "errors", value: rollback.errors.join("; ") }] : []),
  ];
}
