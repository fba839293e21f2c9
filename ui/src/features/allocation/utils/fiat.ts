// Earnings per hour arrive as "0.120000 USD" (a decimal string and its currency) or null when
// the node's earnings cannot be valued. Null ("no price") is never shown as zero.

export interface Fiat {
  decimal: string;
  currency: string;
  /** The amount in millionths (exact; the server writes six decimals). */
  micros: bigint;
}

export function parseFiat(text: string | null | undefined): Fiat | null {
  if (!text) return null;
  const m = /^\s*(-?)(\d+)(?:\.(\d+))?\s+([A-Za-z]{3,8})\s*$/.exec(text);
  if (!m) return null;
  const [, sign = "", int = "0", frac = "", currency = ""] = m;
  const micros = BigInt(`${int}${frac.padEnd(6, "0").slice(0, 6)}`) * (sign === "-" ? -1n : 1n);
  return { decimal: `${sign}${int}${frac ? `.${frac}` : ""}`, currency: currency.toUpperCase(), micros };
}

export function isZero(f: Fiat): boolean {
  return f.micros === 0n;
}

function microsToText(micros: bigint, digits: number): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const scale = 10n ** BigInt(6 - digits);
  const rounded = (abs + scale / 2n) / scale;
  const s = rounded.toString().padStart(digits + 1, "0");
  const text = `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
  return rounded === 0n ? text : `${negative ? "-" : ""}${text}`;
}

/** "$0.0336", "-$0.02", "1.2000 EUR": four decimals, enough for hourly amounts. */
export function formatFiat(f: Fiat, digits = 4, signed = false): string {
  const text = microsToText(f.micros, digits);
  const negative = text.startsWith("-");
  const abs = negative ? text.slice(1) : text;
  const sign = negative ? "-" : signed && f.micros > 0n ? "+" : "";
  return f.currency === "USD" ? `${sign}$${abs}` : `${sign}${abs} ${f.currency}`;
}

/** `a - b`; null when either is missing or the currencies differ. */
export function fiatDelta(a: Fiat | null, b: Fiat | null): Fiat | null {
  if (!a || !b || a.currency !== b.currency) return null;
  const micros = a.micros - b.micros;
  return { micros, currency: a.currency, decimal: microsToText(micros, 6) };
}
