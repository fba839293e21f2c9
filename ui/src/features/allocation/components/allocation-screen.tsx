import { useNodes } from "../../../api/use-nodes";
import { useStatus } from "../../../api/use-status";
import { Card } from "../../../components/card";
import { PageHeader } from "../../../components/page-header";
import { StaleNotice } from "../../../components/stale-notice";
import { ErrorState, LoadingState } from "../../../components/state-views";
import { useNow } from "../../../lib/use-now";
import { useAllocation, useSetAutoApply } from "../api/use-allocation";
import { useDecisions, useLatestCycle, useRunCycle } from "../api/use-decisions";
import { useResponseCurves } from "../api/use-response-curves";
import { readApplyOutcome } from "../utils/apply-result";
import { AllocationNodes } from "./allocation-nodes";
import { CycleSteps } from "./cycle-steps";
import { DecisionList } from "./decision-list";
import { PlanCard } from "./plan-card";
import { ResponseCurves } from "./response-curves";
import { WhatIfCard } from "./what-if-card";

export function AllocationScreen() {
  const allocation = useAllocation();
  const decisions = useDecisions();
  const cycle = useLatestCycle();
  const status = useStatus();
  const nodes = useNodes();
  const curves = useResponseCurves();
  const run = useRunCycle();
  const autoApply = useSetAutoApply();
  const now = useNow(5000);
  const paused = status.data?.paused ?? false;
  const plan = allocation.data;
  // Once the newest plan was applied (by the loop or by approval), each node shows its outcome.
  const applied =
    plan?.verdict === "apply"
      ? readApplyOutcome(
          decisions.data?.find((d) => d.id === plan.decision_id),
          plan.nodes.filter((n) => n.changes.length > 0).map((n) => n.node),
        )
      : null;

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
      {paused && (
        <p className="notice" role="status" data-testid="automation-paused">
          Automation is paused: the loop proposes plans but applies none, not even for auto-apply nodes.
          Resume it in Settings.
        </p>
      )}

      {allocation.isPending ? (
        <Card title="Plan">
          <LoadingState label="Loading the allocation…" />
        </Card>
      ) : !allocation.data ? (
        <Card title="Plan">
          <ErrorState error={allocation.error} onRetry={() => void allocation.refetch()} />
        </Card>
      ) : (
        <>
          <Card title="Plan" subtitle="The newest plan the optimizer proposed and what became of it.">
            <StaleNotice updatedAt={allocation.dataUpdatedAt} isError={allocation.isError} />
            <PlanCard allocation={allocation.data} decisions={decisions.data} paused={paused} />
          </Card>
          <Card
            title="Current and proposed allocation"
            subtitle="Per node: what it has now, what the plan gives it, and why. Auto-apply lasts until Orcha restarts."
          >
            {autoApply.isError && <ErrorState error={autoApply.error} compact />}
            <AllocationNodes
              allocation={allocation.data}
              nodes={nodes.data ?? []}
              results={applied?.nodes ?? []}
              paused={paused}
              busyNode={autoApply.isPending ? (autoApply.variables?.node ?? null) : null}
              onAutoApply={(node, enabled) => autoApply.mutate({ node, enabled })}
            />
          </Card>
          <Card
            title="What-if"
            subtitle="Expected earnings of an allocation you edit, against the current one."
          >
            <WhatIfCard allocation={allocation.data} nodes={nodes.data ?? []} />
          </Card>
        </>
      )}

      <Card
        title="What more resources would earn"
        subtitle="Fitted from each node's own history: what one more unit earns per hour where it stands now, with its p10–p90 range."
      >
        <StaleNotice updatedAt={curves.dataUpdatedAt} isError={curves.isError} />
        {curves.isPending ? (
          <LoadingState label="Fitting the response curves…" />
        ) : !curves.data ? (
          <ErrorState error={curves.error} onRetry={() => void curves.refetch()} compact />
        ) : (
          <ResponseCurves curves={curves.data} />
        )}
      </Card>

      <Card title="Latest cycle" subtitle="collect → predict → optimize → evaluate → apply → monitor">
        <StaleNotice updatedAt={cycle.dataUpdatedAt} isError={cycle.isError} />
        {cycle.isPending ? (
          <LoadingState label="Loading the latest cycle…" />
        ) : cycle.data === undefined ? (
          <ErrorState error={cycle.error} onRetry={() => void cycle.refetch()} compact />
        ) : (
          <CycleSteps cycle={cycle.data} now={now} demo={status.data?.demo ?? false} />
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
