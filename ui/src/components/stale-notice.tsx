import { formatTime } from "../utils/format";

/** Shown above data that may be out of date because the last refresh failed. */
export function StaleNotice({ updatedAt, isError }: { updatedAt: number; isError: boolean }) {
  if (!isError || updatedAt === 0) return null;
  return (
    <p className="stale-notice" role="status">
      Showing data from {formatTime(new Date(updatedAt).toISOString())} — the latest refresh failed; retrying.
    </p>
  );
}
