// A node's next hours in one line: the forecast hours added up per quantile, exactly, and the
// p50 in fiat when the token has a price.
import type { ForecastPointDto, MoneyDto, PriceDto } from "../../../bindings";
import { sumByToken } from "../../../utils/money";
import { multiplyDecimals } from "./decimal";

export interface ForecastSums {
  hours: number;
  p10: MoneyDto;
  p50: MoneyDto;
  p90: MoneyDto;
}

/** Null without points, or when the hours are not all in one token. */
export function sumForecast(points: readonly ForecastPointDto[]): ForecastSums | null {
  const sum = (pick: (p: ForecastPointDto) => MoneyDto) => sumByToken(points.map(pick));
  const [p10, p50, p90] = [sum((p) => p.p10), sum((p) => p.p50), sum((p) => p.p90)];
  if (p50.length !== 1 || p10.length !== 1 || p90.length !== 1) return null;
  const [lo, mid, hi] = [p10[0], p50[0], p90[0]];
  if (!lo || !mid || !hi) return null;
  return { hours: points.length, p10: lo, p50: mid, p90: hi };
}

/** `amount` in `fiat`: itself when the token is the fiat, else times the price; null: no price. */
export function toFiat(amount: MoneyDto, fiat: string, price: PriceDto | null): string | null {
  if (amount.token === fiat) return amount.decimal;
  if (!price?.value || price.state === "none") return null;
  return multiplyDecimals(amount.decimal, price.value);
}
