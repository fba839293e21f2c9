import type { EarningsPointDto, MoneyDto } from "../../../bindings";
import { compareMoney, subtractMoney } from "../../../utils/money";

export interface Payout {
  at: string;
  /** How much the unpaid balance dropped by: what was paid out. */
  amount: MoneyDto;
  before: MoneyDto;
  after: MoneyDto;
}

/**
 * Splits history points by token, each list ordered by time. The same observation recorded by
 * several polls (same time, same amount) is kept once.
 */
export function pointsByToken(points: readonly EarningsPointDto[]): Map<string, EarningsPointDto[]> {
  const out = new Map<string, EarningsPointDto[]>();
  const seen = new Set<string>();
  for (const p of points) {
    const key = `${p.amount.token}|${p.at}|${p.amount.base_units}|${p.amount.decimals}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.set(p.amount.token, [...(out.get(p.amount.token) ?? []), p]);
  }
  for (const list of out.values()) list.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return out;
}

/** A payout is a drop of the unpaid balance between two consecutive observations (exact, BigInt). */
export function findPayouts(points: readonly EarningsPointDto[]): Payout[] {
  const payouts: Payout[] = [];
  for (const list of pointsByToken(points).values()) {
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      const cur = list[i];
      if (!prev || !cur || compareMoney(cur.amount, prev.amount) >= 0) continue;
      const amount = subtractMoney(prev.amount, cur.amount);
      if (amount) payouts.push({ at: cur.at, amount, before: prev.amount, after: cur.amount });
    }
  }
  return payouts.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}
