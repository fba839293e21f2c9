import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";
import { useStatus } from "../../../api/use-status";

export function useEarningsHistory(node: string | null, kind: string, rangeDays: number) {
  const backend = useBackend();
  const status = useStatus();
  // The range ends at the server's "now": the demo's simulated clock runs ahead of this one.
  const serverNow = status.data
    ? Date.parse(status.data.now) + (Date.now() - status.dataUpdatedAt)
    : Number.NaN;
  return useQuery({
    queryKey: queryKeys.earnings(node ?? "", kind, rangeDays),
    // Wait for the server's clock (or its failure) so the first range is the right one.
    enabled: node !== null && !status.isPending,
    queryFn: () => {
      const to = new Date(Number.isFinite(serverNow) ? Math.max(serverNow, Date.now()) : Date.now());
      const from = new Date(to.getTime() - rangeDays * 86_400_000);
      return backend.earningsHistory({
        node: node ?? "",
        kind,
        from: from.toISOString(),
        to: to.toISOString(),
      });
    },
    refetchInterval: 5 * 60_000,
  });
}
