import type { CycleDto } from "../../../bindings";
import { EmptyState } from "../../../components/state-views";
import { formatDateTime, formatRelative, formatTime, sentenceCase } from "../../../utils/format";

export const STEP_ORDER = ["collect", "predict", "optimize", "evaluate", "apply", "monitor"] as const;

const ICON: Record<string, string> = { done: "✓", skipped: "–", failed: "✕" };

/**
 * `demo`: the simulator's clock runs a day per real minute, so times are shown as they are
 * rather than relative to this computer's clock.
 */
export function CycleSteps({
  cycle,
  now,
  demo = false,
}: {
  cycle: CycleDto | null;
  now: number;
  demo?: boolean;
}) {
  if (!cycle)
    return (
      <EmptyState title="No cycle has run yet">
        The first optimization cycle runs shortly after start-up.
      </EmptyState>
    );
  const when = (iso: string) => (demo ? formatDateTime(iso) : formatRelative(iso, now));
  const known = new Set<string>(STEP_ORDER);
  const extra = cycle.steps.filter((s) => !known.has(s.step)).map((s) => s.step);
  return (
    <div>
      <p className="muted">
        Cycle #{cycle.id} · started {when(cycle.started_at)} ·{" "}
        {cycle.finished_at ? `finished ${when(cycle.finished_at)}` : "running"}
      </p>
      <ol className="steps">
        {[...STEP_ORDER, ...extra].map((name) => {
          const step = cycle.steps.find((s) => s.step === name);
          const state = step?.status ?? "waiting";
          return (
            <li key={name} className={`step step-${state}`} data-testid={`step-${name}`}>
              <span className="step-icon" aria-hidden="true">
                {ICON[state] ?? "·"}
              </span>
              <div>
                <p className="step-name">
                  {sentenceCase(name)} <span className="step-status">{state}</span>
                </p>
                {step && <p className="step-detail">{step.detail}</p>}
                {step && <p className="step-time">{formatTime(step.at)}</p>}
              </div>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
