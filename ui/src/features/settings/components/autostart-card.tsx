import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";
import { Card } from "../../../components/card";
import { ErrorState, LoadingState } from "../../../components/state-views";

const KEY = ["autostart"] as const;

/**
 * Desktop only: start Orcha with the session, minimised to the tray, so the loop keeps running
 * after a reboot without the window. Off until the operator turns it on. A server in a browser
 * shows nothing here: it runs as a service instead.
 */
export function AutostartCard() {
  const backend = useBackend();
  const client = useQueryClient();
  const desktop = backend.transport === "tauri";
  const state = useQuery({ queryKey: KEY, queryFn: () => backend.autostartEnabled(), enabled: desktop });
  const change = useMutation({
    mutationFn: (enabled: boolean) => backend.setAutostart(enabled),
    onSuccess: (now) => client.setQueryData(KEY, now),
  });
  if (!desktop) return null;
  return (
    <Card
      title="Start with my session"
      subtitle="Opens Orcha in the tray when you log in, without the window."
    >
      {state.isPending ? (
        <LoadingState />
      ) : state.data === undefined ? (
        <ErrorState error={state.error} onRetry={() => void state.refetch()} compact />
      ) : (
        <div className="automation">
          <label className="switch">
            <input
              type="checkbox"
              role="switch"
              aria-checked={state.data}
              aria-label="Start DePIN Orcha minimised to the tray when I log in"
              checked={state.data}
              disabled={change.isPending}
              onChange={(e) => change.mutate(e.target.checked)}
            />
            <span className="switch-track" aria-hidden="true" />
            <span>{state.data ? "Starts with your session" : "Does not start with your session"}</span>
          </label>
          {change.isError && (
            <p className="field-error" role="alert">
              {change.error.message}
            </p>
          )}
        </div>
      )}
    </Card>
  );
}
