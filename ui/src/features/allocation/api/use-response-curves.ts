import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";

/** `GET /allocation/curves`: the fitted belief is refitted every cycle, so minutes are fresh enough. */
export function useResponseCurves() {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.responseCurves,
    queryFn: () => backend.responseCurves(),
    refetchInterval: 300_000,
  });
}
