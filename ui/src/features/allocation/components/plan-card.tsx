import { useState } from "react";
import type { AllocationDto, ApplyResultDto, DecisionDto } from "../../../bindings";
import { EmptyState, ErrorState } from "../../../components/state-views";
import { formatDateTime, sentenceCase } from "../../../utils/format";
import { useApprovePlan } from "../api/use-allocation";
import { type ApplyOutcome, type NodeOutcome, readApplyOutcome } from "../utils/apply-result";
import { formatFiat, parseFiat } from "../utils/fiat";

const SOURCES: Record<string, string> = {
  engine: "the ML engine's optimizer",
  fallback: "the fallback optimizer (ML engine unavailable or without forecasts)",
  operator: "you (approved by hand)",
};

const VERDICTS: Record<string, string> = {
  recommend: "Recommended · dry-run",
  apply: "Apply",
  skip: "Skipped",
};

const STATUS: Record<string, { label: string; tag: string }> = {
  applied: { label: "Applied", tag: "tag-ok" },
  rolled_back: { label: "Rolled back", tag: "tag-warn" },
  refused: { label: "Refused", tag: "tag-danger" },
};

const OUTCOMES: Record<NodeOutcome, { label: string; tag: string }> = {
  applied: { label: "applied", tag: "tag-ok" },
  rolled_back: { label: "rolled back", tag: "tag-warn" },
  failed: { label: "failed", tag: "tag-danger" },
  not_changed: { label: "not changed", tag: "tag-muted" },
};

function Usd({ text }: { text: string | null }) {
  const f = parseFiat(text);
  if (!f) return <span className="metric-not-measured">—</span>;
  return <span title={text ?? undefined}>{formatFiat(f, 2)}</span>;
}

function Outcome({ outcome }: { outcome: ApplyOutcome }) {
  return (
    <ul className="result-list" aria-label="Result per node">
      {outcome.nodes.map((n) => (
        <li key={n.node} data-testid="node-result" data-outcome={n.outcome}>
          <span className="mono">{n.node}</span>{" "}
          <span className={`tag ${OUTCOMES[n.outcome].tag}`}>{OUTCOMES[n.outcome].label}</span>{" "}
          <span className="muted small">{n.detail}</span>
        </li>
      ))}
    </ul>
  );
}

/** The answer of an approval plus, once the decision has been read again, each node's outcome. */
function ApplyResult({
  result,
  outcome,
}: {
  result: Pick<ApplyResultDto, "status" | "detail"> | null;
  outcome: ApplyOutcome | null;
}) {
  const status = result?.status ?? outcome?.status ?? "applied";
  const s = STATUS[status] ?? { label: sentenceCase(status), tag: "tag-muted" };
  return (
    <div className={`apply-result apply-${status}`} role="status" data-testid="apply-result">
      <p>
        <span className={`tag ${s.tag}`}>{s.label}</span> {result?.detail ?? outcome?.error ?? ""}
      </p>
      {outcome ? <Outcome outcome={outcome} /> : <p className="muted small">Reading the result per node…</p>}
    </div>
  );
}

export function PlanCard({
  allocation,
  decisions,
  paused,
}: {
  allocation: AllocationDto;
  decisions: readonly DecisionDto[] | undefined;
  paused: boolean;
}) {
  const approve = useApprovePlan();
  const [confirming, setConfirming] = useState(false);
  const changed = allocation.nodes.filter((n) => n.changes.length > 0).map((n) => n.node);
  const restarts = allocation.nodes.filter((n) => n.restart && n.changes.length > 0).map((n) => n.node);

  if (allocation.decision_id === null) {
    const latest = decisions?.[0];
    return (
      <EmptyState title="No plan yet">
        <p>
          The optimizer has not proposed an allocation yet; the current allocation of every node is shown
          below.
        </p>
        {latest && (
          <p data-testid="latest-reason">
            Latest cycle: {sentenceCase(latest.verdict)} — {latest.reason}
          </p>
        )}
      </EmptyState>
    );
  }

  const decisionId = allocation.decision_id;
  const verdict = allocation.verdict ?? "skip";
  // An approval belongs to the plan it was made for (or to the decision recording it); a newer
  // plan starts afresh.
  const forThisPlan =
    approve.variables?.decision_id === decisionId || approve.data?.decision_id === decisionId;
  const approved = forThisPlan ? approve.data : undefined;
  const resultId = approved?.decision_id ?? (verdict === "apply" ? decisionId : null);
  const resultDecision = resultId === null ? undefined : decisions?.find((d) => d.id === resultId);
  const outcome = readApplyOutcome(resultDecision, changed);
  const canApprove = verdict === "recommend" && !approved;

  return (
    <div className="plan" data-testid="plan" data-verdict={verdict}>
      <div className="plan-head">
        <span className={`verdict verdict-${verdict}`}>{VERDICTS[verdict] ?? sentenceCase(verdict)}</span>
        <span className="decision-reason">{allocation.reason}</span>
      </div>
      <p className="muted small">
        Decision #{decisionId}
        {allocation.created_at && <> · {formatDateTime(allocation.created_at)}</>}
        {allocation.source && <> · proposed by {SOURCES[allocation.source] ?? allocation.source}</>}
      </p>
      <dl className="plan-figures">
        <div>
          <dt>Expected gain</dt>
          <dd>
            <Usd text={allocation.expected_gain} />
          </dd>
        </div>
        <div>
          <dt>Switching cost</dt>
          <dd>
            <Usd text={allocation.switching_cost} />
          </dd>
        </div>
        <div>
          <dt>Nodes changed</dt>
          <dd>{changed.length === 0 ? "none" : changed.join(", ")}</dd>
        </div>
      </dl>

      {canApprove && (
        <div className="approve-box">
          <p className="small">
            <strong>Dry-run is the default:</strong> this plan was only recommended, nothing has changed.{" "}
            <strong>Approve plan</strong> applies it now: Orcha checks it again against the nodes as they are,
            writes an audit row, sets each changed node's knob and reads it back, and rolls every node back if
            one change fails.
            {restarts.length > 0 && <> {restarts.join(", ")} will restart.</>}
          </p>
          {paused && (
            <p className="notice small" data-testid="paused-note">
              Automation is paused: the loop applies nothing by itself, but approving still applies this plan
              now.
            </p>
          )}
          {confirming ? (
            <div className="button-row">
              <button
                type="button"
                className="button button-primary"
                disabled={approve.isPending}
                onClick={() => {
                  setConfirming(false);
                  approve.mutate({ decision_id: decisionId });
                }}
              >
                Apply to {changed.length} node{changed.length === 1 ? "" : "s"} now
              </button>
              <button type="button" className="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          ) : (
            <div className="button-row">
              <button
                type="button"
                className="button button-primary"
                disabled={approve.isPending || changed.length === 0}
                onClick={() => {
                  approve.reset();
                  setConfirming(true);
                }}
              >
                {approve.isPending ? "Applying…" : "Approve plan"}
              </button>
            </div>
          )}
        </div>
      )}
      {approve.isError && forThisPlan && <ErrorState error={approve.error} compact />}
      {(approved || (verdict === "apply" && outcome)) && (
        <ApplyResult result={approved ?? null} outcome={outcome} />
      )}
    </div>
  );
}
