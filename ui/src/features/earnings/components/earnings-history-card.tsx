import type { NodeDto } from "../../../bindings";
import { MoneyAmount } from "../../../components/money-amount";
import { StaleNotice } from "../../../components/stale-notice";
import { EmptyState, ErrorState, LoadingState } from "../../../components/state-views";
import { TimeSeriesChart } from "../../../components/time-series-chart";
import { earningsKindLabel, formatDateTime } from "../../../utils/format";
import { formatMoney, moneyToChartNumber, tokenLabel } from "../../../utils/money";
import { useEarningsHistory } from "../api/use-earnings-history";
import { findPayouts, pointsByToken } from "../utils/payouts";

export function EarningsHistoryCard({
  node,
  kind,
  rangeDays,
}: {
  node: NodeDto;
  kind: string;
  rangeDays: number;
}) {
  const history = useEarningsHistory(node.id, kind, rangeDays);
  if (history.isPending) return <LoadingState label="Loading history…" />;
  if (!history.data)
    return <ErrorState error={history.error} onRetry={() => void history.refetch()} compact />;
  const points = history.data.points;
  if (points.length === 0)
    return (
      <EmptyState title={`No ${earningsKindLabel(kind).toLowerCase()} history in this range`}>
        Orcha records a point every time it polls the node; try a longer range.
      </EmptyState>
    );
  const payouts = kind === "unpaid" ? findPayouts(points) : [];
  const byToken = pointsByToken(points);

  return (
    <div className="history">
      <StaleNotice updatedAt={history.dataUpdatedAt} isError={history.isError} />
      {[...byToken.entries()].map(([token, list]) => (
        <TimeSeriesChart
          key={token}
          ariaLabel={`${earningsKindLabel(kind)} in ${tokenLabel(token)}`}
          unit={tokenLabel(token)}
          dateTicks={rangeDays > 2}
          color={token === "points" ? "var(--points)" : "var(--accent)"}
          height={240}
          points={list.map((p) => ({
            t: Date.parse(p.at),
            value: moneyToChartNumber(p.amount),
            label: formatMoney(p.amount),
          }))}
          markers={payouts
            .filter((p) => p.amount.token === token)
            .map((p) => ({
              t: Date.parse(p.at),
              value: moneyToChartNumber(p.after),
              label: formatMoney(p.amount),
            }))}
        />
      ))}
      {kind === "unpaid" && (
        <div className="payouts">
          <h3>Payouts in this range</h3>
          {payouts.length === 0 ? (
            <p className="muted">No payout: the unpaid balance did not drop in this range.</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col" className="num">
                    Paid out
                  </th>
                  <th scope="col" className="num">
                    Unpaid before → after
                  </th>
                </tr>
              </thead>
              <tbody>
                {payouts.map((p) => (
                  <tr key={`${p.at}-${p.amount.token}`} data-testid="payout-row">
                    <td>{formatDateTime(p.at)}</td>
                    <td className="num">
                      <MoneyAmount amount={p.amount} />
                    </td>
                    <td className="num muted">
                      {formatMoney(p.before)} → {formatMoney(p.after)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  );
}
