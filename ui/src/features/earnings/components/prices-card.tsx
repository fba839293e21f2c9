import { usePrices } from "../../../api/use-prices";
import { Card } from "../../../components/card";
import { ErrorState, LoadingState } from "../../../components/state-views";
import { formatDateTime } from "../../../utils/format";

/**
 * The prices Orcha values earnings with right now. Each conversion stores the price it used, so
 * past figures keep the price of their day; this card shows today's.
 */
export function PricesCard() {
  const prices = usePrices();
  return (
    <Card
      title="Prices used"
      subtitle="Token amounts are exact; fiat values use these prices, and each stored conversion keeps the price it used."
    >
      {prices.isPending ? (
        <LoadingState />
      ) : !prices.data ? (
        <ErrorState error={prices.error} onRetry={() => void prices.refetch()} compact />
      ) : (
        <>
          <table className="table" data-testid="prices">
            <thead>
              <tr>
                <th scope="col">Asset</th>
                <th scope="col">Price</th>
                <th scope="col">Source</th>
                <th scope="col">As of</th>
              </tr>
            </thead>
            <tbody>
              {prices.data.prices.map((p) => (
                <tr key={p.asset} data-state={p.state}>
                  <td>{p.asset === "points" ? "1 Grass point" : p.asset.toUpperCase()}</td>
                  <td>
                    {p.value === null ? (
                      <span className="metric-not-measured">no price</span>
                    ) : (
                      <>
                        {p.value} {p.fiat.toUpperCase()}
                      </>
                    )}
                    {p.state === "stale" && <span className="tag tag-warn"> stale</span>}
                    {p.assumption && <span className="tag"> your assumption</span>}
                  </td>
                  <td>{p.source ?? "—"}</td>
                  <td>{p.observed_at ? formatDateTime(p.observed_at) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {prices.data.last_error && (
            <p className="field-error" role="alert">
              The price source failed: {prices.data.last_error}
            </p>
          )}
        </>
      )}
    </Card>
  );
}
