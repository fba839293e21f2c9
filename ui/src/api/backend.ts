// The one door from the dashboard to the Orcha backend: Tauri commands/events in the desktop app,
// REST + WebSocket when the same UI is served by `orcha serve`. Every type comes from bindings.ts.
import type {
  AlertChannelDto,
  AlertDto,
  AlertQuery,
  AllocationDto,
  ApiError,
  ApplyResultDto,
  ApprovePlanRequest,
  AutoApplyRequest,
  CycleDto,
  DecisionDto,
  EarningsHistoryDto,
  EarningsHistoryQuery,
  EarningsTotalsDto,
  ErrorCode,
  Event,
  ForecastDto,
  ForecastQuery,
  NodeDto,
  PauseRequest,
  PricesDto,
  ResponseCurvesDto,
  SecretStatusDto,
  SeriesDto,
  SeriesQuery,
  SetSecretRequest,
  SettingsDto,
  SettingsSavedDto,
  SettingsValuesDto,
  StatusDto,
  WhatIfDto,
  WhatIfRequest,
} from "../bindings";

/** Whether live events are flowing: `connecting` before the first open, `reconnecting` after a drop. */
export type ConnectionState = "connecting" | "open" | "reconnecting";

export type EventName = Event["event"];

/** Every event name both transports publish; Tauri needs one `listen` per name. */
export const EVENT_NAMES: readonly EventName[] = [
  "sample",
  "earnings",
  "health",
  "poll-failed",
  "cycle-step",
  "ml-status",
  "automation",
  "decision",
  "alert",
];

export interface EventHandlers {
  onEvent: (event: Event) => void;
  onConnection?: (state: ConnectionState) => void;
}

export type Unsubscribe = () => void;

export interface Backend {
  readonly transport: "tauri" | "http";
  status(): Promise<StatusDto>;
  nodes(): Promise<NodeDto[]>;
  series(q: SeriesQuery): Promise<SeriesDto>;
  earningsHistory(q: EarningsHistoryQuery): Promise<EarningsHistoryDto>;
  decisions(limit: number): Promise<DecisionDto[]>;
  latestCycle(): Promise<CycleDto | null>;
  alerts(q: AlertQuery): Promise<AlertDto[]>;
  acknowledgeAlert(id: number): Promise<void>;
  runCycleNow(): Promise<void>;
  setPaused(req: PauseRequest): Promise<StatusDto>;
  secretStatus(key: string): Promise<SecretStatusDto>;
  setSecret(req: SetSecretRequest): Promise<SecretStatusDto>;
  deleteSecret(key: string): Promise<SecretStatusDto>;
  /** The editable settings as saved, and which of them wait for a restart. */
  settings(): Promise<SettingsDto>;
  /** Checks and saves the settings into the config file; says what took effect and what waits. */
  updateSettings(req: SettingsValuesDto): Promise<SettingsSavedDto>;
  alertChannels(): Promise<AlertChannelDto[]>;
  /** Sends a test alert to every configured channel; answers each channel's result. */
  sendTestAlert(): Promise<AlertChannelDto[]>;
  alertSecretStatus(key: string): Promise<SecretStatusDto>;
  setAlertSecret(req: SetSecretRequest): Promise<SecretStatusDto>;
  deleteAlertSecret(key: string): Promise<SecretStatusDto>;
  /** Current vs proposed allocation per node, from the newest plan. */
  allocation(): Promise<AllocationDto>;
  /** Applies a recommended (dry-run) plan now, through the nodes' enforcement backends. */
  approvePlan(req: ApprovePlanRequest): Promise<ApplyResultDto>;
  setAutoApply(req: AutoApplyRequest): Promise<AutoApplyRequest>;
  /** Values an edited allocation without applying anything. */
  whatIf(req: WhatIfRequest): Promise<WhatIfDto>;
  /** The optimizer's fitted belief: per node and resource, what one more unit earns per hour. */
  responseCurves(): Promise<ResponseCurvesDto>;
  /** The newest stored earnings forecast of one node (hourly p10/p50/p90, an estimate). */
  forecast(q: ForecastQuery): Promise<ForecastDto>;
  /** Earned today (since 00:00 UTC), over 7 and 30 days, per node and overall, in tokens and fiat. */
  earningsTotals(): Promise<EarningsTotalsDto>;
  /** Every price the app knows (fresh, stale or none), with its source and time. */
  prices(): Promise<PricesDto>;
  /**
   * Desktop only: restarts the app into the built-in demo (`true`) or back to the operator's
   * nodes (`false`). Over HTTP it fails with `unavailable`: a server is started in demo mode.
   */
  switchDemo(on: boolean): Promise<void>;
  /** Desktop only: restarts the app so settings saved for the next start take effect. */
  restartApp(): Promise<void>;
  /** Starts delivering events until the returned function is called. */
  subscribe(handlers: EventHandlers): Unsubscribe;
}

