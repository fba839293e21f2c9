// The per-node outcome of applying a plan, read from the decision's typed `applied_result` and
// `rollback` (written by the apply transaction).
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

/**
 * Reads the outcome of `decision` for the nodes the plan changed (`changed`). Null while the
 * decision has no readable result yet.
 */
export function readApplyOutcome(
  decision: DecisionDto | undefined,
  changed: readonly string[],
): ApplyOutcome | null {
  const applied = decision?.applied_result ?? null;
  if (!applied) return null;
  const done = applied.nodes ?? {};
  const restored = decision?.rollback?.restored ?? {};
  const failedNode = applied.failed_node ?? null;
  const error = applied.error ?? null;
  const names = [...new Set([...changed, ...Object.keys(done), ...(failedNode ? [failedNode] : [])])];
  const nodes = names.map((node): NodeResult => {
    if (node === failedNode) return { node, outcome: "failed", detail: error ?? "the change failed" };
    if (applied.status === "rolled_back" && (node in restored || node in done))
      return { node, outcome: "rolled_back", detail: "restored to its last good allocation" };
    const entry = done[node];
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
