import { useQuery } from "@tanstack/react-query";
import { useBackend } from "./backend-context";
import { queryKeys } from "./query-keys";

/** `GET /status`, refreshed every 30 s besides the live events. */
export function useStatus() {
  const backend = useBackend();
  return useQuery({ queryKey: queryKeys.status, queryFn: () => backend.status(), refetchInterval: 30_000 });
}
