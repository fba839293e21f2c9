import { Card } from "../../../components/card";
import { PageHeader } from "../../../components/page-header";
import { StaleNotice } from "../../../components/stale-notice";
import { ErrorState, LoadingState, NotAvailable } from "../../../components/state-views";
import { useNow } from "../../../lib/use-now";
import { useDecisions, useLatestCycle, useRunCycle } from "../api/use-decisions";
import { CycleSteps } from "./cycle-steps";
import { DecisionList } from "./decision-list";

export function AllocationScreen() {
  const decisions = useDecisions();
  const cycle = useLatestCycle();
  const run = useRunCycle();
  const now = useNow(5000);

  return (
    <div className="screen">
      <PageHeader
        title="Allocation"
        description="How Orcha splits CPU, memory, disk and bandwidth between your nodes, and why."
        actions={
          <button
            type="button"
            className="button button-primary"
            disabled={run.isPending}
            onClick={() => run.mutate()}
          >
            {run.isPending ? "Starting…" : "Run cycle now"}
          </button>
        }
      />
      {run.isError && <ErrorState error={run.error} compact />}
      {run.isSuccess && (
        <p className="notice" role="status">
          A cycle was started; its steps appear below as they finish.
        </p>
      )}

      <div className="card-grid card-grid-2">
        <NotAvailable title="Current and proposed allocation">
          Per node resource shares, the plan the optimizer proposes and its expected gain will appear here
          once the backend serves the allocation endpoints.
        </NotAvailable>
        <NotAvailable title="Approve plan · What-if">
          Approving a recommended plan and trying what-if budgets need the approve and what-if endpoints.
          Until then plans are applied by the loop (auto-apply nodes) or shown as recommendations below.
        </NotAvailable>
      </div>

      <Card title="Latest cycle" subtitle="collect → predict → optimize → evaluate → apply → monitor">
        <StaleNotice updatedAt={cycle.dataUpdatedAt} isError={cycle.isError} />
        {cycle.isPending ? (
          <LoadingState label="Loading the latest cycle…" />
        ) : cycle.data === undefined ? (
          <ErrorState error={cycle.error} onRetry={() => void cycle.refetch()} compact />
        ) : (
          <CycleSteps cycle={cycle.data} now={now} />
        )}
      </Card>

      <Card title="Decision history" subtitle="Newest first; every cycle records a verdict and its reason.">
        <StaleNotice updatedAt={decisions.dataUpdatedAt} isError={decisions.isError} />
        {decisions.isPending ? (
          <LoadingState label="Loading decisions…" />
        ) : !decisions.data ? (
          <ErrorState error={decisions.error} onRetry={() => void decisions.refetch()} compact />
        ) : (
          <DecisionList decisions={decisions.data} />
        )}
      </Card>
    </div>
  );
}
