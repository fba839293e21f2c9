import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";
import type { AllocationDto, ApprovePlanRequest, AutoApplyRequest, WhatIfRequest } from "../../../bindings";

/** `GET /allocation`; live `decision`, `cycle-step` and `automation` events refresh it too. */
export function useAllocation() {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.allocation,
    queryFn: () => backend.allocation(),
    refetchInterval: 60_000,
  });
}

/** Approves a recommended plan; afterwards everything the apply may have changed is read again. */
export function useApprovePlan() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (req: ApprovePlanRequest) => backend.approvePlan(req),
    onSettled: () => {
      for (const queryKey of [
        queryKeys.allocation,
        queryKeys.decisionsAll,
        queryKeys.nodes,
        queryKeys.status,
      ])
        void client.invalidateQueries({ queryKey });
    },
  });
}

/** Flips one node's auto-apply switch, showing the new state at once and undoing it on failure. */
export function useSetAutoApply() {
  const backend = useBackend();
  const client = useQueryClient();
  const set = (node: string, enabled: boolean) =>
    client.setQueryData<AllocationDto>(
      queryKeys.allocation,
      (a) => a && { ...a, nodes: a.nodes.map((n) => (n.node === node ? { ...n, auto_apply: enabled } : n)) },
    );
  return useMutation({
    mutationFn: (req: AutoApplyRequest) => backend.setAutoApply(req),
    onMutate: async (req) => {
      await client.cancelQueries({ queryKey: queryKeys.allocation });
      set(req.node, req.enabled);
    },
    onError: (_e, req) => set(req.node, !req.enabled),
    onSettled: () => void client.invalidateQueries({ queryKey: queryKeys.allocation }),
  });
}

/** `value`, once it has stopped changing for `delayMs`. */
export function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(id);
  }, [value, delayMs]);
  return settled;
}

export const WHAT_IF_DEBOUNCE_MS = 400;

/** Values an edited allocation (debounced); idle while `req` is null. */
export function useWhatIf(req: WhatIfRequest | null) {
  const backend = useBackend();
  const key = req ? JSON.stringify(req) : null;
  const settled = useDebounced(key, WHAT_IF_DEBOUNCE_MS);
  const query = useQuery({
    queryKey: ["what-if", settled],
    enabled: settled !== null,
    queryFn: () => backend.whatIf(JSON.parse(settled ?? "{}") as WhatIfRequest),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  /** True while the edit has not been sent yet or its answer is on the way. */
  const pending = key !== null && (key !== settled || query.isFetching);
  return { ...query, pending };
}
