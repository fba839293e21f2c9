import type { DecisionDto } from "../../../bindings";
import { EmptyState } from "../../../components/state-views";
import { formatDateTime, sentenceCase } from "../../../utils/format";
import { applyResultRows, type PlanRow, readPlan, rollbackRows } from "../utils/plan";

function Field({ label, text }: { label: string; text: string | null }) {
  return <Rows label={label} plan={readPlan(text)} />;
}

function Rows({ label, plan }: { label: string; plan: PlanRow[] | string | null }) {
  if (plan === null) return null;
  return (
    <div className="decision-field">
      <dt>{label}</dt>
      <dd>
        {typeof plan === "string" ? (
          plan
        ) : (
          <table className="kv-table">
            <tbody>
              {plan.map((r) => (
                <tr key={r.label}>
                  <th scope="row">{r.label}</th>
                  <td>{r.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </dd>
    </div>
  );
}

export function DecisionList({ decisions }: { decisions: DecisionDto[] }) {
  if (decisions.length === 0)
    return (
      <EmptyState title="No decisions yet">
        Every optimization cycle records what it proposed and why it applied, recommended or skipped it.
      </EmptyState>
    );
  return (
    <ul className="decision-list">
      {decisions.map((d) => (
        <li key={d.id} className="decision" data-testid="decision">
          <div className="decision-head">
            <span className={`verdict verdict-${d.verdict}`}>{sentenceCase(d.verdict)}</span>
            <span className="decision-reason">{d.reason}</span>
            <span className="decision-time">
              {d.cycle !== null && <>cycle #{d.cycle} · </>}
              {formatDateTime(d.created_at)}
            </span>
          </div>
          <dl className="decision-fields">
            <Field label="Expected gain" text={d.expected_gain} />
            <Field label="Switching cost" text={d.switching_cost} />
            <Field label="Proposed plan" text={d.proposed_plan} />
            <Rows label="Applied result" plan={d.applied_result && applyResultRows(d.applied_result)} />
            <Rows label="Rollback" plan={d.rollback && rollbackRows(d.rollback)} />
          </dl>
        </li>
      ))}
    </ul>
  );
}
