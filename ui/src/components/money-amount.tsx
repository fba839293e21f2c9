import type { MoneyDto } from "../bindings";
import { formatMoney, isMoneyToken } from "../utils/money";

export function MoneyAmount({ amount }: { amount: MoneyDto }) {
  const zero = /^-?0*(\.0*)?$/.test(amount.decimal);
  const className = ["money", isMoneyToken(amount.token) ? "" : "money-points", zero ? "money-zero" : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <span className={className} title={`${amount.decimal} ${amount.token.toUpperCase()}`}>
      {formatMoney(amount)}
    </span>
  );
}
