import { useState } from "react";
import type { CapabilityDto, NodeDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { HealthBadge } from "../../../components/health-badge";
import { MetricValue } from "../../../components/metric-value";
import { MoneyAmount } from "../../../components/money-amount";
import {
  earningsKindLabel,
  formatDateTime,
  formatRelative,
  METRICS,
  metricLabel,
  protocolName,
  sentenceCase,
} from "../../../utils/format";
import { MeasuredUsage } from "./measured-usage";
import { ResourceChart } from "./resource-chart";

const RANGES = [
  { hours: 1, label: "1 h" },
  { hours: 24, label: "24 h" },
  { hours: 24 * 7, label: "7 d" },
  { hours: 24 * 30, label: "30 d" },
];

function CapabilitiesTable({ capabilities }: { capabilities: CapabilityDto[] }) {
  if (capabilities.length === 0) return <p className="muted">This node reports no adjustable resources.</p>;
  return (
    <div className="table-scroll">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Resource</th>
            <th scope="col">Knob</th>
            <th scope="col" className="num">
              Min
            </th>
            <th scope="col" className="num">
              Max
            </th>
            <th scope="col" className="num">
              Step
            </th>
            <th scope="col">Change needs</th>
            <th scope="col">Preconditions</th>
          </tr>
        </thead>
        <tbody>
          {capabilities.map((c) => (
            <tr key={`${c.resource}-${c.knob}`}>
              <th scope="row">{sentenceCase(c.resource)}</th>
              <td>
                {sentenceCase(c.knob)}
                {c.setting && <div className="muted mono">{c.setting}</div>}
              </td>
              <td className="num">{c.min}</td>
              <td className="num">{c.max}</td>
              <td className="num">{c.step}</td>
              <td>
                {c.restart_required ? (
                  <span className="tag tag-warn">restart · {c.restart_downtime_secs}s down</span>
                ) : (
                  <span className="tag tag-ok">live change</span>
                )}
                {c.loses_jobs && <span className="tag tag-danger">loses jobs</span>}
                {c.reputation_risk && <div className="muted">Risk: {c.reputation_risk}</div>}
              </td>
              <td>
                {c.preconditions.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  c.preconditions.join("; ")
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function NodeDetail({ node, now }: { node: NodeDto; now: number }) {
  const [rangeHours, setRangeHours] = useState(24);
  const poll = node.last_poll;
  return (
    <div className="node-detail">
      <Card
        title={
          <span>
            {protocolName(node.protocol)} <span className="muted">· {node.name}</span>
          </span>
        }
        subtitle={
          <span className="mono">
            {node.id} · {node.endpoint}
            {node.version && <> · v{node.version}</>}
          </span>
        }
        actions={
          <>
            {node.auto_apply ? (
              <span className="tag tag-accent">auto-apply</span>
            ) : (
              <span className="tag tag-muted">recommend only</span>
            )}
            <HealthBadge state={node.health.state} />
          </>
        }
      >
        <div className="detail-grid">
          <div>
            <h3 className="section-title">Health</h3>
            {node.health.reasons.length === 0 ? (
              <p className="muted">
                {node.health.state === "healthy"
                  ? "All protocol signals look fine."
                  : node.health.state === "unknown"
                    ? "Not checked yet."
                    : "No reason given."}
              </p>
            ) : (
              <ul className="reasons">
                {node.health.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            )}
            {node.health.checked_at && (
              <p className="muted small">Checked {formatRelative(node.health.checked_at, now)}</p>
            )}
          </div>
          <div>
            <h3 className="section-title">Last poll</h3>
            {!poll ? (
              <p className="muted">Not polled yet.</p>
            ) : (
              <div className={`poll ${poll.ok ? "poll-ok" : "poll-failed"}`} data-testid="last-poll">
                <p>
                  {poll.ok ? "Succeeded" : "Failed"}{" "}
                  <time dateTime={poll.at} title={formatDateTime(poll.at)}>
                    {formatRelative(poll.at, now)}
                  </time>
                </p>
                {!poll.ok && (
                  <p className="small">
                    {poll.error_kind && (
                      <span className="tag tag-danger">{sentenceCase(poll.error_kind)}</span>
                    )}{" "}
                    {poll.error}
                    {poll.consecutive_failures > 1 && <> · {poll.consecutive_failures} failures in a row</>}
                  </p>
                )}
              </div>
            )}
          </div>
        </div>
        <h3 className="section-title">Resources now</h3>
        <dl className="resource-grid">
          {METRICS.map((m) => (
            <div key={m} className="resource-cell">
              <dt>{metricLabel(m)}</dt>
              <dd>
                <MetricValue metric={m} resources={node.resources} health={node.health.state} />
              </dd>
            </div>
          ))}
        </dl>
        {node.earnings.length > 0 && (
          <>
            <h3 className="section-title">Earnings</h3>
            <dl className="resource-grid">
              {node.earnings.map((f) => (
                <div key={`${f.kind}-${f.amount.token}`} className="resource-cell">
                  <dt>{earningsKindLabel(f.kind)}</dt>
                  <dd>
                    <MoneyAmount amount={f.amount} />
                  </dd>
                </div>
              ))}
            </dl>
          </>
        )}
      </Card>

      <Card
        title="Measured use"
        subtitle="What the operating system measures for the node's process, unit or container, against its allocation."
      >
        <MeasuredUsage measured={node.measured} now={now} />
      </Card>

      <Card
        title="Resource usage"
        actions={
          <fieldset className="segmented">
            <legend className="sr-only">Chart range</legend>
            {RANGES.map((r) => (
              <button
                key={r.hours}
                type="button"
                className={rangeHours === r.hours ? "active" : ""}
                aria-pressed={rangeHours === r.hours}
                onClick={() => setRangeHours(r.hours)}
              >
                {r.label}
              </button>
            ))}
          </fieldset>
        }
      >
        <div className="chart-grid">
          {METRICS.map((m) => (
            <ResourceChart key={m} node={node.id} metric={m} rangeHours={rangeHours} />
          ))}
        </div>
      </Card>

      <Card
        title="Capabilities"
        subtitle="Which knob Orcha turns for each resource, and what a change costs."
      >
        <CapabilitiesTable capabilities={node.capabilities} />
      </Card>
    </div>
  );
}
