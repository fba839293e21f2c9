import type { NodeDto } from "../../../bindings";
import { MoneyAmount } from "../../../components/money-amount";
import { StaleNotice } from "../../../components/stale-notice";
import { EmptyState, ErrorState, LoadingState } from "../../../components/state-views";
import { TimeSeriesChart } from "../../../components/time-series-chart";
import { earningsKindLabel, formatDateTime } from "../../../utils/format";
import { formatMoney, moneyToChartNumber, tokenLabel } from "../../../utils/money";
import { useEarningsHistory } from "../api/use-earnings-history";
import { useForecast } from "../api/use-forecast";
import { cumulativeBand, FORECAST_KINDS, hourlyBand } from "../utils/forecast";
import { findPayouts, pointsByToken } from "../utils/payouts";
import { ForecastChart } from "./forecast-chart";
import { ForecastSummary } from "./forecast-summary";

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
  const forecast = useForecast(FORECAST_KINDS.has(kind) ? node.id : null);
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
      {[...byToken.entries()].map(([token, list]) => {
        const chartPoints = list.map((p) => ({
          t: Date.parse(p.at),
          value: moneyToChartNumber(p.amount),
          label: formatMoney(p.amount),
        }));
        const last = list.at(-1);
        const band =
          last && FORECAST_KINDS.has(kind) && forecast.data
            ? cumulativeBand(last, forecast.data.points, formatMoney)
            : [];
        const color = token === "points" ? "var(--points)" : "var(--accent)";
        const label = `${earningsKindLabel(kind)} in ${tokenLabel(token)}`;
        return band.length > 1 ? (
          <ForecastChart
            key={token}
            ariaLabel={`${label}, with forecast`}
            unit={tokenLabel(token)}
            dateTicks={rangeDays > 2}
            color={color}
            history={chartPoints}
            band={band}
            formatRange={(b) => `${b.p10.toLocaleString("en-US")} – ${b.p90.toLocaleString("en-US")}`}
          />
        ) : (
          <TimeSeriesChart
            key={token}
            ariaLabel={label}
            unit={tokenLabel(token)}
            dateTicks={rangeDays > 2}
            color={color}
            height={240}
            points={chartPoints}
            markers={payouts
              .filter((p) => p.amount.token === token)
              .map((p) => ({
                t: Date.parse(p.at),
                value: moneyToChartNumber(p.after),
                label: formatMoney(p.amount),
              }))}
          />
        );
      })}
      {FORECAST_KINDS.has(kind) ? (
        <>
          <ForecastSummary forecast={forecast} />
          {forecast.data && forecast.data.points.length > 1 && forecast.data.points[0] && (
            <ForecastChart
              ariaLabel="Forecast earnings per hour"
              unit={`${tokenLabel(forecast.data.points[0].p50.token)}/h`}
              height={150}
              dateTicks={false}
              color="var(--forecast)"
              history={[]}
              band={hourlyBand(forecast.data.points, formatMoney)}
              anchored={false}
              formatRange={(b) => `${b.p10.toLocaleString("en-US")} – ${b.p90.toLocaleString("en-US")}`}
            />
          )}
        </>
      ) : (
        <p className="muted small">The earnings forecast is drawn on the lifetime figure.</p>
      )}
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
