import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";

export const FORECAST_HOURS = 24;

/** The newest stored forecast of `node` (idle while null); the predict step refreshes it. */
export function useForecast(node: string | null) {
  const backend = useBackend();
  return useQuery({
    queryKey: [...queryKeys.forecastAll, node ?? "", FORECAST_HOURS],
    enabled: node !== null,
    queryFn: () => backend.forecast({ node: node ?? "", hours: FORECAST_HOURS }),
    refetchInterval: 5 * 60_000,
  });
}
