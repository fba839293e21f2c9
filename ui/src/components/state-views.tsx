import type { ReactNode } from "react";
import { BackendError } from "../api/backend";
import { DemoSwitch } from "./demo-switch";

export function LoadingState({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

function describe(error: unknown): { title: string; detail: string } {
  if (error instanceof BackendError) {
    // No answer at all, or a proxy in front of a server that is not running.
    if (error.status === null || error.status === 502 || error.status === 504)
      return {
        title: "Cannot reach the Orcha backend",
        detail: `${error.message}. Check that orcha serve or the desktop app is running.`,
      };
    if (error.code === "unauthorized")
      return {
        title: "This server needs an API token",
        detail: "Open the dashboard with ?token=<ORCHA_API_TOKEN> in the address.",
      };
    return { title: "The backend reported an error", detail: error.message };
  }
  return { title: "Something went wrong", detail: error instanceof Error ? error.message : String(error) };
}

export function ErrorState({
  error,
  onRetry,
  compact,
}: {
  error: unknown;
  onRetry?: () => void;
  compact?: boolean;
}) {
  const { title, detail } = describe(error);
  return (
    <div className={`state state-error ${compact ? "state-compact" : ""}`} role="alert">
      <span className="state-icon" aria-hidden="true">
        !
      </span>
      <div>
        <p className="state-title">{title}</p>
        <p className="state-detail">{detail}</p>
      </div>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <span className="state-icon" aria-hidden="true">
        ○
      </span>
      <div>
        <p className="state-title">{title}</p>
        {children && <div className="state-detail">{children}</div>}
      </div>
    </div>
  );
}

/** The designed placeholder for a part of the product the backend does not offer yet. */
export function NotAvailable({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-unavailable" data-testid="not-available">
      <span className="tag tag-muted">Not available in this build yet</span>
      <p className="state-title">{title}</p>
      {children && <div className="state-detail">{children}</div>}
    </div>
  );
}

/** The empty state every screen shows while no node is configured. */
export function NoNodesState() {
  return (
    <EmptyState title="No node connected yet — connect one in Settings, or try the demo">
      <p>
        Enable a protocol and set its endpoint under <a href="#/settings">Settings</a> (or in the{" "}
        <code>[protocols.*]</code> tables of your config file) and store its credentials there; or explore
        first with simulated nodes.
      </p>
      <DemoSwitch to="demo" />
    </EmptyState>
  );
}
