import type { ReactNode } from "react";
import { usePrices } from "../../../api/use-prices";
import type { EarningsTotalsDto, PriceDto, PricesDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { MoneyAmount } from "../../../components/money-amount";
import { ErrorState, LoadingState } from "../../../components/state-views";
import { formatRelative } from "../../../utils/format";
import { tokenLabel } from "../../../utils/money";
import { useEarningsTotals } from "../api/use-earnings-totals";
import { formatFiatValue } from "../utils/decimal";
import { nodesWithoutReadings, priceOfToken, tokensOf, type WindowView, windowView } from "../utils/totals";
import { FiatValue, StalePrice } from "./fiat-value";

/** A price as it is quoted: enough decimals for a point's tenth of a cent. */
function priceText(p: PriceDto): string {
  const value = p.value ?? "0";
  const frac = value.split(".")[1]?.replace(/0+$/, "").length ?? 0;
  return formatFiatValue(value, p.fiat, Math.min(6, Math.max(2, frac)));
}

function TokenHeader({
  token,
  fiat,
  price,
  unpriced,
  now,
}: {
  token: string;
  fiat: string;
  price: PriceDto | null;
  unpriced: boolean;
  now: number;
}) {
  const label = tokenLabel(token);
  let detail: ReactNode = null;
  if (token === fiat) detail = null;
  else if (unpriced || !price)
    detail = (
      <span className="tag tag-muted no-price" data-state="no-price">
        no price — shown in {label}
      </span>
    );
  else {
    const source = [
      price.assumption ? "your value per point (protocols.grass.points_value)" : price.source,
      price.observed_at ? `since ${formatRelative(price.observed_at, now)}` : null,
    ]
      .filter(Boolean)
      .join(", ");
    detail = (
      <span className="earned-price" title={source}>
        {token === "points" ? "1 pt" : `1 ${label}`} = {priceText(price)}
        {price.assumption && (
          <span className="tag tag-accent assumption" data-testid="price-assumption">
            your assumption
          </span>
        )}
        {price.state === "stale" && <StalePrice tokens={[token]} />}
      </span>
    );
  }
  return (
    <th scope="row">
      <span className="earned-token">{label}</span>
      {detail}
    </th>
  );
}

function TotalCell({ view }: { view: WindowView }) {
  const left = [...view.unpriced];
  return (
    <td className="num" data-window={view.window} data-testid={`earned-${view.window}`}>
      <div className="earned-total">
        <FiatValue state={view.state} value={view.value} fiat={view.fiat} />
        <StalePrice tokens={view.stale} />
      </div>
      {view.state !== "no-price" && left.length > 0 && (
        <span className="earned-note">without {left.map(tokenLabel).join(", ")} (no price)</span>
      )}
    </td>
  );
}

export function EarnedTable({
  totals,
  prices,
  now,
}: {
  totals: EarningsTotalsDto;
  prices: PricesDto | undefined;
  now: number;
}) {
  const views = totals.overall.map((o) => windowView(o, totals, prices));
  const tokens = tokensOf(totals);
  const waiting = nodesWithoutReadings(totals);
  const fiat = totals.fiat;
  return (
    <>
      <div className="table-scroll">
        <table className="mini-table earned-table">
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">Token</span>
              </th>
              {views.map((v) => (
                <th scope="col" className="num" key={v.window}>
                  {v.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr className="earned-total-row">
              <th scope="row">In {fiat.toUpperCase()}</th>
              {views.map((v) => (
                <TotalCell key={v.window} view={v} />
              ))}
            </tr>
            {tokens.map((t) => (
              <tr key={t} data-token={t}>
                <TokenHeader
                  token={t}
                  fiat={fiat}
                  price={priceOfToken(t, totals, prices)}
                  unpriced={views.some((v) => v.unpriced.has(t))}
                  now={now}
                />
                {views.map((v) => {
                  const m = v.amounts.get(t);
                  return (
                    <td className="num" key={v.window}>
                      {m ? (
                        <MoneyAmount amount={m} />
                      ) : (
                        <span className="metric-not-measured" title="Fewer than two readings in this period">
                          —
                        </span>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="card-footnote">
        {waiting.length > 0 && <>Not enough readings yet: {waiting.join(", ")}. </>}
        {prices && (
          <>
            Prices from {prices.source}
            {prices.last_refresh && `, refreshed ${formatRelative(prices.last_refresh, now)}`}.
            {prices.last_error && <span className="text-warn"> Price feed: {prices.last_error}</span>}
          </>
        )}
      </p>
    </>
  );
}

/** What all nodes earned today, over 7 and 30 days: in fiat, and exactly in every token. */
export function EarnedCard({ now }: { now: number }) {
  const totals = useEarningsTotals();
  const prices = usePrices();
  return (
    <Card
      className="earned-card"
      aria-label="Earned"
      title="Earned"
      subtitle={`All nodes${totals.data ? `, in ${totals.data.fiat.toUpperCase()}` : ""} · today since 00:00 UTC`}
    >
      {totals.isPending ? (
        <LoadingState label="Adding up the earnings…" />
      ) : totals.data ? (
        <EarnedTable totals={totals.data} prices={prices.data} now={now} />
      ) : (
        <ErrorState error={totals.error} onRetry={() => void totals.refetch()} compact />
      )}
    </Card>
  );
}
