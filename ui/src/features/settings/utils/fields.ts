// The settings as a flat list of form fields named exactly as the server names them in
// `ApiError.field` (`protocols.storj.nodes.main.endpoint`, `budget.reserve_cpu_cores`, …), and the
// checks each field gets before it is sent. The server checks the same things again.
import type {
  AlertSettingsDto,
  BudgetSettingsDto,
  IntervalSettingsDto,
  ProtocolSettingsDto,
  SettingsValuesDto,
} from "../../../bindings";

/** What a form input holds: text (numbers too, as typed) or a checkbox. */
export type FieldValue = string | boolean;

interface Slot {
  name: string;
  get(): string | number | boolean;
  set(value: FieldValue): void;
}

const BUDGET_KEYS = [
  "grant_cpu_cores",
  "grant_memory_mib",
  "grant_disk_gib",
  "reserve_cpu_cores",
  "reserve_memory_mib",
  "reserve_disk_gib",
  "bandwidth_up_mbps",
  "bandwidth_down_mbps",
] as const satisfies ReadonlyArray<keyof BudgetSettingsDto>;

const INTERVAL_KEYS = [
  "optimization_interval_secs",
  "poll_interval_secs",
  "poll_timeout_secs",
] as const satisfies ReadonlyArray<keyof IntervalSettingsDto>;

const ALERT_TEXT_KEYS = [
  "notify_min_severity",
  "ntfy_url",
  "webhook_url",
  "telegram_chat_id",
  "telegram_api_url",
  "smtp_host",
  "smtp_security",
  "smtp_username",
  "smtp_from",
  "smtp_to",
] as const satisfies ReadonlyArray<keyof AlertSettingsDto>;

const ALERT_BOOL_KEYS = ["enabled", "discord"] as const satisfies ReadonlyArray<keyof AlertSettingsDto>;

const text = (v: FieldValue) => (typeof v === "string" ? v.trim() : String(v));
const num = (v: FieldValue) => Number(text(v));

export function endpointField(protocol: string, node: string): string {
  return `protocols.${protocol}.nodes.${node}.endpoint`;
}

function protocolSlots(p: ProtocolSettingsDto): Slot[] {
  const base = `protocols.${p.protocol}`;
  return [
    {
      name: `${base}.enabled`,
      get: () => p.enabled,
      set: (v) => {
        p.enabled = v === true;
      },
    },
    {
      name: `${base}.auto_apply`,
      get: () => p.auto_apply,
      set: (v) => {
        p.auto_apply = v === true;
      },
    },
    {
      name: `${base}.poll_interval_secs`,
      get: () => p.poll_interval_secs,
      set: (v) => {
        p.poll_interval_secs = num(v);
      },
    },
    ...p.nodes.map(
      (n): Slot => ({
        name: endpointField(p.protocol, n.name),
        get: () => n.endpoint,
        set: (v) => {
          n.endpoint = text(v);
        },
      }),
    ),
    ...p.urls.map(
      (u): Slot => ({
        name: `${base}.${u.key}`,
        get: () => u.value,
        set: (v) => {
          u.value = text(v);
        },
      }),
    ),
  ];
}

/** Every field of `v`, reading and writing `v` itself. */
function slots(v: SettingsValuesDto): Slot[] {
  const { budget, intervals, alerts } = v;
  return [
    ...v.protocols.flatMap(protocolSlots),
    ...BUDGET_KEYS.map(
      (k): Slot => ({
        name: `budget.${k}`,
        get: () => budget[k],
        set: (x) => {
          budget[k] = num(x);
        },
      }),
    ),
    ...INTERVAL_KEYS.map(
      (k): Slot => ({
        name: `intervals.${k}`,
        get: () => intervals[k],
        set: (x) => {
          intervals[k] = num(x);
        },
      }),
    ),
    ...ALERT_TEXT_KEYS.map(
      (k): Slot => ({
        name: `alerts.${k}`,
        get: () => alerts[k],
        set: (x) => {
          alerts[k] = text(x);
        },
      }),
    ),
    ...ALERT_BOOL_KEYS.map(
      (k): Slot => ({
        name: `alerts.${k}`,
        get: () => alerts[k],
        set: (x) => {
          alerts[k] = x === true;
        },
      }),
    ),
    {
      name: "alerts.smtp_port",
      get: () => alerts.smtp_port,
      set: (x) => {
        alerts.smtp_port = num(x);
      },
    },
    {
      name: "backup.interval_hours",
      get: () => v.backup.interval_hours,
      set: (x) => {
        v.backup.interval_hours = num(x);
      },
    },
    {
      name: "backup.retention",
      get: () => v.backup.retention,
      set: (x) => {
        v.backup.retention = num(x);
      },
    },
    {
      name: "prices.fiat",
      get: () => v.fiat,
      set: (x) => {
        v.fiat = text(x);
      },
    },
  ];
}

/** The values as form inputs show them: numbers as text, checkboxes as booleans. */
export function toInputs(v: SettingsValuesDto): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const s of slots(v)) {
    const value = s.get();
    out[s.name] = typeof value === "boolean" ? value : String(value);
  }
  return out;
}

