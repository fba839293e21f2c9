import { Card } from "../../../components/card";
import { HealthBadge } from "../../../components/health-badge";
import { MetricValue } from "../../../components/metric-value";
import { MoneyAmount } from "../../../components/money-amount";
import { earningsKindLabel, formatRelative, protocolName } from "../../../utils/format";
import { OVERVIEW_KINDS, type ProtocolSummary } from "../utils/summarize";
import type { NodesFiat } from "../utils/totals";
import { FiatValue, StalePrice } from "./fiat-value";

const SHOWN_METRICS = ["cpu_millicores", "mem_bytes", "disk_used_bytes", "bandwidth_up_bps"] as const;
const SHORT: Record<string, string> = {
  cpu_millicores: "CPU",
  mem_bytes: "Mem",
  disk_used_bytes: "Disk",
  bandwidth_up_bps: "Up",
};

export function ProtocolCard({
  summary,
  now,
  today,
}: {
  summary: ProtocolSummary;
  now: number;
  /** Today's fiat of these nodes, once the totals are known. */
  today?: NodesFiat | undefined;
}) {
  const { protocol, nodes, health, earnings, lastObservedAt } = summary;
  return (
    <Card
      className={`protocol-card protocol-${protocol}`}
      aria-label={`${protocolName(protocol)} summary`}
      title={
        <span className="protocol-title">
          <span className={`protocol-mark protocol-mark-${protocol}`} aria-hidden="true" />
          {protocolName(protocol)}
        </span>
      }
      subtitle={
        <>
          {nodes.length} {nodes.length === 1 ? "node" : "nodes"}
          {today && (
            <span className="protocol-today" data-testid="protocol-today">
              {" · today "}
              <FiatValue
                state={today.state}
                value={today.value}
                fiat={today.fiat}
                noReadings="no readings yet"
              />
              <StalePrice tokens={today.stale} />
            </span>
          )}
        </>
      }
      actions={<HealthBadge state={health} />}
    >
      <dl className="figures">
        {OVERVIEW_KINDS.map((kind) => {
          const totals = earnings.get(kind);
          return (
            <div key={kind} className="figure">
              <dt>{earningsKindLabel(kind)}</dt>
              <dd>
                {totals ? (
                  totals.map((m) => (
                    <div key={m.token}>
                      <MoneyAmount amount={m} />
                    </div>
                  ))
                ) : (
                  <span className="metric-not-measured" title="Not reported by these nodes">
                    —
                  </span>
                )}
              </dd>
            </div>
          );
        })}
      </dl>
      <div className="table-scroll">
        <table className="mini-table">
          <thead>
            <tr>
              <th scope="col">Node</th>
              {SHOWN_METRICS.map((m) => (
                <th scope="col" key={m}>
                  {SHORT[m]}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr key={n.id}>
                <th scope="row">
                  <a href={`#/nodes/${encodeURIComponent(n.id)}`}>{n.name}</a>
                </th>
                {SHOWN_METRICS.map((m) => (
                  <td key={m}>
                    <MetricValue metric={m} resources={n.resources} health={n.health.state} compact />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="card-footnote">
        <span className="legend">— not measured</span>
        {lastObservedAt
          ? `Earnings observed ${formatRelative(lastObservedAt, now)}`
          : "No earnings observed yet"}
      </p>
    </Card>
  );
}
