import { useNodes } from "../../../api/use-nodes";
import { HealthBadge } from "../../../components/health-badge";
import { PageHeader } from "../../../components/page-header";
import { StaleNotice } from "../../../components/stale-notice";
import { EmptyState, ErrorState, LoadingState, NoNodesState } from "../../../components/state-views";
import { useNow } from "../../../lib/use-now";
import { formatRelative, protocolName } from "../../../utils/format";
import { NodeFinder } from "../../onboarding/components/node-finder";
import { NodeDetail } from "./node-detail";

export function NodesScreen({ selectedId }: { selectedId: string | null }) {
  const nodes = useNodes();
  const now = useNow(5000);
  const header = (
    <PageHeader title="Nodes" description="Health, polling and resources of every node Orcha manages." />
  );

  if (nodes.isPending)
    return (
      <div className="screen">
        {header}
        <LoadingState label="Loading nodes…" />
      </div>
    );
  if (!nodes.data)
    return (
      <div className="screen">
        {header}
        <ErrorState error={nodes.error} onRetry={() => void nodes.refetch()} />
      </div>
    );
  if (nodes.data.length === 0)
    return (
      <div className="screen">
        {header}
        <NoNodesState />
        <NodeFinder />
      </div>
    );
  const selected = selectedId === null ? nodes.data[0] : nodes.data.find((n) => n.id === selectedId);

  return (
    <div className="screen">
      {header}
      <StaleNotice updatedAt={nodes.dataUpdatedAt} isError={nodes.isError} />
      <div className="master-detail">
        <ul className="node-list" aria-label="Nodes">
          {nodes.data.map((n) => (
            <li key={n.id}>
              <a
                href={`#/nodes/${encodeURIComponent(n.id)}`}
                className={n.id === selected?.id ? "node-link active" : "node-link"}
                aria-current={n.id === selected?.id ? "true" : undefined}
              >
                <span className="node-link-name">
                  <span className={`protocol-mark protocol-mark-${n.protocol}`} aria-hidden="true" />
                  {protocolName(n.protocol)} · {n.name}
                </span>
                <HealthBadge state={n.health.state} />
                <span className="node-link-sub">
                  {n.last_poll ? `polled ${formatRelative(n.last_poll.at, now)}` : "not polled yet"}
                </span>
              </a>
            </li>
          ))}
        </ul>
        {selected ? (
          <NodeDetail key={selected.id} node={selected} now={now} />
        ) : (
          <EmptyState title={`No node called “${selectedId}”`}>
            It may have been removed from the config. <a href="#/nodes">Show all nodes</a>
          </EmptyState>
        )}
      </div>
    </div>
  );
}
