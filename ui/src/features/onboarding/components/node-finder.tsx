import { useState } from "react";
import { useBackend } from "../../../api/backend-context";
import type { DetectedNodeDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { useRestartAction } from "../../../components/demo-switch";
import { ErrorState, LoadingState } from "../../../components/state-views";
import { protocolName } from "../../../utils/format";
import { useSettings, useUpdateSettings } from "../../settings/api/use-settings";
import { useDetectNodes } from "../api/use-detect";
import { applyDetection } from "../utils/apply-detection";

function FoundNode({
  node,
  checked,
  onToggle,
}: {
  node: DetectedNodeDto;
  checked: boolean;
  onToggle: (on: boolean) => void;
}) {
  return (
    <li className="found-node" data-testid={`found-${node.id}`}>
      <label>
        <input
          type="checkbox"
          checked={checked}
          disabled={node.already_configured || !node.endpoint}
          onChange={(e) => onToggle(e.target.checked)}
        />{" "}
        <strong>{protocolName(node.protocol)}</strong>{" "}
        <span className="mono">{node.endpoint ?? "no API found"}</span>
        {node.already_configured && <span className="tag tag-muted">already configured</span>}
      </label>
      {node.target && <p className="small muted">Measured as {node.target}</p>}
      <ul className="reasons small">
        {node.evidence.map((e) => (
          <li key={e}>{e}</li>
        ))}
      </ul>
      {node.credential_hint && <p className="small">Credential: {node.credential_hint}</p>}
    </li>
  );
}

function RestartHint() {
  const backend = useBackend();
  const restart = useRestartAction(() => backend.restartApp());
  if (backend.transport !== "tauri") {
    return (
      <p>
        Restart the server (<code>orcha serve</code>) to start polling them.
      </p>
    );
  }
  return (
    <p>
      <button type="button" className="button button-primary" disabled={restart.busy} onClick={restart.start}>
        {restart.busy ? "Restarting…" : "Restart Orcha to start polling them"}
      </button>
      {restart.error && (
        <span className="field-error" role="alert">
          {restart.error}
        </span>
      )}
    </p>
  );
}

/**
 * The first run: the nodes found on this machine (ports, processes, units, containers), offered
 * for the operator to accept. Nothing is saved until "Add", and no credential is read.
 */
export function NodeFinder() {
  const found = useDetectNodes();
  const settings = useSettings();
  const save = useUpdateSettings();
  const [unchecked, setUnchecked] = useState<Set<string>>(new Set());
  const [result, setResult] = useState<{ taken: string[]; left: string[] } | null>(null);

  if (found.isPending) return <LoadingState label="Looking for nodes on this machine…" />;
  if (!found.data) return <ErrorState error={found.error} onRetry={() => void found.refetch()} />;
  const offered = found.data.nodes.filter((n) => !n.already_configured && n.endpoint);
  const chosen = offered.filter((n) => !unchecked.has(n.id));

  const add = () => {
    if (!settings.data) return;
    const applied = applyDetection(settings.data.values, chosen);
    save.mutate(applied.values, { onSuccess: () => setResult({ taken: applied.taken, left: applied.left }) });
  };

  return (
    <Card
      title="Nodes found on this machine"
      subtitle="From local ports, processes, systemd units and Docker containers. Nothing is saved until you add them, and no credential is read."
      actions={
        <button
          type="button"
          className="button"
          disabled={found.isFetching}
          onClick={() => void found.refetch()}
        >
          {found.isFetching ? "Looking…" : "Look again"}
        </button>
      }
    >
      {found.data.nodes.length === 0 ? (
        <p className="muted">
          No node found. Start your node and look again, or set its endpoint under{" "}
          <a href="#/settings">Settings</a>.
        </p>
      ) : (
        <ul className="found-nodes">
          {found.data.nodes.map((n) => (
            <FoundNode
              key={n.id}
              node={n}
              checked={!n.already_configured && !!n.endpoint && !unchecked.has(n.id)}
              onToggle={(on) =>
                setUnchecked((s) => {
                  const next = new Set(s);
                  if (on) next.delete(n.id);
                  else next.add(n.id);
                  return next;
                })
              }
            />
          ))}
        </ul>
      )}
      {found.data.notes.length > 0 && (
        <ul className="reasons small muted">
          {found.data.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {offered.length > 0 && !result && (
        <div className="button-row">
          <button
            type="button"
            className="button button-primary"
            disabled={chosen.length === 0 || !settings.data || save.isPending}
            onClick={add}
          >
            {save.isPending ? "Adding…" : `Add ${chosen.length} node${chosen.length === 1 ? "" : "s"}`}
          </button>
        </div>
      )}
      {save.error && (
        <p className="field-error" role="alert">
          {save.error.message}
        </p>
      )}
      {result && (
        <div role="status">
          <p>
            Added {result.taken.join(", ") || "nothing"} to your settings.
            {result.left.length > 0 && <> {result.left.join(", ")} need the config file (below).</>}
          </p>
          <RestartHint />
        </div>
      )}
      {offered.length > 0 && (
        <details>
          <summary>
            The same as config-file TOML (for more nodes of one protocol, or `orcha detect --write`)
          </summary>
          <pre className="mono small">{found.data.config_toml}</pre>
        </details>
      )}
    </Card>
  );
}
