import { fiatDelta, formatFiat, isZero, parseFiat } from "../utils/fiat";

/** Why a node has no earnings value: its token has no price (Grass points, GLM, DATA, …). */
export function NoPrice() {
  return (
    <span
      className="tag tag-muted no-price"
      data-state="no-price"
      title="No price: this node's earnings cannot be valued in fiat (set allocation.fiat_per_token for its token)"
    >
      no price
    </span>
  );
}

/** One fiat-per-hour figure; "no price" (null) and zero look different. */
export function Rate({ value, signed = false }: { value: string | null; signed?: boolean }) {
  const f = parseFiat(value);
  if (!f) return <NoPrice />;
  const zero = isZero(f);
  return (
    <span className={`rate ${zero ? "money-zero" : ""}`.trim()} data-state={zero ? "zero" : "valued"}>
      {formatFiat(f, 4, signed)}/h
    </span>
  );
}

/** "now → after (±delta)" for one node, or "no price" once when neither can be valued. */
export function RateChange({ now, after }: { now: string | null; after: string | null }) {
  if (now === null && after === null) return <NoPrice />;
  const delta = fiatDelta(parseFiat(after), parseFiat(now));
  return (
    <span className="rate-change">
      <Rate value={now} /> <span aria-hidden="true">→</span>
      <span className="sr-only">after</span> <Rate value={after} />
      {delta && !isZero(delta) && (
        <span className={`rate-delta ${delta.micros > 0n ? "text-ok" : "text-warn"}`}>
          {" "}
          ({formatFiat(delta, 4, true)}/h)
        </span>
      )}
    </span>
  );
}
