import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";

/** `GET /earnings/totals`; `earnings` events refresh it (live-cache.ts), and every minute for today's boundary. */
export function useEarningsTotals() {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.earningsTotals,
    queryFn: () => backend.earningsTotals(),
    refetchInterval: 60_000,
  });
}
