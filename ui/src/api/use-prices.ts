import { useQuery } from "@tanstack/react-query";
import { useBackend } from "./backend-context";
import { queryKeys } from "./query-keys";

/** `GET /prices`: what each token is worth, fresh or stale, and the operator's point value. */
export function usePrices() {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.prices,
    queryFn: () => backend.prices(),
    refetchInterval: 5 * 60_000,
  });
}
