import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import type { Backend } from "../api/backend";
import { useLiveEvents } from "../api/use-live-events";
import { AppProvider, makeQueryClient } from "../app/provider";

function Live({ backend }: { backend: Backend }) {
  useLiveEvents(backend);
  return null;
}

/** Renders `ui` with a fresh query cache, the given backend and its live events wired in. */
export function renderWithBackend(ui: ReactElement, backend: Backend) {
  const client = makeQueryClient({ retry: false });
  const result = render(
    <AppProvider backend={backend} client={client}>
      <Live backend={backend} />
      {ui}
    </AppProvider>,
  );
  return { ...result, client };
}
