import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { Backend, ConnectionState } from "./backend";
import { applyEvent } from "./live-cache";

export interface LiveState {
  connection: ConnectionState;
  /** When the last event arrived (ms since epoch), or null before the first one. */
  lastEventAt: number | null;
}

/** Subscribes once to the backend's events and keeps the query cache in step with them. */
export function useLiveEvents(backend: Backend): LiveState {
  const client = useQueryClient();
  const [state, setState] = useState<LiveState>({ connection: "connecting", lastEventAt: null });

  useEffect(() => {
    let dropped = false;
    return backend.subscribe({
      onEvent: (event) => {
        applyEvent(client, event);
        setState((s) => ({ ...s, lastEventAt: Date.now() }));
      },
      onConnection: (connection) => {
        if (connection === "reconnecting") dropped = true;
        if (connection === "open" && dropped) {
          // Events sent while the stream was down are gone; read everything again.
          dropped = false;
          void client.invalidateQueries();
        }
        setState((s) => ({ ...s, connection }));
      },
    });
  }, [backend, client]);

  return state;
}
