// Query keys shared by the features and by the live-event cache updates in app/.
import type { AlertQuery } from "../bindings";

export const queryKeys = {
  status: ["status"] as const,
  nodes: ["nodes"] as const,
  seriesAll: ["series"] as const,
  series: (node: string, metric: string, rangeHours: number) => ["series", node, metric, rangeHours] as const,
  earningsAll: ["earnings-history"] as const,
  earnings: (node: string, kind: string, rangeDays: number) =>
    ["earnings-history", node, kind, rangeDays] as const,
  decisionsAll: ["decisions"] as const,
  decisions: (limit: number) => ["decisions", limit] as const,
  latestCycle: ["latest-cycle"] as const,
  allocation: ["allocation"] as const,
  responseCurves: ["response-curves"] as const,
  forecastAll: ["forecast"] as const,
  earningsTotals: ["earnings-totals"] as const,
  prices: ["prices"] as const,
  payouts: ["payouts"] as const,
  moneyScan: ["money-scan"] as const,
  alertsAll: ["alerts"] as const,
  alerts: (q: AlertQuery) => ["alerts", q.include_cleared] as const,
  fleet: ["fleet"] as const,
  secret: (key: string) => ["secret", key] as const,
};
