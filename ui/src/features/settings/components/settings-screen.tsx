import { useBackend } from "../../../api/backend-context";
import { useStatus } from "../../../api/use-status";
import type { SettingsDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { useRestartAction } from "../../../components/demo-switch";
import { PageHeader } from "../../../components/page-header";
import { ErrorState, LoadingState } from "../../../components/state-views";
import { useRunCycleNow, useSetPaused, useSettings } from "../api/use-settings";
import "../settings.css";
import { AlertsCard } from "./alerts-card";
import { AuditCard } from "./audit-card";
import { AutostartCard } from "./autostart-card";
import { BackupsCard } from "./backups-card";
import { BudgetCard } from "./budget-card";
import { CurrencyCard, IntervalsCard } from "./intervals-card";
import { ProtocolCard } from "./protocol-card";

function AutomationCard() {
  const status = useStatus();
  const setPaused = useSetPaused();
  const run = useRunCycleNow();
  const paused = status.data?.paused;
  return (
    <Card
      title="Automation"
      subtitle="The optimization loop runs every cycle interval; pausing stops applying plans."
    >
      {status.isPending ? (
        <LoadingState />
      ) : !status.data ? (
        <ErrorState error={status.error} onRetry={() => void status.refetch()} compact />
      ) : (
        <div className="automation">
          <p>
            Automation is{" "}
            <strong className={paused ? "text-warn" : "text-ok"} data-testid="automation-state">
              {paused ? "paused" : "running"}
            </strong>
            .
          </p>
          <div className="button-row">
            <button
              type="button"
              className="button"
              disabled={setPaused.isPending}
              onClick={() => setPaused.mutate(!paused)}
            >
              {paused ? "Resume automation" : "Pause automation"}
            </button>
            <button
              type="button"
              className="button button-primary"
              disabled={run.isPending}
              onClick={() => run.mutate()}
            >
              {run.isPending ? "Starting…" : "Run cycle now"}
            </button>
          </div>
          {setPaused.isError && <p className="field-error">{setPaused.error.message}</p>}
          {run.isError && <p className="field-error">{run.error.message}</p>}
          {run.isSuccess && (
            <p className="field-ok" role="status">
              A cycle was started. Follow it under Allocation.
            </p>
          )}
        </div>
      )}
    </Card>
  );
}

function count(n: number): string {
  return n === 1 ? "1 change" : `${n} changes`;
}

/** The desktop app restarts itself; a server in a browser says how to restart it instead. */
function RestartButton() {
  const backend = useBackend();
  const state = useRestartAction(() => backend.restartApp());
  if (backend.transport !== "tauri") return <span> Restart the Orcha service to use them.</span>;
  return (
    <span className="settings-restart-action">
      {" "}
      <button type="button" className="button" disabled={state.busy} onClick={state.start}>
        {state.busy ? "Restarting…" : "Restart now"}
      </button>
      {state.error && (
        <span className="field-error" role="alert">
          {" "}
          {state.error}
        </span>
      )}
    </span>
  );
}

/** Where saves go, and which saved values the running app does not use yet. */
function SaveTarget({ settings }: { settings: SettingsDto }) {
  const pending = settings.restart_required;
  return (
    <>
      {pending.length > 0 && (
        <div className="notice settings-restart" role="status" data-testid="restart-required">
          <strong>
            {settings.scratch
              ? `${count(pending.length)} saved to the demo's scratch file; a real Orcha would use them after a restart:`
              : `${count(pending.length)} saved; ${pending.length === 1 ? "it takes" : "they take"} effect after a restart of Orcha:`}
          </strong>{" "}
          {pending.map((f, i) => (
            <span key={f}>
              {i > 0 && ", "}
              <code>{f}</code>
            </span>
          ))}
          .{!settings.scratch && <RestartButton />}
        </div>
      )}
      <p className="muted small" data-testid="settings-file">
        {settings.scratch ? (
          <>
            Demo mode: settings are checked as usual and saved to a scratch file (<code>{settings.file}</code>
            ) that the simulated nodes never read and that is discarded when the demo starts again.
          </>
        ) : settings.file ? (
          <>
            Saved to <code>{settings.file}</code>, keeping its comments. Only auto-apply takes effect at once;
            everything else after a restart.
          </>
        ) : (
          <>This Orcha was started without a configuration file, so settings cannot be saved.</>
        )}
      </p>
    </>
  );
}

export function SettingsScreen() {
  const settings = useSettings();
  return (
    <div className="screen">
      <PageHeader
        title="Settings"
        description="Nodes, machine budget, intervals, currency, alert channels, credentials, backups and the audit log."
      />
      <AutomationCard />
      <AutostartCard />
      {settings.isPending ? (
        <Card title="Configuration">
          <LoadingState label="Loading the settings…" />
        </Card>
      ) : !settings.data ? (
        <Card title="Configuration">
          <ErrorState error={settings.error} onRetry={() => void settings.refetch()} />
        </Card>
      ) : (
        <>
          <SaveTarget settings={settings.data} />
          {settings.data.values.protocols.map((p) => (
            <ProtocolCard key={p.protocol} protocol={p} settings={settings.data} />
          ))}
          <BudgetCard settings={settings.data} />
          <div className="card-grid card-grid-2">
            <IntervalsCard settings={settings.data} />
            <CurrencyCard settings={settings.data} />
          </div>
          <AlertsCard settings={settings.data} />
        </>
      )}
      <BackupsCard settings={settings.data} />
      <AuditCard />
    </div>
  );
}
