import { useNodes } from "../../../api/use-nodes";
import { useStatus } from "../../../api/use-status";
import { Card } from "../../../components/card";
import { DemoSwitch } from "../../../components/demo-switch";
import { MoneyAmount } from "../../../components/money-amount";
import { PageHeader } from "../../../components/page-header";
import { StaleNotice } from "../../../components/stale-notice";
import { ErrorState, LoadingState, NoNodesState } from "../../../components/state-views";
import { useNow } from "../../../lib/use-now";
import { sumByToken } from "../../../utils/money";
import { useEarningsTotals } from "../api/use-earnings-totals";
import { summarizeByProtocol } from "../utils/summarize";
import { sumNodesWindow } from "../utils/totals";
import { CycleCountdown } from "./cycle-countdown";
import { EarnedCard } from "./earned-card";
import { ForecastCard } from "./forecast-card";
import { ProtocolCard } from "./protocol-card";

export function OverviewScreen() {
  const status = useStatus();
  const nodes = useNodes();
  const totals = useEarningsTotals();
  const now = useNow(1000);

  const header = (
    <PageHeader title="Overview" description="Earnings, health and the optimization loop at a glance." />
  );
  if (status.isPending || nodes.isPending)
    return (
      <div className="screen">
        {header}
        <LoadingState label="Loading the overview…" />
      </div>
    );
  if (!status.data)
    return (
      <div className="screen">
        {header}
        <ErrorState error={status.error} onRetry={() => void status.refetch()} />
      </div>
    );
  const s = status.data;
  const summaries = nodes.data ? summarizeByProtocol(nodes.data) : [];
  const unpaidTokens = nodes.data
    ? sumByToken(
        nodes.data.flatMap((n) => n.earnings.filter((f) => f.kind === "unpaid").map((f) => f.amount)),
      )
    : [];

  return (
    <div className="screen">
      {header}
      {s.demo && (
        <div className="demo-banner" role="note">
          <strong>DEMO</strong> All numbers come from the built-in simulator, never from real nodes.
          <DemoSwitch to="nodes" />
        </div>
      )}
      <StaleNotice updatedAt={status.dataUpdatedAt} isError={status.isError} />

      <div className="stat-grid">
        <Card className="stat" aria-label="Nodes">
          <span className="stat-label">Nodes</span>
          <span className="stat-value">{s.nodes_total}</span>
          <div className="stat-split">
            <span className="count count-healthy">{s.nodes_healthy} up</span>
            <span className="count count-degraded">{s.nodes_degraded} degraded</span>
            <span className="count count-unreachable">{s.nodes_unreachable} down</span>
          </div>
        </Card>
        <Card className="stat" aria-label="Next cycle">
          <span className="stat-label">Next optimization cycle</span>
          <CycleCountdown status={s} fetchedAt={status.dataUpdatedAt} now={now} />
        </Card>
        <Card className="stat" aria-label="ML engine">
          <span className="stat-label">ML engine</span>
          <span className={`stat-value ${s.ml.available ? "text-ok" : "text-warn"}`}>
            {s.ml.available ? "Available" : "Unavailable"}
          </span>
          <span className="stat-sub">
            {s.ml.detail || (s.ml.available ? "forecasts enabled" : "using fallbacks")}
          </span>
        </Card>
        <Card className="stat" aria-label="Unpaid balance">
          <span className="stat-label">Unpaid balance (all nodes)</span>
          {unpaidTokens.length === 0 ? (
            <span className="stat-value metric-not-measured">none reported</span>
          ) : (
            <span className="stat-value stat-money">
              {unpaidTokens.map((m) => (
                <span key={m.token} className="stat-money-line">
                  <MoneyAmount amount={m} />
                </span>
              ))}
            </span>
          )}
        </Card>
      </div>

      {nodes.isError && !nodes.data && (
        <ErrorState error={nodes.error} onRetry={() => void nodes.refetch()} compact />
      )}
      {nodes.data && nodes.data.length === 0 && <NoNodesState />}
      {summaries.length > 0 && (
        <div className="card-grid">
          {summaries.map((sum) => (
            <ProtocolCard
              key={sum.protocol}
              summary={sum}
              now={now}
              today={
                totals.data
                  ? sumNodesWindow(
                      totals.data,
                      sum.nodes.map((n) => n.id),
                      "today",
                    )
                  : undefined
              }
            />
          ))}
        </div>
      )}

      {nodes.data && nodes.data.length > 0 && (
        <div className="overview-money">
          <EarnedCard now={now} />
          <ForecastCard nodes={nodes.data} />
        </div>
      )}
    </div>
  );
}
