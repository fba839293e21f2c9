import { useState } from "react";
import type { AlertDto } from "../../../bindings";
import { PageHeader } from "../../../components/page-header";
import { StaleNotice } from "../../../components/stale-notice";
import { EmptyState, ErrorState, LoadingState } from "../../../components/state-views";
import { useNow } from "../../../lib/use-now";
import { formatDateTime, formatRelative, sentenceCase } from "../../../utils/format";
import { useAcknowledgeAlert, useAlerts } from "../api/use-alerts";

type Tab = "open" | "cleared";

function AlertRow({ alert, now }: { alert: AlertDto; now: number }) {
  const ack = useAcknowledgeAlert();
  const cleared = alert.cleared_at !== null;
  return (
    <li className={`alert-row severity-${alert.severity}`} data-testid="alert-row">
      <span className={`severity severity-badge-${alert.severity}`}>{sentenceCase(alert.severity)}</span>
      <div className="alert-body">
        <p className="alert-message">{alert.message}</p>
        <p className="alert-meta">
          {alert.node ? <a href={`#/nodes/${encodeURIComponent(alert.node)}`}>{alert.node}</a> : "Orcha"} ·{" "}
          {sentenceCase(alert.rule)} · opened{" "}
          <time dateTime={alert.opened_at} title={formatDateTime(alert.opened_at)}>
            {formatRelative(alert.opened_at, now)}
          </time>
          {alert.cleared_at && <> · cleared {formatRelative(alert.cleared_at, now)}</>}
        </p>
        {ack.isError && <p className="field-error">{ack.error.message}</p>}
      </div>
      <div className="alert-actions">
        {alert.acknowledged_at ? (
          <span className="tag tag-muted" title={formatDateTime(alert.acknowledged_at)}>
            Acknowledged
          </span>
        ) : cleared ? (
          <span className="tag tag-ok">Cleared</span>
        ) : (
          <button
            type="button"
            className="button"
            disabled={ack.isPending}
            onClick={() => ack.mutate(alert.id)}
            aria-label={`Acknowledge: ${alert.message}`}
          >
            {ack.isPending ? "Acknowledging…" : "Acknowledge"}
          </button>
        )}
      </div>
    </li>
  );
}

export function AlertsScreen() {
  const [tab, setTab] = useState<Tab>("open");
  const alerts = useAlerts(tab === "cleared");
  const now = useNow(10_000);
  const shown = (alerts.data ?? []).filter((a) => (tab === "open" ? !a.cleared_at : a.cleared_at));

  return (
    <div className="screen">
      <PageHeader title="Alerts" description="Problems Orcha noticed on your nodes and in its own loop." />
      <div className="tabs" role="tablist" aria-label="Alert state">
        {(["open", "cleared"] as const).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? "tab active" : "tab"}
            onClick={() => setTab(t)}
          >
            {t === "open" ? "Open" : "Cleared"}
          </button>
        ))}
      </div>
      <StaleNotice updatedAt={alerts.dataUpdatedAt} isError={alerts.isError} />
      {alerts.isPending ? (
        <LoadingState label="Loading alerts…" />
      ) : !alerts.data ? (
        <ErrorState error={alerts.error} onRetry={() => void alerts.refetch()} />
      ) : shown.length === 0 ? (
        <EmptyState title={tab === "open" ? "No open alerts" : "No cleared alerts"}>
          {tab === "open"
            ? "Everything Orcha watches looks fine."
            : "Alerts that resolve themselves land here."}
        </EmptyState>
      ) : (
        <ul className="alert-list">
          {shown.map((a) => (
            <AlertRow key={a.id} alert={a} now={now} />
          ))}
        </ul>
      )}
    </div>
  );
}
