import type { UseQueryResult } from "@tanstack/react-query";
import { BackendError } from "../../../api/backend";
import { usePrices } from "../../../api/use-prices";
import type { ForecastDto, NodeDto, PricesDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { MoneyAmount } from "../../../components/money-amount";
import { formatDateTime, protocolName } from "../../../utils/format";
import { OVERVIEW_FORECAST_HOURS, useForecasts } from "../api/use-forecasts";
import { isZeroDecimal } from "../utils/decimal";
import { sumForecast, toFiat } from "../utils/forecast";
import { FiatValue } from "./fiat-value";

const NO_FORECAST = "no forecast yet (the ML engine needs more history)";

function NoForecast({ note }: { note?: string }) {
  return (
    <td colSpan={3}>
      <span className="metric-not-measured" data-testid="no-forecast" title={note || undefined}>
        {NO_FORECAST}
      </span>
    </td>
  );
}

function ForecastCells({
  query,
  fiat,
}: {
  query: UseQueryResult<ForecastDto>;
  /** The fiat code with the feed's prices; null while they are unknown. */
  fiat: { code: string; prices: PricesDto } | null;
}) {
  if (query.isPending)
    return (
      <td colSpan={3} className="muted">
        Loading…
      </td>
    );
  if (!query.data) {
    // No stored forecast can also come back as "not found"; anything else is a real failure.
    if (query.error instanceof BackendError && query.error.code === "not_found")
      return <NoForecast note={query.error.message} />;
    return (
      <td colSpan={3}>
        <span className="tag tag-warn">forecast unavailable</span>{" "}
        <span className="muted small">{query.error instanceof Error ? query.error.message : ""}</span>
      </td>
    );
  }
  const f = query.data;
  const sums = sumForecast(f.points);
  if (!sums) return <NoForecast note={f.note} />;
  const price = fiat?.prices.prices.find((p) => p.asset === sums.p50.token) ?? null;
  const value = fiat ? toFiat(sums.p50, fiat.code, price) : null;
  const about = [f.model && `model ${f.model}`, f.made_at && `made ${formatDateTime(f.made_at)}`, f.note]
    .filter(Boolean)
    .join(" · ");
  return (
    <>
      <td data-testid="forecast-p50" title={about || undefined}>
        <MoneyAmount amount={sums.p50} />
        {sums.hours < OVERVIEW_FORECAST_HOURS && <span className="stat-sub">next {sums.hours} h only</span>}
      </td>
      <td className="muted">
        <MoneyAmount amount={sums.p10} /> – <MoneyAmount amount={sums.p90} />
      </td>
      <td>
        {fiat ? (
          <FiatValue
            state={value === null ? "no-price" : isZeroDecimal(value) ? "zero" : "valued"}
            value={value}
            fiat={fiat.code}
          />
        ) : (
          <span className="metric-not-measured">—</span>
        )}
      </td>
    </>
  );
}

/** Every node's expected earnings over the next 24 hours (p50, with the p10–p90 range). */
export function ForecastCard({ nodes }: { nodes: readonly NodeDto[] }) {
  const queries = useForecasts(nodes.map((n) => n.id));
  const prices = usePrices();
  const currency = prices.data?.fiat.toLowerCase() ?? null;
  return (
    <Card
      className="forecast-card"
      aria-label="Earnings forecast"
      title="Earnings forecast"
      subtitle={`Next ${OVERVIEW_FORECAST_HOURS} h per node · an estimate, never a promise`}
    >
      <div className="table-scroll">
        <table className="mini-table forecast-table">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Expected (p50)</th>
              <th scope="col">Range (p10–p90)</th>
              <th scope="col">{currency ? `In ${currency.toUpperCase()}` : "In your currency"}</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((n, i) => {
              const query = queries[i];
              return (
                <tr key={n.id} data-node={n.id}>
                  <th scope="row">
                    <a href={`#/nodes/${encodeURIComponent(n.id)}`}>
                      {protocolName(n.protocol)} · {n.name}
                    </a>
                  </th>
                  {query ? (
                    <ForecastCells
                      query={query}
                      fiat={currency && prices.data ? { code: currency, prices: prices.data } : null}
                    />
                  ) : (
                    <NoForecast />
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="card-footnote">
        Hourly p10/p50/p90 from the ML engine, added up; the range is wide on purpose.
      </p>
    </Card>
  );
}
