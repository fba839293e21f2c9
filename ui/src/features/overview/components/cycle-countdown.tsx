import type { StatusDto } from "../../../bindings";
import { formatCountdown, formatRelative } from "../../../utils/format";

/** Time to the next optimization cycle, corrected for the clock difference to the server. */
export function CycleCountdown({
  status,
  fetchedAt,
  now,
}: {
  status: StatusDto;
  fetchedAt: number;
  now: number;
}) {
  if (status.paused) return <span className="stat-value stat-paused">Automation paused</span>;
  if (!status.next_cycle_at) return <span className="stat-value metric-not-measured">not scheduled</span>;
  const skew = Date.parse(status.now) - fetchedAt;
  const remaining = Date.parse(status.next_cycle_at) - (now + skew);
  return (
    <span className="stat-value" data-testid="cycle-countdown">
      {remaining <= 0 ? "running now" : `in ${formatCountdown(remaining)}`}
      {status.last_cycle?.finished_at && (
        <span className="stat-sub">
          last finished {formatRelative(status.last_cycle.finished_at, now + skew)}
        </span>
      )}
    </span>
  );
}