const ERROR_CODES: readonly ErrorCode[] = [
  "bad_request",
  "not_found",
  "conflict",
  "unauthorized",
  "unavailable",
  "internal",
];

/** A failed call, carrying the server's `ApiError` (or one made up for transport failures). */
export class BackendError extends Error {
  readonly code: ErrorCode;
  readonly field: string | null;
  /** HTTP status, when the call went over HTTP and got an answer. */
  readonly status: number | null;

  constructor(error: ApiError, status: number | null = null) {
    super(error.message);
    this.name = "BackendError";
    this.code = error.code;
    this.field = error.field;
    this.status = status;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Reads an `ApiError` out of whatever a transport rejected with. */
export function toApiError(value: unknown, fallback: ErrorCode = "internal"): ApiError {
  if (isRecord(value) && typeof value.message === "string") {
    const code = ERROR_CODES.find((c) => c === value.code) ?? fallback;
    const field = typeof value.field === "string" ? value.field : null;
    return { code, message: value.message, field };
  }
  if (value instanceof Error) return { code: fallback, message: value.message, field: null };
  if (typeof value === "string") return { code: fallback, message: value, field: null };
  return { code: fallback, message: "unknown error", field: null };
}

export function isEvent(value: unknown): value is Event {
  return (
    isRecord(value) &&
    typeof value.event === "string" &&
    (EVENT_NAMES as readonly string[]).includes(value.event) &&
    isRecord(value.payload)
  );
}

// ---------------------------------------------------------------------------------------------
// Tauri

type Invoke = <T>(cmd: string, args?: Record<string, unknown>) => Promise<T>;
type Listen = (name: string, handler: (e: { payload: unknown }) => void) => Promise<() => void>;

export class TauriBackend implements Backend {
  readonly transport = "tauri" as const;
  readonly #invoke: Invoke;
  readonly #listen: Listen;

  /** `invoke` and `listen` are injected so the module loads (and tests run) outside Tauri. */
  constructor(invoke: Invoke, listen: Listen) {
    this.#invoke = invoke;
    this.#listen = listen;
  }

  async #call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
    try {
      return await this.#invoke<T>(cmd, args);
    } catch (e) {
      throw new BackendError(toApiError(e));
    }
  }

  status = () => this.#call<StatusDto>("status");
  nodes = () => this.#call<NodeDto[]>("nodes");
  series = (q: SeriesQuery) => this.#call<SeriesDto>("series", { q });
  earningsHistory = (q: EarningsHistoryQuery) => this.#call<EarningsHistoryDto>("earnings_history", { q });
  decisions = (limit: number) => this.#call<DecisionDto[]>("decisions", { limit });
  latestCycle = () => this.#call<CycleDto | null>("latest_cycle");
  alerts = (q: AlertQuery) => this.#call<AlertDto[]>("alerts", { q });
  acknowledgeAlert = async (id: number) => {
    await this.#call<null>("acknowledge_alert", { id });
  };
  runCycleNow = async () => {
    await this.#call<null>("run_cycle_now");
  };
  setPaused = (req: PauseRequest) => this.#call<StatusDto>("set_paused", { req });
  secretStatus = (key: string) => this.#call<SecretStatusDto>("secret_status", { key });
  setSecret = (req: SetSecretRequest) => this.#call<SecretStatusDto>("set_secret", { req });
  deleteSecret = (key: string) => this.#call<SecretStatusDto>("delete_secret", { key });
  settings = () => this.#call<SettingsDto>("settings");
  updateSettings = (req: SettingsValuesDto) => this.#call<SettingsSavedDto>("update_settings", { req });
  alertChannels = () => this.#call<AlertChannelDto[]>("alert_channels");
  sendTestAlert = () => this.#call<AlertChannelDto[]>("send_test_alert");
  alertSecretStatus = (key: string) => this.#call<SecretStatusDto>("alert_secret_status", { key });
  setAlertSecret = (req: SetSecretRequest) => this.#call<SecretStatusDto>("set_alert_secret", { req });
  deleteAlertSecret = (key: string) => this.#call<SecretStatusDto>("delete_alert_secret", { key });
  allocation = () => this.#call<AllocationDto>("allocation");
  approvePlan = (req: ApprovePlanRequest) => this.#call<ApplyResultDto>("approve_plan", { req });
  setAutoApply = (req: AutoApplyRequest) => this.#call<AutoApplyRequest>("set_auto_apply", { req });
  whatIf = (req: WhatIfRequest) => this.#call<WhatIfDto>("what_if", { req });
  responseCurves = () => this.#call<ResponseCurvesDto>("response_curves");
  forecast = (q: ForecastQuery) => this.#call<ForecastDto>("forecast", { q });
  earningsTotals = () => this.#call<EarningsTotalsDto>("earnings_totals");
  prices = () => this.#call<PricesDto>("prices");
  switchDemo = async (on: boolean) => {
    await this.#call<null>("switch_demo", { on });
  };
  restartApp = async () => {
    await this.#call<null>("restart_app");
  };

  subscribe({ onEvent, onConnection }: EventHandlers): Unsubscribe {
    let stopped = false;
    const unlisteners: Array<() => void> = [];
    const pending = EVENT_NAMES.map((name) =>
      this.#listen(name, (e) => {
        const event = { event: name, payload: e.payload };
        if (!stopped && isEvent(event)) onEvent(event);
      }),
    );
    Promise.all(pending).then(
      (fns) => {
        if (stopped) for (const f of fns) f();
        else {
          unlisteners.push(...fns);
          onConnection?.("open");
        }
      },
      () => onConnection?.("reconnecting"),
    );
    onConnection?.("connecting");
    return () => {
      stopped = true;
      for (const f of unlisteners) f();
    };
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP + WebSocket

export interface HttpBackendOptions {
  /** Origin (and optional path prefix) of `orcha serve`; empty means the page's own origin. */
  baseUrl?: string;
  /** `ORCHA_API_TOKEN`, needed when the server binds beyond loopback. */
  token?: string | null;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  /** Reconnect delays grow from `minDelayMs` by doubling up to `maxDelayMs`. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class HttpBackend implements Backend {
  readonly transport = "http" as const;
  readonly #base: string;
  readonly #token: string | null;
  readonly #fetch: typeof fetch;
  readonly #WebSocket: typeof WebSocket | undefined;
  readonly #minDelay: number;
  readonly #maxDelay: number;

  constructor(options: HttpBackendOptions = {}) {
    this.#base = (options.baseUrl ?? "").replace(/\/$/, "");
    this.#token = options.token ?? null;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this.#minDelay = options.minDelayMs ?? 1000;
    this.#maxDelay = options.maxDelayMs ?? 30_000;
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    let res: Response;
    try {
      res = await this.#fetch(`${this.#base}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch (e) {
      throw new BackendError({
        code: "unavailable",
        message: `Cannot reach the Orcha server (${e instanceof Error ? e.message : String(e)})`,
        field: null,
      });
    }
    const text = await res.text();
    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      const fallback: ErrorCode =
        res.status === 401
          ? "unauthorized"
          : res.status === 404
            ? "not_found"
            : res.status >= 500
              ? "unavailable"
              : "bad_request";
      const err =
        parsed === undefined || !isRecord(parsed)
          ? {
              code: fallback,
              message: `The server answered ${res.status} ${res.statusText}`.trim(),
              field: null,
            }
          : toApiError(parsed, fallback);
      throw new BackendError(err, res.status);
    }
    if (parsed === undefined) {
      throw new BackendError({
        code: "internal",
        message: "The server answered with invalid JSON",
        field: null,
      });
    }
    return parsed as T;
  }

  status = () => this.#request<StatusDto>("GET", "/status");
  nodes = () => this.#request<NodeDto[]>("GET", "/nodes");
  series = (q: SeriesQuery) => this.#request<SeriesDto>("GET", `/series?${new URLSearchParams(q)}`);
  earningsHistory = (q: EarningsHistoryQuery) =>
    this.#request<EarningsHistoryDto>("GET", `/earnings/history?${new URLSearchParams(q)}`);
  decisions = (limit: number) => this.#request<DecisionDto[]>("GET", `/decisions?limit=${limit}`);
  latestCycle = () => this.#request<CycleDto | null>("GET", "/cycles/latest");
  alerts = (q: AlertQuery) =>
    this.#request<AlertDto[]>("GET", `/alerts?include_cleared=${q.include_cleared}`);
  acknowledgeAlert = async (id: number) => {
    await this.#request<null>("POST", `/alerts/${id}/ack`);
  };
  runCycleNow = async () => {
    await this.#request<null>("POST", "/cycle");
  };
  setPaused = (req: PauseRequest) => this.#request<StatusDto>("PUT", "/automation", req);
  secretStatus = (key: string) =>
    this.#request<SecretStatusDto>("GET", `/secrets/${encodeURIComponent(key)}`);
  setSecret = (req: SetSecretRequest) => this.#request<SecretStatusDto>("PUT", "/secrets", req);
  deleteSecret = (key: string) =>
    this.#request<SecretStatusDto>("DELETE", `/secrets/${encodeURIComponent(key)}`);
  settings = () => this.#request<SettingsDto>("GET", "/settings");
  updateSettings = (req: SettingsValuesDto) => this.#request<SettingsSavedDto>("PUT", "/settings", req);
  alertChannels = () => this.#request<AlertChannelDto[]>("GET", "/alerts/channels");
  sendTestAlert = () => this.#request<AlertChannelDto[]>("POST", "/alerts/test");
  alertSecretStatus = (key: string) =>
    this.#request<SecretStatusDto>("GET", `/alerts/secrets/${encodeURIComponent(key)}`);
  setAlertSecret = (req: SetSecretRequest) => this.#request<SecretStatusDto>("PUT", "/alerts/secrets", req);
  deleteAlertSecret = (key: string) =>
    this.#request<SecretStatusDto>("DELETE", `/alerts/secrets/${encodeURIComponent(key)}`);
  switchDemo = async (_on: boolean): Promise<void> => {
    throw new BackendError({
      code: "unavailable",
      message: "A server cannot switch to the demo from the browser: start it with `orcha serve --demo`.",
      field: null,
    });
  };
  restartApp = async (): Promise<void> => {
    throw new BackendError({
      code: "unavailable",
      message: "Restart the server (e.g. `systemctl restart orcha`) for these settings to take effect.",
      field: null,
    });
  };
  allocation = () => this.#request<AllocationDto>("GET", "/allocation");
  approvePlan = (req: ApprovePlanRequest) =>
    this.#request<ApplyResultDto>("POST", "/allocation/approve", req);
  setAutoApply = (req: AutoApplyRequest) =>
    this.#request<AutoApplyRequest>("PUT", "/allocation/auto-apply", req);
  whatIf = (req: WhatIfRequest) => this.#request<WhatIfDto>("POST", "/allocation/what-if", req);
  responseCurves = () => this.#request<ResponseCurvesDto>("GET", "/allocation/curves");
  forecast = (q: ForecastQuery) => {
    const params = new URLSearchParams({ node: q.node });
    if (q.hours !== undefined) params.set("hours", String(q.hours));
    return this.#request<ForecastDto>("GET", `/forecast?${params}`);
  };
  earningsTotals = () => this.#request<EarningsTotalsDto>("GET", "/earnings/totals");
  prices = () => this.#request<PricesDto>("GET", "/prices");

  /** The WebSocket URL of the event stream, derived from the base URL or the page's origin. */
  eventsUrl(): string {
    const origin = this.#base || globalThis.location?.origin || "http://127.0.0.1:7373";
    const url = new URL(`${origin}/api/v1/events`);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    // Browsers cannot set headers on a WebSocket; the server also accepts the token as a query value.
    if (this.#token) url.searchParams.set("token", this.#token);
    return url.toString();
  }

  subscribe({ onEvent, onConnection }: EventHandlers): Unsubscribe {
    const WS = this.#WebSocket;
    if (!WS) {
      onConnection?.("reconnecting");
      return () => {};
    }
    let socket: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let attempt = 0;
    let stopped = false;

    const connect = () => {
      if (stopped) return;
      onConnection?.(attempt === 0 ? "connecting" : "reconnecting");
      try {
        socket = new WS(this.eventsUrl());
      } catch {
        scheduleReconnect();
        return;
      }
      socket.onopen = () => {
        attempt = 0;
        onConnection?.("open");
      };
      socket.onmessage = (msg: MessageEvent) => {
        if (typeof msg.data !== "string") return;
        try {
          const parsed: unknown = JSON.parse(msg.data);
          if (isEvent(parsed)) onEvent(parsed);
        } catch {
          // A malformed frame is dropped; the next poll of the views repairs any gap.
        }
      };
      socket.onclose = () => {
        socket = null;
        scheduleReconnect();
      };
      socket.onerror = () => {
        socket?.close();
      };
    };

    const scheduleReconnect = () => {
      if (stopped || timer !== null) return;
      attempt += 1;
      onConnection?.("reconnecting");
      const base = Math.min(this.#maxDelay, this.#minDelay * 2 ** (attempt - 1));
      // Jitter keeps many dashboards from reconnecting in lock step after a server restart.
      const delay = base * (0.8 + Math.random() * 0.4);
      timer = setTimeout(() => {
        timer = null;
        connect();
      }, delay);
    };

    connect();
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      if (socket) {
        socket.onclose = null;
        socket.close();
      }
    };
  }
}

/** True inside the Tauri desktop shell. */
export function isTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

/** Picks the transport for this page: Tauri when embedded, HTTP on the page's origin otherwise. */
export async function createBackend(): Promise<Backend> {
  if (isTauri()) {
    const [{ invoke }, { listen }] = await Promise.all([
      import("@tauri-apps/api/core"),
      import("@tauri-apps/api/event"),
    ]);
    return new TauriBackend(invoke, listen);
  }
  const params = new URLSearchParams(globalThis.location?.search ?? "");
  const token = params.get("token") ?? globalThis.sessionStorage?.getItem("orcha.apiToken") ?? null;
  if (params.get("token")) globalThis.sessionStorage?.setItem("orcha.apiToken", params.get("token") ?? "");
  return new HttpBackend({ baseUrl: import.meta.env.VITE_ORCHA_API_URL ?? "", token });
}
