import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";

export const DECISION_LIMIT = 50;

export function useDecisions(limit = DECISION_LIMIT) {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.decisions(limit),
    queryFn: () => backend.decisions(limit),
    refetchInterval: 120_000,
  });
}

export function useLatestCycle() {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.latestCycle,
    queryFn: () => backend.latestCycle(),
    refetchInterval: 60_000,
  });
}

export function useRunCycle() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => backend.runCycleNow(),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.status }),
  });
}
