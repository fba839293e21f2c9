import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";

/** The fleet as the configured Prometheus sees it; refreshed about as often as it scrapes. */
export function useFleet() {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.fleet,
    queryFn: () => backend.fleet(),
    refetchInterval: 30_000,
    // "Not configured" and "Prometheus unreachable" are answers, not blips: show them at once.
    retry: false,
  });
}
