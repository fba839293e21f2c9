import { useQuery } from "@tanstack/react-query";
import { useBackend } from "./backend-context";
import { queryKeys } from "./query-keys";

/** `GET /nodes`, refreshed every 60 s besides the live events. */
export function useNodes() {
  const backend = useBackend();
  return useQuery({ queryKey: queryKeys.nodes, queryFn: () => backend.nodes(), refetchInterval: 60_000 });
}
