// What one more unit earns per hour arrives as decimal strings in the server's fiat; values are
// often fractions of a cent, so they are shown with three significant digits, never rounded to 0.

/** "$0.00333", "0.0412 EUR", "$0" for an exact zero; "—" when the text is not a number. */
export function formatPerHour(text: string, fiat: string): string {
  const v = Number(text);
  if (!Number.isFinite(v)) return "—";
  const shown = v === 0 ? "0" : v.toPrecision(3);
  // The server's fiat is the operator's config value, in whatever case it was written.
  const code = fiat.toUpperCase();
  return code === "USD" ? `$${shown}` : `${shown} ${code}`;
}

/** A readable amount in the curve's unit: "4 cores", "2000 GB", "1.5 Mbit/s". */
export function formatAmount(x: number, unit: string): string {
  const n = Number.isInteger(x) ? String(x) : x.toFixed(1);
  return unit === "core" && x !== 1 ? `${n} cores` : `${n} ${unit}`;
}

export const STATUS_TAGS: Record<string, [string, string]> = {
  fitted: ["tag-accent", "fitted"],
  at_cap: ["tag-accent", "at cap: valued per used unit"],
  demand_limited: ["tag-muted", "demand-limited: may give down to its use"],
  ingress_limited: ["tag-muted", "ingress-limited: held while it fills"],
  thin_data: ["tag-muted", "thin data: kept as it is"],
  probing: ["tag-warn", "probing"],
};
