import { formatFiatValue } from "../utils/decimal";
import type { FiatState } from "../utils/totals";

/** One fiat figure; a value, a real zero, "no price" and "not enough readings yet" all look different. */
export function FiatValue({
  state,
  value,
  fiat,
  noReadings = "not enough readings yet",
}: {
  state: FiatState;
  value: string | null;
  fiat: string;
  noReadings?: string;
}) {
  if (state === "no-readings")
    return (
      <span
        className="metric-not-measured fiat-none"
        data-state="no-readings"
        title="Fewer than two readings cover this period: nothing can be said yet"
      >
        {noReadings}
      </span>
    );
  if (state === "no-price" || value === null)
    return (
      <span
        className="tag tag-muted no-price"
        data-state="no-price"
        title="No price is known for these tokens: see the exact amounts"
      >
        no price
      </span>
    );
  return (
    <span
      className={`fiat-value ${state === "zero" ? "money-zero" : ""}`.trim()}
      data-state={state}
      title={`${value} ${fiat.toUpperCase()}`}
    >
      {formatFiatValue(value, fiat)}
    </span>
  );
}

/** Marks a fiat figure computed with a price the market source has not refreshed lately. */
export function StalePrice({ tokens }: { tokens: readonly string[] }) {
  if (tokens.length === 0) return null;
  const names = tokens.map((t) => t.toUpperCase()).join(", ");
  return (
    <span
      className="tag tag-warn stale-price"
      data-testid="stale-price"
      title={`The price of ${names} has not been refreshed lately; the last known price is used`}
    >
      stale price
    </span>
  );
}