/** A copy of `v` with the edited inputs written in (text trimmed, numbers parsed). */
export function withInputs(v: SettingsValuesDto, edits: Record<string, FieldValue>): SettingsValuesDto {
  const copy = structuredClone(v);
  for (const s of slots(copy)) {
    const edit = edits[s.name];
    if (edit !== undefined) s.set(edit);
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Checks

export type FieldKind =
  | "url"
  | "optional-url"
  | "number"
  | "cores"
  | "bool"
  | "choice"
  | "text"
  | "email"
  | "emails"
  | "host"
  | "chat-id"
  | "currency";

export interface FieldSpec {
  /** The server's field name; also the input's `name`. */
  name: string;
  label: string;
  kind: FieldKind;
  hint?: string;
  min?: number;
  max?: number;
  options?: readonly string[];
  placeholder?: string;
  /** Spans the whole row (URLs). */
  wide?: boolean;
}

const CREDENTIAL_QUERY_KEYS = new Set([
  "token",
  "access_token",
  "key",
  "apikey",
  "api_key",
  "secret",
  "password",
  "sig",
  "signature",
]);

const PORT_MESSAGE = "The port must be a number from 1 to 65535.";
const CREDENTIAL_MESSAGE =
  "This URL carries a credential; credentials are never written to the config file. Store it in the keyring instead.";

/** http(s), a host, a port from 1 to 65535 and no credential; the server's messages. */
export function checkUrl(value: string, required: boolean): string | null {
  if (value === "") return required ? "Enter a URL, e.g. http://127.0.0.1:14002." : null;
  if (/\s/.test(value)) return "The URL must not contain spaces.";
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined)
    return "Not a valid URL: expected http:// or https://, a host and an optional port.";
  if ((scheme !== "http" && scheme !== "https") || !value.slice(scheme.length).startsWith("://"))
    return "The URL must start with http:// or https://.";
  const authority = value.slice(scheme.length + 3).split(/[/?#]/)[0] ?? "";
  if (authority.includes("@")) return CREDENTIAL_MESSAGE;
  const port = /:([^:\]]*)$/.exec(authority)?.[1];
  if (port !== undefined && port !== "") {
    const n = /^\d+$/.test(port) ? Number(port) : Number.NaN;
    if (!(n >= 1 && n <= 65535)) return PORT_MESSAGE;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "Not a valid URL: expected http:// or https://, a host and an optional port.";
  }
  if (url.hostname === "") return "The URL has no host.";
  const credentialInQuery = [...url.searchParams.keys()].some((k) =>
    CREDENTIAL_QUERY_KEYS.has(k.toLowerCase()),
  );
  if (url.username !== "" || url.password !== "" || credentialInQuery) return CREDENTIAL_MESSAGE;
  return null;
}

function isEmail(v: string): boolean {
  return /^[^\s@<>]+@[^\s@<>.][^\s@<>]*\.[^\s@<>]*[^\s@<>.]$/.test(v);
}

/** The message to show next to a field, or null when its value may be sent. */
export function checkField(spec: FieldSpec, raw: FieldValue): string | null {
  if (typeof raw === "boolean") return null;
  const value = raw.trim();
  if (value.length > 2048) return "At most 2048 characters.";
  switch (spec.kind) {
    case "url":
      return checkUrl(value, true);
    case "optional-url":
      return checkUrl(value, false);
    case "number": {
      const min = spec.min ?? 0;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!(n >= min && n <= max)) return `Enter a whole number from ${min} to ${max}.`;
      return null;
    }
    case "cores": {
      const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
      if (!(n >= 0 && n <= 4096)) return "Enter a number of cores from 0 to 4096.";
      return null;
    }
    case "choice":
      return spec.options?.includes(value) ? null : `Choose ${spec.options?.join(", ")}.`;
    case "email":
      return value === "" || isEmail(value) ? null : "Enter an e-mail address such as orcha@example.com.";
    case "emails":
      return value === "" || value.split(",").every((a) => isEmail(a.trim()))
        ? null
        : "Enter e-mail addresses separated by commas.";
    case "host":
      return value === "" || /^[A-Za-z0-9.:[\]-]{1,253}$/.test(value)
        ? null
        : "Enter a host name such as smtp.example.com (no http://).";
    case "chat-id":
      return value === "" || /^-?\d+$/.test(value) || /^@[A-Za-z0-9_]{5,}$/.test(value)
        ? null
        : "A chat id is a number (e.g. -1001234567890) or @channelname.";
    case "currency":
      return /^[a-z]{2,10}$/.test(value) ? null : "Enter a lower-case currency code such as usd or eur.";
    default:
      return null;
  }
}

/** Seconds between polls of one protocol's nodes. */
export function pollIntervalSpec(protocol: string): FieldSpec {
  return {
    name: `protocols.${protocol}.poll_interval_secs`,
    label: "Poll interval (seconds)",
    kind: "number",
    min: 0,
    max: 86400,
    hint:
      protocol === "grass" ? "At least 300: the Grass cloud API rate-limits." : "0 = the default interval.",
  };
}
