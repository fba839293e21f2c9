import { useState } from "react";
import { useBackend } from "../api/backend-context";

/**
 * Enters or leaves the built-in demo. The desktop app restarts itself into the other mode; a
 * server in a browser cannot, so there the button is replaced by the command that does it.
 */
/**
 * A button's call that restarts the app: busy until the app goes away, or back with the error
 * when it refuses (nothing comes back on success, since the window closes).
 */
export function useRestartAction(run: () => Promise<void>) {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const start = () => {
    setState({ busy: true, error: null });
    run().catch((e: unknown) => {
      setState({ busy: false, error: e instanceof Error ? e.message : String(e) });
    });
  };
  return { ...state, start };
}

export function DemoSwitch({ to }: { to: "demo" | "nodes" }) {
  const backend = useBackend();
  const state = useRestartAction(() => backend.switchDemo(to === "demo"));
  if (backend.transport !== "tauri") {
    return to === "demo" ? (
      <p className="demo-switch-hint">
        To explore with simulated nodes, start the server with <code>orcha serve --demo</code>.
      </p>
    ) : (
      <p className="demo-switch-hint">
        Restart the server without <code>--demo</code> to use your own nodes.
      </p>
    );
  }
  const label = to === "demo" ? "Try the demo" : "Leave the demo";
  return (
    <div className="demo-switch">
      <button
        type="button"
        className={to === "demo" ? "button button-primary" : "button"}
        disabled={state.busy}
        onClick={state.start}
      >
        {state.busy ? "Restarting…" : label}
      </button>
      {state.error && (
        <p className="field-error" role="alert">
          {state.error}
        </p>
      )}
    </div>
  );
}
