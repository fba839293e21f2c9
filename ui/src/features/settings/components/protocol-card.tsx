import type { ProtocolSettingsDto, SettingsDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { protocolName } from "../../../utils/format";
import { credentialsFor, secretKey } from "../utils/credentials";
import { endpointField, type FieldSpec, pollIntervalSpec } from "../utils/fields";
import { CredentialField } from "./credential-field";
import { type FieldErrors, type Inputs, SettingsForm, SettingsGroup } from "./settings-form";

const URL_LABELS: Record<string, { label: string; hint: string }> = {
  subgraph_url: { label: "Subgraph URL", hint: "Empty: The Graph's gateway." },
  rpc_url: {
    label: "Polygon JSON-RPC URL",
    hint: "Empty: uncollected earnings are the subgraph's estimate and gas is not checked.",
  },
};

function protocolFields(p: ProtocolSettingsDto): FieldSpec[] {
  const base = `protocols.${p.protocol}`;
  return [
    { name: `${base}.enabled`, label: "Enabled", kind: "bool", hint: "Poll this protocol's nodes." },
    {
      name: `${base}.auto_apply`,
      label: "Auto-apply allocations",
      kind: "bool",
      hint: "Off: Orcha only recommends (dry-run). Switches at once for running nodes.",
    },
    pollIntervalSpec(p.protocol),
    ...p.nodes.map(
      (n): FieldSpec => ({
        name: endpointField(p.protocol, n.name),
        label: `API endpoint (${n.name})`,
        kind: "url",
        wide: true,
      }),
    ),
    ...p.urls.map(
      (u): FieldSpec => ({
        name: `${base}.${u.key}`,
        label: URL_LABELS[u.key]?.label ?? u.key,
        hint: URL_LABELS[u.key]?.hint,
        kind: "optional-url",
        wide: true,
      }),
    ),
  ];
}

/** Grass's cloud API rate-limits, so an enabled Grass node is polled every 300 s at most. */
function grassRule(inputs: Inputs, changed: ReadonlySet<string>): FieldErrors {
  const poll = "protocols.grass.poll_interval_secs";
  if (!changed.has(poll) && !changed.has("protocols.grass.enabled")) return {};
  return inputs["protocols.grass.enabled"] === true && Number(inputs[poll]) < 300
    ? { [poll]: "Grass's cloud API rate-limits: poll at most every 300 seconds." }
    : {};
}

/** One protocol: enabled, auto-apply, poll interval and endpoints, then its nodes' credentials. */
export function ProtocolCard({
  protocol: p,
  settings,
}: {
  protocol: ProtocolSettingsDto;
  settings: SettingsDto;
}) {
  const name = protocolName(p.protocol);
  const specs = credentialsFor(p.protocol);
  return (
    <Card
      title={name}
      subtitle={p.nodes.map((n) => n.id).join(" · ")}
      actions={
        <span className={`tag ${p.enabled ? "tag-ok" : "tag-muted"}`}>{p.enabled ? "Enabled" : "Off"}</span>
      }
      aria-label={`${name} node settings`}
    >
      <SettingsForm
        label={`${name} settings`}
        fields={protocolFields(p)}
        settings={settings}
        crossCheck={p.protocol === "grass" ? grassRule : undefined}
      />
      <SettingsGroup title="Credentials (OS keyring)">
        {specs.length === 0 ? (
          <p className="muted">No credential needed: the {name} node API is read from its local address.</p>
        ) : (
          <div className="credential-nodes">
            {p.nodes.flatMap((n) =>
              specs.map((spec) => (
                <CredentialField
                  key={`${n.id}/${spec.kind}`}
                  secretKey={secretKey(n.id, spec.kind)}
                  label={spec.label}
                  hint={spec.hint}
                  formLabel={`${spec.label} for ${n.id}`}
                />
              )),
            )}
          </div>
        )}
      </SettingsGroup>
    </Card>
  );
}
