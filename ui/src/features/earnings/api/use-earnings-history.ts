import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";

export function useEarningsHistory(node: string | null, kind: string, rangeDays: number) {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.earnings(node ?? "", kind, rangeDays),
    enabled: node !== null,
    queryFn: () => {
      const to = new Date();
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
