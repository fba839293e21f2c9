// Scheduled backups for the Settings screen: the list, and "Back up now".
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";

const backupsKey = ["backups"] as const;

export function useBackups() {
  const backend = useBackend();
  return useQuery({ queryKey: backupsKey, queryFn: () => backend.backups() });
}

export function useRunBackup() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => backend.runBackup(),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: backupsKey });
      void client.invalidateQueries({ queryKey: ["audit"] });
    },
  });
}
