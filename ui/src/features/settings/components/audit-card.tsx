import { useState } from "react";
import type { AuditRowDto, AuditVerdictDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { EmptyState, ErrorState, LoadingState } from "../../../components/state-views";
import { formatDateTime } from "../../../utils/format";
import { useAuditLog, useAuditVerdict } from "../api/use-audit";

const ACTORS: Record<string, string> = {
  desktop: "Desktop app",
  api: "API token",
  cli: "Command line",
  orchestrator: "Orchestrator",
  rollback: "Rollback",
  operator: "Operator",
};

/** Long values (plans, JSON) are cut for the table; the full text is in the title. */
function short(value: string | null): string {
  if (value === null) return "—";
  return value.length > 80 ? `${value.slice(0, 79)}…` : value;
}

function Verdict({ verdict }: { verdict: AuditVerdictDto }) {
  if (verdict.intact)
    return (
      <p className="field-ok" role="status" data-testid="audit-verdict">
        Hash chain intact: {String(verdict.rows)} {Number(verdict.rows) === 1 ? "row" : "rows"} checked.
      </p>
    );
  return (
    <p className="field-error" role="alert" data-testid="audit-verdict">
      Hash chain broken at row {String(verdict.broken_at)}: that row or one before it was edited or deleted
      outside Orcha.
    </p>
  );
}

function Row({ row }: { row: AuditRowDto }) {
  return (
    <tr data-testid="audit-row">
      <td>{formatDateTime(row.at)}</td>
      <td>{ACTORS[row.actor] ?? row.actor}</td>
      <td>
        <code>{row.key}</code>
      </td>
      <td title={row.old ?? undefined}>{short(row.old)}</td>
      <td title={row.new ?? undefined}>{short(row.new)}</td>
    </tr>
  );
}

/** Every change with who made it, newest first, and whether the hash chain still holds. */
export function AuditCard() {
  // The `before` cursors of the pages shown so far; null is the newest page.
  const [pages, setPages] = useState<Array<bigint | null>>([null]);
  const before = pages[pages.length - 1] ?? null;
  const log = useAuditLog(before);
  const verdict = useAuditVerdict();
  return (
    <Card
      title="Audit log"
      subtitle="Every change and who made it (desktop app, API token, command line, orchestrator). Rows are hash-chained, so an edit or a deletion shows."
    >
      {verdict.isPending ? (
        <LoadingState label="Checking the hash chain…" />
      ) : !verdict.data ? (
        <ErrorState error={verdict.error} onRetry={() => void verdict.refetch()} compact />
      ) : (
        <Verdict verdict={verdict.data} />
      )}
      {log.isPending ? (
        <LoadingState label="Loading the audit log…" />
      ) : !log.data ? (
        <ErrorState error={log.error} onRetry={() => void log.refetch()} compact />
      ) : log.data.rows.length === 0 ? (
        <EmptyState title="No changes recorded yet" />
      ) : (
        <>
          <table className="table" aria-label="Audit log">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {log.data.rows.map((r) => (
                <Row key={String(r.id)} row={r} />
              ))}
            </tbody>
          </table>
          <div className="button-row">
            {pages.length > 1 && (
              <button type="button" className="button" onClick={() => setPages(pages.slice(0, -1))}>
                Newer
              </button>
            )}
            {log.data.next_before !== null && (
              <button
                type="button"
                className="button"
                onClick={() => {
                  const next = log.data?.next_before;
                  if (next !== null && next !== undefined) setPages([...pages, next]);
                }}
              >
                Older
              </button>
            )}
          </div>
        </>
      )}
    </Card>
  );
}
