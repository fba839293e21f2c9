import type { AllocationDto, HealthState, NodeAllocationDto, NodeDto } from "../../../bindings";
import { HealthBadge } from "../../../components/health-badge";
import { EmptyState } from "../../../components/state-views";
import { protocolName } from "../../../utils/format";
import type { NodeResult } from "../utils/apply-result";
import { amountOf, formatAmount, resourceLabel, resourcesOf } from "../utils/resources";
import { RateChange } from "./earnings-rate";

function nodeTitle(id: string) {
  const [protocol = id, name = ""] = id.split(":");
  return (
    <>
      {protocolName(protocol)} <span className="muted">{name}</span>
    </>
  );
}

/** The node's amount now: not measured (absent), unreachable (struck through) or zero are distinct. */
export function CurrentAmount({
  resource,
  amount,
  health,
}: {
  resource: string;
  amount: string | undefined;
  health: HealthState | undefined;
}) {
  if (amount === undefined)
    return (
      <span
        className="metric metric-not-measured"
        data-state="not-measured"
        title="Not measured: Orcha does not know this node's current amount"
      >
        not measured
      </span>
    );
  const text = formatAmount(resource, amount);
  if (health === "unreachable")
    return (
      <span
        className="metric metric-unreachable"
        data-state="unreachable"
        title="Last known amount; the node is unreachable"
      >
        <s>{text}</s> <span className="tag tag-danger">unreachable</span>
      </span>
    );
  if (Number(amount) === 0)
    return (
      <span className="metric metric-zero" data-state="zero">
        {text}
      </span>
    );
  return (
    <span className="metric" data-state="measured">
      {text}
    </span>
  );
}

function ProposedAmount({
  resource,
  current,
  proposed,
  hasPlan,
}: {
  resource: string;
  current: string | undefined;
  proposed: string | undefined;
  hasPlan: boolean;
}) {
  if (!hasPlan || proposed === undefined) return <span className="muted">—</span>;
  if (proposed === current) return <span className="muted">unchanged</span>;
  return (
    <strong className="proposed" data-state="changed">
      {formatAmount(resource, proposed)}
    </strong>
  );
}

function AutoApplySwitch({
  node,
  enabled,
  busy,
  onChange,
}: {
  node: string;
  enabled: boolean;
  busy: boolean;
  onChange: (enabled: boolean) => void;
}) {
  return (
    <label className="switch" title="Apply this node's changes without asking (until Orcha restarts)">
      <input
        type="checkbox"
        role="switch"
        aria-checked={enabled}
        aria-label={`Auto-apply ${node}`}
        checked={enabled}
        disabled={busy}
        onChange={(e) => onChange(e.target.checked)}
      />
      <span className="switch-track" aria-hidden="true" />
      <span>Auto-apply</span>
    </label>
  );
}

const RESULT_TAGS: Record<NodeResult["outcome"], [string, string]> = {
  applied: ["tag-ok", "applied"],
  rolled_back: ["tag-warn", "rolled back"],
  failed: ["tag-danger", "apply failed"],
  not_changed: ["tag-muted", "not changed"],
};

function NodeBlock({
  n,
  node,
  result,
  hasPlan,
  paused,
  busy,
  onAutoApply,
}: {
  n: NodeAllocationDto;
  node: NodeDto | undefined;
  /** What applying the plan did to this node, once it was applied. */
  result: NodeResult | undefined;
  hasPlan: boolean;
  paused: boolean;
  busy: boolean;
  onAutoApply: (enabled: boolean) => void;
}) {
  const resources = resourcesOf(n.current, n.proposed);
  const noKnob =
    node !== undefined && node.capabilities.length > 0 && node.capabilities.every((c) => c.knob === "none");
  const changed = n.changes.length > 0;
  return (
    <li className="alloc-node" data-testid="alloc-node" data-node={n.node}>
      <div className="alloc-node-head">
        <h3>{nodeTitle(n.node)}</h3>
        {node && <HealthBadge state={node.health.state} />}
        {hasPlan &&
          (result ? (
            <span className={`tag ${RESULT_TAGS[result.outcome][0]}`} title={result.detail}>
              {RESULT_TAGS[result.outcome][1]}
            </span>
          ) : changed ? (
            <span className="tag tag-accent">changes proposed</span>
          ) : n.reasons.length > 0 ? (
            <span className="tag tag-warn">held</span>
          ) : (
            <span className="tag tag-muted">unchanged</span>
          ))}
        {n.restart && <span className="tag tag-warn">restart needed</span>}
        <span className="spacer" />
        <AutoApplySwitch node={n.node} enabled={n.auto_apply} busy={busy} onChange={onAutoApply} />
      </div>
      {n.auto_apply && paused && (
        <p className="small muted">
          Auto-apply is on, but automation is paused: nothing is applied until you resume.
        </p>
      )}
      {resources.length === 0 ? (
        <p className="muted small" data-state={noKnob ? "no-knob" : "not-measured"}>
          {noKnob
            ? "Orcha has no knob for this node's resources; it is watched, not allocated."
            : "No allocation measured for this node yet."}
        </p>
      ) : (
        <table className="table mini-table alloc-table">
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col" className="num">
                Current
              </th>
              <th scope="col" className="num">
                Proposed
              </th>
            </tr>
          </thead>
          <tbody>
            {resources.map((r) => {
              const current = amountOf(n.current, r);
              return (
                <tr key={r} data-resource={r}>
                  <th scope="row">{resourceLabel(r)}</th>
                  <td className="num">
                    <CurrentAmount resource={r} amount={current} health={node?.health.state} />
                  </td>
                  <td className="num">
                    <ProposedAmount
                      resource={r}
                      current={current}
                      proposed={amountOf(n.proposed, r)}
                      hasPlan={hasPlan}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {hasPlan && (
        <p className="alloc-earnings">
          <span className="muted">Expected earnings: </span>
          <RateChange now={n.earnings_now_per_hour} after={n.earnings_after_per_hour} />
        </p>
      )}
      {n.reasons.length > 0 && (
        <ul className="reasons small">
          {n.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </li>
  );
}

export function AllocationNodes({
  allocation,
  nodes,
  results,
  paused,
  busyNode,
  onAutoApply,
}: {
  allocation: AllocationDto;
  nodes: readonly NodeDto[];
  results: readonly NodeResult[];
  paused: boolean;
  busyNode: string | null;
  onAutoApply: (node: string, enabled: boolean) => void;
}) {
  if (allocation.nodes.length === 0)
    return (
      <EmptyState title="No node to allocate">Connect a node in Settings to see its allocation.</EmptyState>
    );
  const hasPlan = allocation.decision_id !== null;
  return (
    <>
      <p className="muted small budget" data-testid="budget">
        Machine budget:{" "}
        {allocation.budget.length === 0
          ? "not measured"
          : allocation.budget
              .map((b) => `${resourceLabel(b.resource)} ${formatAmount(b.resource, b.amount)}`)
              .join(" · ")}
        {!allocation.budget.some((b) => b.resource === "bandwidth") && " · Bandwidth not allocated"}
      </p>
      <ul className="alloc-grid">
        {allocation.nodes.map((n) => (
          <NodeBlock
            key={n.node}
            n={n}
            node={nodes.find((x) => x.id === n.node)}
            result={results.find((r) => r.node === n.node)}
            hasPlan={hasPlan}
            paused={paused}
            busy={busyNode === n.node}
            onAutoApply={(enabled) => onAutoApply(n.node, enabled)}
          />
        ))}
      </ul>
    </>
  );
}
