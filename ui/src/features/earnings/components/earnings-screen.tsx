import { useState } from "react";
import { useNodes } from "../../../api/use-nodes";
import type { NodeDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { MoneyAmount } from "../../../components/money-amount";
import { PageHeader } from "../../../components/page-header";
import { StaleNotice } from "../../../components/stale-notice";
import { ErrorState, LoadingState, NoNodesState } from "../../../components/state-views";
import { earningsKindLabel, protocolName } from "../../../utils/format";
import { sumByToken } from "../../../utils/money";
import { EarningsHistoryCard } from "./earnings-history-card";
import { ExportCard } from "./export-card";
import { FiatHistoryCard } from "./fiat-history-card";
import { ForecastCard } from "./forecast-card";
import { PayoutsCard } from "./payouts-card";
import { PricesCard } from "./prices-card";

const KIND_ORDER = [
  "lifetime",
  "current_period_accrued",
  "current_period_held",
  "current_period_estimate",
  "unpaid",
  "paid_out",
  "held",
  "pending",
  "accepted",
  "settled",
  "contract_lifetime",
  "contract_unpaid",
];

function kindsOf(node: NodeDto | undefined): string[] {
  const reported = new Set(node?.earnings.map((f) => f.kind) ?? []);
  const kinds = KIND_ORDER.filter((k) => reported.has(k));
  return kinds.length > 0 ? kinds : ["unpaid", "lifetime"];
}

function FiguresTable({ nodes }: { nodes: NodeDto[] }) {
  const kinds = KIND_ORDER.filter((k) => nodes.some((n) => n.earnings.some((f) => f.kind === k)));
  if (kinds.length === 0) return <p className="muted">No node has reported earnings yet.</p>;
  return (
    <div className="table-scroll">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Node</th>
            {kinds.map((k) => (
              <th scope="col" key={k} className="num">
                {earningsKindLabel(k)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => (
            <tr key={n.id}>
              <th scope="row">
                {protocolName(n.protocol)} <span className="muted">{n.name}</span>
              </th>
              {kinds.map((k) => {
                const figures = n.earnings.filter((f) => f.kind === k);
                return (
                  <td key={k} className="num">
                    {figures.length === 0 ? (
                      <span className="metric-not-measured">—</span>
                    ) : (
                      figures.map((f) => (
                        <div key={f.amount.token}>
                          <MoneyAmount amount={f.amount} />
                        </div>
                      ))
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function EarningsScreen() {
  const nodes = useNodes();
  const [nodeId, setNodeId] = useState<string | null>(null);
  const [kind, setKind] = useState<string | null>(null);
  const [rangeDays, setRangeDays] = useState(30);

  const header = <PageHeader title="Earnings" description="What each node earned, is owed and was paid." />;
  if (nodes.isPending)
    return (
      <div className="screen">
        {header}
        <LoadingState label="Loading earnings…" />
      </div>
    );
  if (!nodes.data)
    return (
      <div className="screen">
        {header}
        <ErrorState error={nodes.error} onRetry={() => void nodes.refetch()} />
      </div>
    );
  const list = nodes.data;
  if (list.length === 0)
    return (
      <div className="screen">
        {header}
        <NoNodesState />
      </div>
    );

  const selected = list.find((n) => n.id === nodeId) ?? list[0];
  const kinds = kindsOf(selected);
  const selectedKind =
    kind && kinds.includes(kind) ? kind : ((kinds.includes("unpaid") ? "unpaid" : kinds[0]) ?? "unpaid");
  const lifetime = sumByToken(
    list.flatMap((n) => n.earnings.filter((f) => f.kind === "lifetime").map((f) => f.amount)),
  );

  return (
    <div className="screen">
      {header}
      <StaleNotice updatedAt={nodes.dataUpdatedAt} isError={nodes.isError} />
      <Card title="Lifetime earned, all nodes" subtitle="Summed per token; tokens are never added together.">
        {lifetime.length === 0 ? (
          <p className="muted">No lifetime figures reported yet.</p>
        ) : (
          <div className="token-totals">
            {lifetime.map((m) => (
              <div key={m.token} className="token-total">
                <MoneyAmount amount={m} />
              </div>
            ))}
          </div>
        )}
      </Card>

      <Card
        title="History"
        actions={
          <div className="controls">
            <label>
              Node
              <select value={selected?.id ?? ""} onChange={(e) => setNodeId(e.target.value)}>
                {list.map((n) => (
                  <option key={n.id} value={n.id}>
                    {protocolName(n.protocol)} · {n.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Figure
              <select value={selectedKind} onChange={(e) => setKind(e.target.value)}>
                {kinds.map((k) => (
                  <option key={k} value={k}>
                    {earningsKindLabel(k)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Range
              <select value={rangeDays} onChange={(e) => setRangeDays(Number(e.target.value))}>
                <option value={7}>7 days</option>
                <option value={30}>30 days</option>
                <option value={90}>90 days</option>
                <option value={365}>1 year</option>
              </select>
            </label>
          </div>
        }
      >
        {selected && <EarningsHistoryCard node={selected} kind={selectedKind} rangeDays={rangeDays} />}
      </Card>
      {selected && <ForecastCard node={selected} />}

      <Card title="Latest figures per node">
        <FiguresTable nodes={list} />
      </Card>
      <FiatHistoryCard />
      <PayoutsCard />
      <ExportCard />
      <PricesCard />
    </div>
  );
}
