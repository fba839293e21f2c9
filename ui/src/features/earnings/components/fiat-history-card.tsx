import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useBackend } from "../../../api/backend-context";
import type { FiatHistoryDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { ErrorState, LoadingState } from "../../../components/state-views";
import { protocolName } from "../../../utils/format";

const COLORS: Record<string, string> = {
  storj: "#2683ff",
  golem: "#8b5cf6",
  streamr: "#f97316",
  grass: "#16a34a",
};

const RANGE_DAYS: Record<string, number> = { day: 30, week: 182, month: 365 };

/** One chart row per bucket: each protocol's fiat as a number (display only; the table keeps it exact). */
export function chartRows(h: FiatHistoryDto): Array<Record<string, number | string>> {
  return h.buckets.map((b) => {
    const row: Record<string, number | string> = { start: b.start.slice(0, 10) };
    for (const p of b.protocols) row[p.protocol] = Number(p.fiat);
    return row;
  });
}

/**
 * What was earned in fiat, stacked per protocol, each day valued at its own day's price. Days
 * without a price are counted apart (never as 0), and Grass points are valued only at the
 * operator's own assumption, which the card says.
 */
export function FiatHistoryCard() {
  const backend = useBackend();
  const [bucket, setBucket] = useState("day");
  const history = useQuery({
    queryKey: ["fiat-history", bucket],
    queryFn: () => {
      const to = new Date(Date.now() + 86_400_000);
      const from = new Date(to.getTime() - (RANGE_DAYS[bucket] ?? 30) * 86_400_000);
      return backend.fiatHistory({ from: from.toISOString(), to: to.toISOString(), bucket });
    },
    refetchInterval: 15 * 60_000,
  });
  const data = history.data;
  const protocols = [...new Set(data?.buckets.flatMap((b) => b.protocols.map((p) => p.protocol)) ?? [])];
  const unpriced = data?.buckets.flatMap((b) => b.protocols).reduce((n, p) => n + p.unpriced_days, 0) ?? 0;
  const assumption = data?.buckets.some((b) => b.protocols.some((p) => p.assumption)) ?? false;
  return (
    <Card
      title="Earned in fiat"
      subtitle="Stacked per protocol; each day valued at the price of that day."
      actions={
        <label>
          Per
          <select value={bucket} onChange={(e) => setBucket(e.target.value)}>
            <option value="day">day</option>
            <option value="week">week</option>
            <option value="month">month</option>
          </select>
        </label>
      }
    >
      {history.isPending ? (
        <LoadingState />
      ) : !data ? (
        <ErrorState error={history.error} onRetry={() => void history.refetch()} compact />
      ) : data.buckets.length === 0 ? (
        <p className="muted">No earnings recorded in this range yet.</p>
      ) : (
        <>
          <div
            style={{ width: "100%", height: 260 }}
            role="img"
            aria-label={`Earned in ${data.fiat} per ${bucket}`}
          >
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={chartRows(data)}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="start" />
                <YAxis unit={` ${data.fiat.toUpperCase()}`} width={90} />
                <Tooltip />
                <Legend formatter={(v: string) => protocolName(v)} />
                {protocols.map((p) => (
                  <Bar key={p} dataKey={p} stackId="fiat" fill={COLORS[p] ?? "#64748b"} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          </div>
          {unpriced > 0 && (
            <p className="muted" data-testid="unpriced">
              {unpriced} day{unpriced === 1 ? "" : "s"} of earnings had no price and are not in the bars (not
              counted as 0).
            </p>
          )}
          {assumption && (
            <p className="muted" data-testid="assumption">
              Grass points are valued at your own stated value per point, an assumption, not a market price.
            </p>
          )}
        </>
      )}
    </Card>
  );
}
