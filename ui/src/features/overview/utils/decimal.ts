// Exact arithmetic on the decimal strings the server sends for fiat values and prices: BigInt
// units at the finer of the two scales, never floats.
import { roundDecimal, unitsToDecimal } from "../../../utils/money";

interface Scaled {
  units: bigint;
  scale: number;
}

function parse(decimal: string): Scaled | null {
  const m = /^\s*(-?)(\d*)(?:\.(\d*))?\s*$/.exec(decimal);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return null;
  const frac = m[3] ?? "";
  const units = BigInt(`${m[2] || "0"}${frac}`);
  return { units: m[1] === "-" ? -units : units, scale: frac.length };
}

function rescale(x: Scaled, scale: number): bigint {
  return x.units * 10n ** BigInt(scale - x.scale);
}

/** `a + b`, exact; null when either is not a decimal. */
export function addDecimals(a: string, b: string): string | null {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return null;
  const scale = Math.max(x.scale, y.scale);
  return unitsToDecimal(rescale(x, scale) + rescale(y, scale), scale);
}

/** `a × b`, exact; null when either is not a decimal. */
export function multiplyDecimals(a: string, b: string): string | null {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return null;
  return unitsToDecimal(x.units * y.units, x.scale + y.scale);
}

/** True for "0", "0.000", "-0". */
export function isZeroDecimal(decimal: string): boolean {
  const x = parse(decimal);
  return x !== null && x.units === 0n;
}

function currencySymbol(fiat: string): string | null {
  try {
    const parts = new Intl.NumberFormat("en-US", { style: "currency", currency: fiat.toUpperCase() });
    const symbol = parts.formatToParts(0).find((p) => p.type === "currency")?.value;
    // A one-character sign ($, €, £) goes in front; a code (CHF) goes after the number.
    return symbol && symbol.length === 1 ? symbol : null;
  } catch {
    return null;
  }
}

function group(decimal: string): string {
  const [int = "0", frac] = decimal.split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/**
 * A fiat value for people: `$1,234.50`, `12.30 CHF`. Two decimals; a positive value too small
 * for them reads `<$0.01` so it never looks like a real zero.
 */
export function formatFiatValue(value: string, fiat: string, digits = 2): string {
  const negative = value.trim().startsWith("-");
  const abs = negative ? value.trim().slice(1) : value.trim();
  let text = roundDecimal(abs, digits);
  const [int = "0", frac = ""] = text.split(".");
  text = digits > 0 ? `${int}.${frac.padEnd(digits, "0")}` : int;
  const tiny = !isZeroDecimal(abs) && isZeroDecimal(text);
  if (tiny) text = `0.${"0".repeat(Math.max(0, digits - 1))}1`;
  const symbol = currencySymbol(fiat);
  const body = symbol ? `${symbol}${group(text)}` : `${group(text)} ${fiat.toUpperCase()}`;
  return `${tiny ? "<" : ""}${negative && !tiny ? "-" : ""}${body}`;
}
