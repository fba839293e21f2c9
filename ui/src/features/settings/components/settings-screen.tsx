import { useNodes } from "../../../api/use-nodes";
import { useStatus } from "../../../api/use-status";
import { Card } from "../../../components/card";
import { PageHeader } from "../../../components/page-header";
import { ErrorState, LoadingState, NoNodesState, NotAvailable } from "../../../components/state-views";
import { protocolName } from "../../../utils/format";
import { useRunCycleNow, useSetPaused } from "../api/use-settings";
import { credentialsFor } from "../utils/credentials";
import { CredentialField } from "./credential-field";

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

function CredentialsCard() {
  const nodes = useNodes();
  return (
    <Card
      title="Node credentials"
      subtitle="Stored only in the OS keyring. Orcha shows whether a value is stored, never the value."
    >
      {nodes.isPending ? (
        <LoadingState />
      ) : !nodes.data ? (
        <ErrorState error={nodes.error} onRetry={() => void nodes.refetch()} compact />
      ) : nodes.data.length === 0 ? (
        <NoNodesState />
      ) : (
        <div className="credential-nodes">
          {nodes.data.map((n) => {
            const specs = credentialsFor(n.protocol);
            return (
              <section key={n.id} className="credential-node" aria-label={`Credentials of ${n.id}`}>
                <h3>
                  {protocolName(n.protocol)} <span className="muted">· {n.name}</span>
                </h3>
                {specs.length === 0 ? (
                  <p className="muted">
                    No credential needed: the {protocolName(n.protocol)} node API is read from its local
                    address.
                  </p>
                ) : (
                  specs.map((spec) => <CredentialField key={spec.kind} nodeId={n.id} spec={spec} />)
                )}
              </section>
            );
          })}
        </div>
      )}
    </Card>
  );
}

export function SettingsScreen() {
  return (
    <div className="screen">
      <PageHeader title="Settings" description="Credentials, automation and configuration." />
      <AutomationCard />
      <CredentialsCard />
      <NotAvailable title="Configuration editing">
        Nodes, endpoints, the machine budget and per protocol auto-apply are set in the config file for now (
        <code>orcha.toml</code>); editing them here needs the settings endpoints.
      </NotAvailable>
    </div>
  );
}
