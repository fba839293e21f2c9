// Money arithmetic on integer base units. Amounts are summed only within one token and never
// through floats; `decimal` strings from the server are what gets shown.
import type { MoneyDto } from "../bindings";

/** Grass points are a score, not money; they never join a money total. */
export const NON_MONEY_TOKENS: ReadonlySet<string> = new Set(["points"]);

export function isMoneyToken(token: string): boolean {
  return !NON_MONEY_TOKENS.has(token);
}

function toBigInt(baseUnits: string): bigint {
  try {
    return BigInt(baseUnits);
  } catch {
    return 0n;
  }
}

/** Renders `units` / 10^decimals as an exact decimal string (no trailing zeros beyond one). */
export function unitsToDecimal(units: bigint, decimals: number): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  if (decimals <= 0) return `${negative ? "-" : ""}${abs.toString()}`;
  const s = abs.toString().padStart(decimals + 1, "0");
  const int = s.slice(0, s.length - decimals);
  const frac = s.slice(s.length - decimals).replace(/0+$/, "");
  return `${negative ? "-" : ""}${int}${frac ? `.${frac}` : ""}`;
}

/** Builds a MoneyDto from base units, keeping `decimal` consistent with them. */
export function moneyFromUnits(token: string, units: bigint, decimals: number): MoneyDto {
  return { token, base_units: units.toString(), decimals, decimal: unitsToDecimal(units, decimals) };
}

function scale(m: MoneyDto, decimals: number): bigint {
  return toBigInt(m.base_units) * 10n ** BigInt(decimals - m.decimals);
}

/** Sums amounts per token (exact, BigInt); the result is ordered by token name. */
export function sumByToken(amounts: readonly MoneyDto[]): MoneyDto[] {
  const byToken = new Map<string, MoneyDto[]>();
  for (const m of amounts) {
    const list = byToken.get(m.token) ?? [];
    list.push(m);
    byToken.set(m.token, list);
  }
  return [...byToken.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([token, list]) => {
      const decimals = Math.max(...list.map((m) => m.decimals));
      const total = list.reduce((acc, m) => acc + scale(m, decimals), 0n);
      return moneyFromUnits(token, total, decimals);
    });
}

/** `a - b` for the same token; null when the tokens differ. */
export function subtractMoney(a: MoneyDto, b: MoneyDto): MoneyDto | null {
  if (a.token !== b.token) return null;
  const decimals = Math.max(a.decimals, b.decimals);
  return moneyFromUnits(a.token, scale(a, decimals) - scale(b, decimals), decimals);
}

/** -1, 0 or 1; tokens must match. */
export function compareMoney(a: MoneyDto, b: MoneyDto): number {
  const decimals = Math.max(a.decimals, b.decimals);
  const x = scale(a, decimals);
  const y = scale(b, decimals);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Rounds a decimal string half-up to at most `digits` fraction digits, as a string. */
export function roundDecimal(decimal: string, digits: number): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(decimal.trim());
  if (!match) return decimal;
  const sign = match[1] ?? "";
  const int = match[2] || "0";
  const frac = match[3] ?? "";
  if (frac.length <= digits) return `${sign}${int}${frac ? `.${frac}` : ""}`;
  const kept = BigInt(`${int}${frac.slice(0, digits)}`);
  const roundUp = (frac[digits] ?? "0") >= "5";
  const units = kept + (roundUp ? 1n : 0n);
  const text = unitsToDecimal(units, digits);
  return text === "0" ? "0" : `${sign}${text}`;
}

function groupThousands(decimal: string): string {
  const [int = "0", frac] = decimal.split(".");
  const negative = int.startsWith("-");
  const digits = negative ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}${grouped}${frac ? `.${frac}` : ""}`;
}

const DISPLAY_DIGITS: Record<string, number> = { usd: 2, points: 0 };

export function tokenLabel(token: string): string {
  return token === "points" ? "pts" : token.toUpperCase();
}

/** e.g. `$1,234.50`, `12.3457 GLM`, `1,250 pts`. Made from the exact `decimal` string. */
export function formatMoney(m: MoneyDto): string {
  const digits = DISPLAY_DIGITS[m.token] ?? 4;
  let text = groupThousands(roundDecimal(m.decimal, digits));
  if (m.token === "usd") {
    const [int, frac = ""] = text.split(".");
    text = `${int}.${frac.padEnd(2, "0")}`;
    return text.startsWith("-") ? `-$${text.slice(1)}` : `$${text}`;
  }
  return `${text} ${tokenLabel(m.token)}`;
}

/** For charts only: a number approximating the decimal (never used for sums). */
export function moneyToChartNumber(m: MoneyDto): number {
  return Number(m.decimal);
}
