import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";

export function useSeries(node: string, metric: string, rangeHours: number) {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.series(node, metric, rangeHours),
    queryFn: () => {
      const to = new Date();
      const from = new Date(to.getTime() - rangeHours * 3_600_000);
      return backend.series({ node, metric, from: from.toISOString(), to: to.toISOString() });
    },
    // Live samples extend the series; a slow refetch re-aligns it with the server's rollups.
    refetchInterval: 5 * 60_000,
  });
}
