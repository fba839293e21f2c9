// The forecast is the node's earnings per hour (p10/p50/p90, in its own token). On a cumulative
// figure (lifetime, this period's estimate) the coming hours add up after the last reading.
import type { EarningsPointDto, ForecastPointDto, MoneyDto } from "../../../bindings";
import { moneyFromUnits, sumByToken } from "../../../utils/money";

/** The figures the ML engine forecasts on: they grow by exactly the forecast rate. */
export const FORECAST_KINDS: ReadonlySet<string> = new Set(["lifetime", "current_period_estimate"]);

const HOUR = 3_600_000;

export interface BandPoint {
  t: number;
  p10: number;
  p50: number;
  p90: number;
  label: string;
}

function units(m: MoneyDto, decimals: number): bigint {
  try {
    return BigInt(m.base_units) * 10n ** BigInt(decimals - m.decimals);
  } catch {
    return 0n;
  }
}

/**
 * The band after `last`: at the end of every forecast hour, the last reading plus the hours so
 * far (each quantile summed on its own, so the band is wide rather than too narrow). Sums are
 * exact; only the plotted numbers are floats. Empty when the tokens differ.
 */
export function cumulativeBand(
  last: EarningsPointDto,
  points: readonly ForecastPointDto[],
  format: (m: MoneyDto) => string,
): BandPoint[] {
  const token = last.amount.token;
  if (points.length === 0 || points.some((p) => p.p50.token !== token)) return [];
  const decimals = Math.max(last.amount.decimals, ...points.map((p) => p.p50.decimals));
  const start = units(last.amount, decimals);
  const asNumber = (u: bigint) => Number(moneyFromUnits(token, u, decimals).decimal);
  const out: BandPoint[] = [
    {
      t: Date.parse(last.at),
      p10: asNumber(start),
      p50: asNumber(start),
      p90: asNumber(start),
      label: format(last.amount),
    },
  ];
  let [lo, mid, hi] = [start, start, start];
  const lastAt = Date.parse(last.at);
  for (const p of [...points].sort((a, b) => Date.parse(a.hour) - Date.parse(b.hour))) {
    lo += units(p.p10, decimals);
    mid += units(p.p50, decimals);
    hi += units(p.p90, decimals);
    const t = Math.max(Date.parse(p.hour) + HOUR, lastAt + 1);
    out.push({
      t,
      p10: asNumber(lo),
      p50: asNumber(mid),
      p90: asNumber(hi),
      label: format(moneyFromUnits(token, mid, decimals)),
    });
  }
  return out;
}

/** Each forecast hour as its own point (the rate, not added up), at the start of the hour. */
export function hourlyBand(
  points: readonly ForecastPointDto[],
  format: (m: MoneyDto) => string,
): BandPoint[] {
  return [...points]
    .sort((a, b) => Date.parse(a.hour) - Date.parse(b.hour))
    .map((p) => ({
      t: Date.parse(p.hour),
      p10: Number(p.p10.decimal),
      p50: Number(p.p50.decimal),
      p90: Number(p.p90.decimal),
      label: `${format(p.p50)}/h`,
    }));
}

/** The forecast hours added up per quantile, exactly. */
export function forecastTotals(points: readonly ForecastPointDto[]): {
  p10: MoneyDto;
  p50: MoneyDto;
  p90: MoneyDto;
} | null {
  const sum = (pick: (p: ForecastPointDto) => MoneyDto) => sumByToken(points.map(pick));
  const [p10, p50, p90] = [sum((p) => p.p10), sum((p) => p.p50), sum((p) => p.p90)];
  if (p50.length !== 1 || !p10[0] || !p50[0] || !p90[0]) return null;
  return { p10: p10[0], p50: p50[0], p90: p90[0] };
}
