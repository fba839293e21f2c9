import { useQueries } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";

export const OVERVIEW_FORECAST_HOURS = 24;

/**
 * The newest forecast of every node, one query each under the same key the Earnings screen
 * uses (so they share the cache); the predict step refreshes them (live-cache.ts).
 */
export function useForecasts(nodes: readonly string[]) {
  const backend = useBackend();
  return useQueries({
    queries: nodes.map((node) => ({
      queryKey: [...queryKeys.forecastAll, node, OVERVIEW_FORECAST_HOURS],
      queryFn: () => backend.forecast({ node, hours: OVERVIEW_FORECAST_HOURS }),
      refetchInterval: 5 * 60_000,
    })),
  });
}
