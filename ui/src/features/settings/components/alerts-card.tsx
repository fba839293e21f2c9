import { useState } from "react";
import type { AlertChannelDto, SettingsDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { ErrorState, LoadingState } from "../../../components/state-views";
import { formatDateTime } from "../../../utils/format";
import { useAlertChannels, useSecretStatus, useSendTestAlert } from "../api/use-settings";
import type { FieldSpec } from "../utils/fields";
import { CredentialField } from "./credential-field";
import { type FieldErrors, type Inputs, SettingsForm, SettingsGroup } from "./settings-form";

const FIELDS: FieldSpec[] = [
  { name: "alerts.enabled", label: "Evaluate alert rules", kind: "bool" },
  {
    name: "alerts.notify_min_severity",
    label: "Notify from severity",
    kind: "choice",
    options: ["info", "warning", "critical"],
  },
  {
    name: "alerts.ntfy_url",
    label: "ntfy topic URL",
    kind: "optional-url",
    placeholder: "e.g. https://ntfy.sh/my-orcha",
    wide: true,
  },
  {
    name: "alerts.webhook_url",
    label: "Webhook URL",
    kind: "optional-url",
    hint: "A URL that holds a secret goes in the keyring below instead.",
    wide: true,
  },
  {
    name: "alerts.discord",
    label: "Discord",
    kind: "bool",
    hint: "Posts to the Discord webhook URL stored below.",
  },
  {
    name: "alerts.telegram_chat_id",
    label: "Telegram chat id",
    kind: "chat-id",
    placeholder: "e.g. -1001234567890",
    hint: "Needs the bot token stored below.",
  },
  { name: "alerts.telegram_api_url", label: "Telegram Bot API URL", kind: "url", wide: true },
  { name: "alerts.smtp_host", label: "SMTP server", kind: "host", placeholder: "e.g. smtp.example.com" },
  { name: "alerts.smtp_port", label: "SMTP port", kind: "number", min: 1, max: 65535 },
  {
    name: "alerts.smtp_security",
    label: "SMTP security",
    kind: "choice",
    options: ["starttls", "tls", "none"],
  },
  { name: "alerts.smtp_username", label: "SMTP user", kind: "text", hint: "Empty: no authentication." },
  { name: "alerts.smtp_from", label: "From", kind: "email" },
  { name: "alerts.smtp_to", label: "To (comma-separated)", kind: "emails" },
];

/** The channel credentials Orcha reads from the keyring, never from the config file. */
const SECRETS = [
  { key: "alerts:ntfy/token", label: "ntfy access token" },
  { key: "alerts:webhook/url", label: "Webhook URL with a secret" },
  { key: "alerts:webhook/token", label: "Webhook bearer token" },
  { key: "alerts:discord/url", label: "Discord webhook URL" },
  { key: "alerts:telegram/token", label: "Telegram bot token" },
  { key: "alerts:smtp/password", label: "SMTP password" },
] as const;

const SECRET_KEYS = SECRETS.map((s) => s.key);

const CHANNEL_NAMES: Record<string, string> = {
  ntfy: "ntfy",
  webhook: "Webhook",
  discord: "Discord",
  telegram: "Telegram",
  email: "E-mail",
};

function ChannelRow({ channel: c }: { channel: AlertChannelDto }) {
  return (
    <li className="channel-row" data-testid={`channel-${c.channel}`}>
      <span className="channel-name">{CHANNEL_NAMES[c.channel] ?? c.channel}</span>
      {c.configured ? (
        <span className="tag tag-ok">Configured</span>
      ) : (
        <span className="tag tag-muted">Off</span>
      )}
      {c.last_error ? (
        <span className="text-danger small">
          Failed{c.last_error_at ? ` ${formatDateTime(c.last_error_at)}` : ""}: {c.last_error}
        </span>
      ) : c.last_sent_at ? (
        <span className="text-ok small">Sent {formatDateTime(c.last_sent_at)}</span>
      ) : (
        <span className="muted small">Nothing sent yet</span>
      )}
    </li>
  );
}

function ChannelStatus() {
  const channels = useAlertChannels();
  const test = useSendTestAlert();
  return (
    <SettingsGroup title="Channels">
      {channels.isPending ? (
        <LoadingState label="Checking the channels…" />
      ) : !channels.data ? (
        <ErrorState error={channels.error} onRetry={() => void channels.refetch()} compact />
      ) : (
        <ul className="channel-list">
          {channels.data.map((c) => (
            <ChannelRow key={c.channel} channel={c} />
          ))}
        </ul>
      )}
      <div className="button-row">
        <button type="button" className="button" disabled={test.isPending} onClick={() => test.mutate()}>
          {test.isPending ? "Sending…" : "Send test alert"}
        </button>
      </div>
      {test.isError && (
        <p className="field-error" role="alert">
          {test.error.message}
        </p>
      )}
      {test.isSuccess && (
        <p className="field-ok" role="status">
          Test alert sent to every configured channel; each channel's result is shown above.
        </p>
      )}
    </SettingsGroup>
  );
}

/** Alert channels: the non-secret settings, the channel credentials and a test send. */
export function AlertsCard({ settings }: { settings: SettingsDto }) {
  const [secretErrors, setSecretErrors] = useState<FieldErrors>({});
  const telegramToken = useSecretStatus("alerts:telegram/token", "alerts");
  const discordUrl = useSecretStatus("alerts:discord/url", "alerts");

  // A channel cannot be switched on before its credential is stored (the server says the same);
  // an unknown keyring state is left to the server.
  const requiredTokens = (inputs: Inputs, changed: ReadonlySet<string>): FieldErrors => {
    const out: FieldErrors = {};
    if (changed.has("alerts.smtp_host") || changed.has("alerts.smtp_from") || changed.has("alerts.smtp_to")) {
      if (inputs["alerts.smtp_host"] !== "")
        for (const f of ["alerts.smtp_from", "alerts.smtp_to"])
          if (inputs[f] === "") out[f] = "Required when an SMTP server is set.";
    }
    if (
      changed.has("alerts.telegram_chat_id") &&
      inputs["alerts.telegram_chat_id"] !== "" &&
      telegramToken.data?.stored === false
    )
      out["alerts:telegram/token"] = "Store the Telegram bot token before setting a chat id.";
    if (
      changed.has("alerts.discord") &&
      inputs["alerts.discord"] === true &&
      discordUrl.data?.stored === false
    )
      out["alerts:discord/url"] = "Store the Discord webhook URL before switching Discord on.";
    return out;
  };

  return (
    <Card
      title="Alert channels"
      subtitle="Where alerts are sent. Credentials stay in the OS keyring; Orcha shows only whether one is stored."
    >
      <SettingsForm
        label="Alert channel settings"
        fields={FIELDS}
        settings={settings}
        crossCheck={requiredTokens}
        outsideFields={SECRET_KEYS}
        onOutsideErrors={setSecretErrors}
      />
      <SettingsGroup title="Channel credentials (OS keyring)">
        <div className="credential-nodes settings-credential-grid">
          {SECRETS.map((s) => (
            <CredentialField
              key={s.key}
              secretKey={s.key}
              label={s.label}
              formLabel={s.label}
              scope="alerts"
              externalError={secretErrors[s.key] ?? null}
            />
          ))}
        </div>
      </SettingsGroup>
      <ChannelStatus />
    </Card>
  );
}
