import { useEffect, useState } from "react";
import { useStatus } from "../api/use-status";

/**
 * The current time in ms, re-rendering every `intervalMs` (for countdowns and "5 min ago").
 *
 * In the demo it is the server's now, not this browser's: the simulated world's clock runs fast
 * (a day a minute), and its readings compared with the browser's clock would read "4 d ago" or
 * "in 3 d". Between two status readings it advances at the server's `clock_speed`.
 */
export function useNow(intervalMs = 1000): number {
  const status = useStatus();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  const s = status.data;
  if (!s?.demo) return now;
  const server = Date.parse(s.now);
  if (Number.isNaN(server)) return now;
  return server + Math.max(0, now - status.dataUpdatedAt) * s.clock_speed;
}
