import { useState } from "react";
import { useBackend } from "../api/backend-context";

/**
 * Enters or leaves the built-in demo. The desktop app restarts itself into the other mode; a
 * server in a browser cannot, so there the button is replaced by the command that does it.
 */
export function DemoSwitch({ to }: { to: "demo" | "nodes" }) {
  const backend = useBackend();
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
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
        onClick={() => {
          setState({ busy: true, error: null });
          backend.switchDemo(to === "demo").catch((e: unknown) => {
            setState({ busy: false, error: e instanceof Error ? e.message : String(e) });
          });
        }}
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
