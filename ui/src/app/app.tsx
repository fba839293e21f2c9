import { lazy, type ReactNode, Suspense } from "react";
import type { Backend } from "../api/backend";
import { useLiveEvents } from "../api/use-live-events";
import { useStatus } from "../api/use-status";
import { LoadingState } from "../components/state-views";
import { useOpenAlertCount } from "../features/alerts/api/use-alerts";
import { FirstRunGate } from "../features/onboarding/components/first-run-gate";
import { OverviewScreen } from "../features/overview/components/overview-screen";
import { type Screen, useHashRoute } from "./use-hash-route";

// The overview is what opens first; the other screens (and recharts with them) load when they
// are first visited, which keeps the first render's script small.
const EarningsScreen = lazy(() =>
  import("../features/earnings/components/earnings-screen").then((m) => ({ default: m.EarningsScreen })),
);
const AllocationScreen = lazy(() =>
  import("../features/allocation/components/allocation-screen").then((m) => ({
    default: m.AllocationScreen,
  })),
);
const NodesScreen = lazy(() =>
  import("../features/nodes/components/nodes-screen").then((m) => ({ default: m.NodesScreen })),
);
const AlertsScreen = lazy(() =>
  import("../features/alerts/components/alerts-screen").then((m) => ({ default: m.AlertsScreen })),
);
const FleetScreen = lazy(() =>
  import("../features/fleet/components/fleet-screen").then((m) => ({ default: m.FleetScreen })),
);
const SettingsScreen = lazy(() =>
  import("../features/settings/components/settings-screen").then((m) => ({ default: m.SettingsScreen })),
);

const NAV: ReadonlyArray<{ screen: Screen; label: string; icon: string }> = [
  { screen: "overview", label: "Overview", icon: "◎" },
  { screen: "earnings", label: "Earnings", icon: "◈" },
  { screen: "allocation", label: "Allocation", icon: "⇄" },
  { screen: "nodes", label: "Nodes", icon: "▦" },
  { screen: "alerts", label: "Alerts", icon: "△" },
  { screen: "fleet", label: "Fleet", icon: "⌂" },
  { screen: "settings", label: "Settings", icon: "⚙" },
];

function ScreenFor({ screen, param }: { screen: Screen; param: string | null }): ReactNode {
  switch (screen) {
    case "overview":
      return (
        <FirstRunGate>
          <OverviewScreen />
        </FirstRunGate>
      );
    case "earnings":
      return <EarningsScreen />;
    case "allocation":
      return <AllocationScreen />;
    case "nodes":
      return <NodesScreen selectedId={param} />;
    case "alerts":
      return <AlertsScreen />;
    case "fleet":
      return <FleetScreen />;
    case "settings":
      return <SettingsScreen />;
  }
}

const CONNECTION_LABEL = { open: "Live", connecting: "Connecting…", reconnecting: "Reconnecting…" } as const;

export function App({ backend }: { backend: Backend }) {
  const route = useHashRoute();
  const live = useLiveEvents(backend);
  const status = useStatus();
  const openAlerts = useOpenAlertCount();

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          <span>
            DePIN <strong>Orcha</strong>
          </span>
        </div>
        <ul>
          {NAV.map((item) => (
            <li key={item.screen}>
              <a
                href={`#/${item.screen}`}
                className={route.screen === item.screen ? "nav-link active" : "nav-link"}
                aria-current={route.screen === item.screen ? "page" : undefined}
              >
                <span className="nav-icon" aria-hidden="true">
                  {item.icon}
                </span>
                {item.label}
                {item.screen === "alerts" && openAlerts > 0 && (
                  <span className="nav-count">
                    {openAlerts}
                    <span className="sr-only"> open alerts</span>
                  </span>
                )}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-footer">
          {status.data?.demo && <span className="tag tag-demo">DEMO</span>}
          {status.data?.paused && <span className="tag tag-warn">Paused</span>}
          <span className={`connection connection-${live.connection}`} data-testid="connection">
            <span className="dot" aria-hidden="true" />
            {CONNECTION_LABEL[live.connection]}
          </span>
          <span className="version">
            {status.data ? `v${status.data.version}` : ""} ·{" "}
            {backend.transport === "tauri" ? "desktop" : "web"}
          </span>
        </div>
      </nav>
      <main className="content">
        <Suspense fallback={<LoadingState />}>
          <ScreenFor screen={route.screen} param={route.param} />
        </Suspense>
      </main>
    </div>
  );
}
