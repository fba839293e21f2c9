// The per-node outcome of applying a plan, read from the decision's `applied_result` and
// `rollback` JSON (written by the apply transaction).
import type { DecisionDto } from "../../../bindings";

export type NodeOutcome = "applied" | "rolled_back" | "failed" | "not_changed";

export interface NodeResult {
  node: string;
  outcome: NodeOutcome;
  detail: string;
}

export interface ApplyOutcome {
  /** `applied`, `rolled_back` or `refused`. */
  status: string;
  error: string | null;
  nodes: NodeResult[];
}

function record(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function parse(text: string | null): Record<string, unknown> | null {
  if (!text) return null;
  try {
    return record(JSON.parse(text));
  } catch {
    return null;
  }
}

/**
 * Reads the outcome of `decision` for the nodes the plan changed (`changed`). Null while the
 * decision has no readable result yet.
 */
export function readApplyOutcome(
  decision: DecisionDto | undefined,
  changed: readonly string[],
): ApplyOutcome | null {
  const applied = parse(decision?.applied_result ?? null);
  if (!applied || typeof applied.status !== "string") return null;
  const rollback = parse(decision?.rollback ?? null);
  const done = record(applied.nodes) ?? {};
  const restored = record(rollback?.restored) ?? {};
  const failedNode = typeof applied.failed_node === "string" ? applied.failed_node : null;
  const error = typeof applied.error === "string" ? applied.error : null;
  const names = [...new Set([...changed, ...Object.keys(done), ...(failedNode ? [failedNode] : [])])];
  const nodes = names.map((node): NodeResult => {
    if (node === failedNode) return { node, outcome: "failed", detail: error ?? "the change failed" };
    if (applied.status === "rolled_back" && (node in restored || node in done))
      return { node, outcome: "rolled_back", detail: "restored to its last good allocation" };
    const entry = record(done[node]);
    if (entry && applied.status === "applied") {
      const restart =
        entry.restarted === true ? "restarted" : entry.restart_pending === true ? "restart pending" : "";
      return {
        node,
        outcome: "applied",
        detail: ["written and read back", restart].filter(Boolean).join("; "),
      };
    }
    return {
      node,
      outcome: "not_changed",
      detail: applied.status === "refused" ? "nothing was changed" : "not reached",
    };
  });
  return { status: applied.status, error, nodes };
}
