import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";
import type { SecretStatusDto, StatusDto } from "../../../bindings";

export function useSecretStatus(key: string) {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.secret(key),
    queryFn: () => backend.secretStatus(key),
    staleTime: 60_000,
  });
}

export function useSetSecret(key: string) {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (value: string) => backend.setSecret({ key, value }),
    onSuccess: (s) => client.setQueryData<SecretStatusDto>(queryKeys.secret(key), s),
  });
}

export function useDeleteSecret(key: string) {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => backend.deleteSecret(key),
    onSuccess: (s) => client.setQueryData<SecretStatusDto>(queryKeys.secret(key), s),
  });
}

export function useSetPaused() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (paused: boolean) => backend.setPaused({ paused }),
    onSuccess: (status) => client.setQueryData<StatusDto>(queryKeys.status, status),
  });
}

export function useRunCycleNow() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => backend.runCycleNow(),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.status }),
  });
}
