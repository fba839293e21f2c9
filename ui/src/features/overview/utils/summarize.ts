import type { EarningsFigureDto, HealthState, MoneyDto, NodeDto } from "../../../bindings";
import { sumByToken } from "../../../utils/money";

const SEVERITY: Record<HealthState, number> = { healthy: 0, unknown: 1, degraded: 2, unreachable: 3 };

/** The state that needs the most attention among several nodes. */
export function worstHealth(states: readonly HealthState[]): HealthState {
  return states.reduce<HealthState>((worst, s) => (SEVERITY[s] > SEVERITY[worst] ? s : worst), "healthy");
}

export interface ProtocolSummary {
  protocol: string;
  nodes: NodeDto[];
  health: HealthState;
  /** Per earnings kind, the exact per-token totals over the protocol's nodes. */
  earnings: Map<string, MoneyDto[]>;
  lastObservedAt: string | null;
}

export const OVERVIEW_KINDS = ["current_period_estimate", "unpaid", "lifetime"] as const;

export function summarizeByProtocol(nodes: readonly NodeDto[]): ProtocolSummary[] {
  const byProtocol = new Map<string, NodeDto[]>();
  for (const n of nodes) byProtocol.set(n.protocol, [...(byProtocol.get(n.protocol) ?? []), n]);
  return [...byProtocol.entries()].map(([protocol, list]) => {
    const figures: EarningsFigureDto[] = list.flatMap((n) => n.earnings);
    const earnings = new Map<string, MoneyDto[]>();
    for (const kind of OVERVIEW_KINDS) {
      const amounts = figures.filter((f) => f.kind === kind).map((f) => f.amount);
      if (amounts.length > 0) earnings.set(kind, sumByToken(amounts));
    }
    const times = figures.map((f) => f.observed_at).sort();
    return {
      protocol,
      nodes: list,
      health: list.length === 0 ? "unknown" : worstHealth(list.map((n) => n.health.state)),
      earnings,
      lastObservedAt: times.at(-1) ?? null,
    };
  });
}
