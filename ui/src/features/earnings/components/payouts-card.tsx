import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";
import type { MoneyScanEventDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { MoneyAmount } from "../../../components/money-amount";
import { ErrorState, LoadingState } from "../../../components/state-views";
import { formatDateTime, protocolName } from "../../../utils/format";

const KIND_LABELS: Record<string, string> = {
  payout: "Paid out",
  held: "Held back",
  released: "Held amount returned",
};

/**
 * Payouts as the nodes recorded them (Storj paystubs, Golem payments), each once, with the
 * transaction reference when the node gives one. "Read node records" fetches them again now;
 * what a node could not provide is listed under the table.
 */
export function PayoutsCard() {
  const backend = useBackend();
  const client = useQueryClient();
  const payouts = useQuery({
    queryKey: queryKeys.payouts,
    queryFn: () =>
      backend.payouts({ from: "2000-01-01T00:00:00Z", to: new Date(Date.now() + 86_400_000).toISOString() }),
    refetchInterval: 15 * 60_000,
  });
  // Progress of a running scan (the hourly one or "Read node records"), from live events.
  const progress = useQuery<MoneyScanEventDto | null>({
    queryKey: queryKeys.moneyScan,
    queryFn: () => null,
    enabled: false,
    initialData: null,
  }).data;
  const scan = useMutation({
    mutationFn: () => backend.scanPayouts(),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.payouts }),
  });
  return (
    <Card
      title="Payouts"
      subtitle="From each node's own record, stored once. Storj paystubs carry no date: they are dated the 1st of the month after the period."
      actions={
        <button type="button" className="button" onClick={() => scan.mutate()} disabled={scan.isPending}>
          {scan.isPending ? "Reading…" : "Read node records"}
        </button>
      }
    >
      {progress && !progress.finished && progress.total > 0 && (
        <div className="muted" data-testid="money-scan">
          <progress value={progress.done} max={progress.total} /> Reading node records: {progress.done} of{" "}
          {progress.total} nodes, {progress.added} new.
        </div>
      )}
      {scan.data && (
        <p className="muted" role="status">
          {scan.data.added.length} new {scan.data.added.length === 1 ? "entry" : "entries"},{" "}
          {scan.data.periods_added} past {scan.data.periods_added === 1 ? "period" : "periods"} of earnings.
          {scan.data.gaps.map((g) => (
            <span key={g.node}>
              {" "}
              {g.node}: {g.reason}.
            </span>
          ))}
        </p>
      )}
      {payouts.isPending ? (
        <LoadingState />
      ) : !payouts.data ? (
        <ErrorState error={payouts.error} onRetry={() => void payouts.refetch()} compact />
      ) : payouts.data.length === 0 ? (
        <p className="muted">No payout recorded yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="table" data-testid="payouts">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Node</th>
                <th scope="col">What</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">Reference</th>
              </tr>
            </thead>
            <tbody>
              {payouts.data.map((p) => (
                <tr key={`${p.node}|${p.at}|${p.kind}|${p.reference ?? ""}`} title={p.detail}>
                  <td>{formatDateTime(p.at)}</td>
                  <td>
                    {protocolName(p.protocol)} <span className="muted">{p.node}</span>
                  </td>
                  <td>{KIND_LABELS[p.kind] ?? p.kind}</td>
                  <td className="num">
                    <MoneyAmount amount={p.amount} />
                  </td>
                  <td className="mono">{p.reference ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
