import { BackendError } from "../../../api/backend";
import type { MachineDto, MachineState } from "../../../bindings";
import { Card } from "../../../components/card";
import { HealthBadge } from "../../../components/health-badge";
import { PageHeader } from "../../../components/page-header";
import { StaleNotice } from "../../../components/stale-notice";
import { EmptyState, ErrorState, LoadingState } from "../../../components/state-views";
import { useNow } from "../../../lib/use-now";
import { formatDateTime, formatRelative } from "../../../utils/format";
import { useFleet } from "../api/use-fleet";
import { allocationSummary, fiatIn, WINDOW_LABELS, WINDOWS } from "./fleet-format";

const STATE_LABELS: Record<MachineState, string> = { up: "Up", down: "Down", stale: "Stale" };
const STATE_HEALTH = { up: "healthy", down: "unreachable", stale: "degraded" } as const;

function MachineRow({ machine, now }: { machine: MachineDto; now: number }) {
  return (
    <tr data-testid="machine-row" data-state={machine.state}>
      <th scope="row">
        {machine.dashboard_url ? (
          <a href={machine.dashboard_url} target="_blank" rel="noreferrer">
            {machine.machine}
          </a>
        ) : (
          machine.machine
        )}
        <div className="muted">
          {machine.instance ?? "pushed"}
          {machine.version ? ` · v${machine.version}` : ""}
        </div>
      </th>
      <td>
        <span className={`badge badge-${STATE_HEALTH[machine.state]}`}>
          <span className="dot" aria-hidden="true" />
          {STATE_LABELS[machine.state]}
        </span>
        <div className="muted">
          {machine.last_scrape ? (
            <time dateTime={machine.last_scrape} title={formatDateTime(machine.last_scrape)}>
              scraped {formatRelative(machine.last_scrape, now)}
            </time>
          ) : (
            "never scraped"
          )}
        </div>
      </td>
      <td>
        {machine.nodes.length === 0 ? (
          <span className="muted">no nodes reported</span>
        ) : (
          <ul className="fleet-nodes">
            {machine.nodes.map((n) => (
              <li key={n.node}>
                <span className="fleet-node-name">{n.node}</span> <HealthBadge state={n.health} />
              </li>
            ))}
          </ul>
        )}
      </td>
      {WINDOWS.map((w) => (
        <td key={w} className="num">
          {fiatIn(machine.earnings, w)}
        </td>
      ))}
      <td>{allocationSummary(machine.allocation)}</td>
      <td className="num">{machine.alerts_open ?? "—"}</td>
    </tr>
  );
}

/** The "fleet view is off" answer: explain how to turn it on instead of showing an error. */
function isNotConfigured(error: unknown): boolean {
  return (
    error instanceof BackendError && error.code === "unavailable" && error.message.includes("prometheus_url")
  );
}

export function FleetScreen() {
  const fleet = useFleet();
  const now = useNow(10_000);
  const header = (
    <PageHeader
      title="Fleet"
      description="Every machine running Orcha, as the Prometheus that scrapes them sees it."
    />
  );
  if (fleet.isPending)
    return (
      <div className="screen">
        {header}
        <LoadingState label="Asking Prometheus…" />
      </div>
    );
  if (!fleet.data)
    return (
      <div className="screen">
        {header}
        {isNotConfigured(fleet.error) ? (
          <EmptyState title="The fleet view is off">
            Each machine runs its own Orcha and Prometheus scrapes them all. Set{" "}
            <code>[fleet] prometheus_url</code> in this machine's config to that Prometheus (see
            docs/several-machines.md), then restart Orcha.
          </EmptyState>
        ) : (
          <ErrorState error={fleet.error} onRetry={() => void fleet.refetch()} />
        )}
      </div>
    );

  const { totals, machines } = fleet.data;
  return (
    <div className="screen">
      {header}
      <StaleNotice updatedAt={fleet.dataUpdatedAt} isError={fleet.isError} />
      <section className="stat-grid" aria-label="Fleet totals">
        <div className="stat">
          <span className="stat-label">Machines up</span>
          <span className="stat-value" data-testid="machines-up">
            {totals.machines_up} / {totals.machines}
          </span>
        </div>
        <div className="stat">
          <span className="stat-label">Healthy nodes</span>
          <span className="stat-value">
            {totals.nodes_healthy} / {totals.nodes}
          </span>
        </div>
        {WINDOWS.map((w) => (
          <div className="stat" key={w}>
            <span className="stat-label">Earned {WINDOW_LABELS[w].toLowerCase()}</span>
            <span className="stat-value" data-testid={`fleet-earned-${w}`}>
              {fiatIn(totals.earnings, w)}
            </span>
          </div>
        ))}
        <div className="stat">
          <span className="stat-label">Open alerts</span>
          <span className="stat-value">{totals.alerts_open}</span>
        </div>
      </section>
      <Card
        title="Machines"
        subtitle={
          <>
            From <code>{fleet.data.prometheus_url}</code> · allocated: {allocationSummary(totals.allocation)}
          </>
        }
      >
        {machines.length === 0 ? (
          <EmptyState title="Prometheus sees no Orcha yet">
            Add each machine's <code>orcha serve</code> to its scrape config
            (monitoring/prometheus-fleet.yml).
          </EmptyState>
        ) : (
          <div className="table-scroll">
            <table className="table fleet-table">
              <thead>
                <tr>
                  <th scope="col">Machine</th>
                  <th scope="col">State</th>
                  <th scope="col">Nodes</th>
                  {WINDOWS.map((w) => (
                    <th scope="col" key={w} className="num">
                      {WINDOW_LABELS[w]}
                    </th>
                  ))}
                  <th scope="col">Allocated</th>
                  <th scope="col" className="num">
                    Alerts
                  </th>
                </tr>
              </thead>
              <tbody>
                {machines.map((m) => (
                  <MachineRow key={m.machine} machine={m} now={now} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
