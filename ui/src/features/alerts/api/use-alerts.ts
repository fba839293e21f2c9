import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";
import type { AlertDto } from "../../../bindings";

export function useAlerts(includeCleared: boolean) {
  const backend = useBackend();
  const q = { include_cleared: includeCleared };
  return useQuery({
    queryKey: queryKeys.alerts(q),
    queryFn: () => backend.alerts(q),
    refetchInterval: 60_000,
  });
}

/** Open alerts not yet acknowledged, for the navigation badge. */
export function useOpenAlertCount(): number {
  const { data } = useAlerts(false);
  return data?.filter((a) => !a.cleared_at && !a.acknowledged_at).length ?? 0;
}

export function useAcknowledgeAlert() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => backend.acknowledgeAlert(id),
    onSuccess: (_void, id) => {
      const at = new Date().toISOString();
      for (const [key, data] of client.getQueriesData<AlertDto[]>({ queryKey: queryKeys.alertsAll })) {
        if (data)
          client.setQueryData<AlertDto[]>(
            key,
            data.map((a) => (a.id === id ? { ...a, acknowledged_at: at } : a)),
          );
      }
      void client.invalidateQueries({ queryKey: queryKeys.alertsAll });
    },
  });
}
