// The Earned card's view of `GET /earnings/totals`: per window the fiat sum and what it means
// (a value, a real zero, no price, or not enough readings yet), which prices it used, and the
// exact amount of every token. Nothing is summed through floats.
import type {
  EarningsTotalsDto,
  MoneyDto,
  OverallEarningsDto,
  PriceDto,
  PricesDto,
  WindowEarningsDto,
} from "../../../bindings";
import { addDecimals, isZeroDecimal } from "./decimal";

export const WINDOW_LABELS: Record<string, string> = { today: "Today", "7d": "7 days", "30d": "30 days" };

/** `valued` and `zero` carry a fiat value; `no-price` has amounts none of which can be valued. */
export type FiatState = "valued" | "zero" | "no-price" | "no-readings";

export interface WindowView {
  window: string;
  label: string;
  state: FiatState;
  /** The fiat sum of the priced amounts, as the server computed it. */
  value: string | null;
  fiat: string;
  /** Every token's exact amount in this window. */
  amounts: Map<string, MoneyDto>;
  /** Tokens left out of the fiat sum: they have no price. */
  unpriced: Set<string>;
  /** Tokens whose price used here is stale. */
  stale: string[];
}

export interface TokenPrice {
  token: string;
  price: PriceDto | null;
}

function hasPrice(p: PriceDto | null | undefined): p is PriceDto {
  return !!p && p.value !== null && p.state !== "none";
}

/**
 * The price a token is valued with: the one the server used for a node's window, else the
 * feed's current price of the same asset. Null: no price.
 */
export function priceOfToken(
  token: string,
  totals: EarningsTotalsDto,
  prices: PricesDto | undefined,
): PriceDto | null {
  for (const n of totals.nodes)
    for (const w of n.windows) {
      const used = w.fiat?.price;
      if (w.amount?.token === token && hasPrice(used)) return used;
    }
  const listed = prices?.prices.find((p) => p.asset === token);
  return hasPrice(listed) ? listed : null;
}

export function fiatState(value: string | null, hasAmounts: boolean): FiatState {
  if (!hasAmounts) return "no-readings";
  if (value === null) return "no-price";
  return isZeroDecimal(value) ? "zero" : "valued";
}

export function windowView(
  overall: OverallEarningsDto,
  totals: EarningsTotalsDto,
  prices: PricesDto | undefined,
): WindowView {
  const unpriced = new Set(overall.unpriced.map((m) => m.token));
  const stale = overall.amounts
    .map((m) => m.token)
    .filter((t) => !unpriced.has(t) && priceOfToken(t, totals, prices)?.state === "stale");
  return {
    window: overall.window,
    label: WINDOW_LABELS[overall.window] ?? overall.window,
    state: fiatState(overall.fiat.value, overall.amounts.length > 0),
    value: overall.fiat.value,
    fiat: overall.fiat.fiat || totals.fiat,
    amounts: new Map(overall.amounts.map((m) => [m.token, m])),
    unpriced,
    stale,
  };
}

/** The tokens of every window, in the order the server lists them. */
export function tokensOf(totals: EarningsTotalsDto): string[] {
  const seen = new Set<string>();
  for (const o of totals.overall) for (const m of o.amounts) seen.add(m.token);
  return [...seen];
}

/** Nodes with no amount in any window: fewer than two readings so far. */
export function nodesWithoutReadings(totals: EarningsTotalsDto): string[] {
  return totals.nodes.filter((n) => n.windows.every((w) => !w.amount)).map((n) => n.node);
}

export interface NodesFiat {
  state: FiatState;
  value: string | null;
  fiat: string;
  /** Tokens valued with a stale price. */
  stale: string[];
}

/**
 * Several nodes' fiat in one window (a protocol card's "today"): the sum of the valued ones;
 * `no-price` when some earned but none can be valued, `no-readings` when none has an amount.
 */
export function sumNodesWindow(
  totals: EarningsTotalsDto,
  nodeIds: readonly string[],
  window: string,
): NodesFiat {
  const windows: WindowEarningsDto[] = totals.nodes
    .filter((n) => nodeIds.includes(n.node))
    .flatMap((n) => n.windows.filter((w) => w.window === window));
  const withAmount = windows.filter((w) => w.amount);
  let value: string | null = null;
  const stale = new Set<string>();
  for (const w of withAmount) {
    const v = w.fiat?.value;
    if (v === null || v === undefined) continue;
    value = value === null ? v : (addDecimals(value, v) ?? value);
    if (w.amount && w.fiat?.price?.state === "stale") stale.add(w.amount.token);
  }
  return { state: fiatState(value, withAmount.length > 0), value, fiat: totals.fiat, stale: [...stale] };
}
