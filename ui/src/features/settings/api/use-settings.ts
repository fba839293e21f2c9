import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { queryKeys } from "../../../api/query-keys";
import type {
  AlertChannelDto,
  SecretStatusDto,
  SettingsDto,
  SettingsValuesDto,
  StatusDto,
} from "../../../bindings";

const settingsKey = ["settings"] as const;
const alertChannelsKey = ["alert-channels"] as const;

/** Node credentials (`golem:main/app_key`) or alert channel credentials (`alerts:telegram/token`). */
export type SecretScope = "node" | "alerts";

export function useSecretStatus(key: string, scope: SecretScope = "node") {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.secret(key),
    queryFn: () => (scope === "alerts" ? backend.alertSecretStatus(key) : backend.secretStatus(key)),
    staleTime: 60_000,
  });
}

export function useSetSecret(key: string, scope: SecretScope = "node") {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (value: string) =>
      scope === "alerts" ? backend.setAlertSecret({ key, value }) : backend.setSecret({ key, value }),
    onSuccess: (s) => {
      client.setQueryData<SecretStatusDto>(queryKeys.secret(key), s);
      if (scope === "alerts") void client.invalidateQueries({ queryKey: alertChannelsKey });
    },
  });
}

export function useDeleteSecret(key: string, scope: SecretScope = "node") {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => (scope === "alerts" ? backend.deleteAlertSecret(key) : backend.deleteSecret(key)),
    onSuccess: (s) => {
      client.setQueryData<SecretStatusDto>(queryKeys.secret(key), s);
      if (scope === "alerts") void client.invalidateQueries({ queryKey: alertChannelsKey });
    },
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

/** `GET /settings`: the values as saved and which of them wait for a restart. */
export function useSettings() {
  const backend = useBackend();
  return useQuery({ queryKey: settingsKey, queryFn: () => backend.settings() });
}

/** `PUT /settings`; the answer replaces the cached settings, and the status learns of a pending restart. */
export function useUpdateSettings() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (req: SettingsValuesDto) => backend.updateSettings(req),
    onSuccess: (saved) => {
      client.setQueryData<SettingsDto>(settingsKey, saved.settings);
      void client.invalidateQueries({ queryKey: queryKeys.status });
      void client.invalidateQueries({ queryKey: alertChannelsKey });
      // The backup schedule applies at once; the Backups card shows the one in force.
      void client.invalidateQueries({ queryKey: ["backups"] });
    },
  });
}

export function useAlertChannels() {
  const backend = useBackend();
  return useQuery({ queryKey: alertChannelsKey, queryFn: () => backend.alertChannels() });
}

export function useSendTestAlert() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => backend.sendTestAlert(),
    onSuccess: (channels) => client.setQueryData<AlertChannelDto[]>(alertChannelsKey, channels),
  });
}
