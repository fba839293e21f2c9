// The one door from the dashboard to the Orcha backend: Tauri commands/events in the desktop app,
// REST + WebSocket when the same UI is served by `orcha serve`. Every type comes from bindings.ts, and
// every operation (name, command, route, types) from the generated operations.ts.
import type { ApiError, ErrorCode, Event } from "../bindings";
import { OPERATIONS, type OperationMethods, type OperationName } from "./operations";

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
  "money-scan",
];

export interface EventHandlers {
  onEvent: (event: Event) => void;
  onConnection?: (state: ConnectionState) => void;
}

export type Unsubscribe = () => void;

/** Every operation of `operations.ts`, plus what only a transport can do. */
export interface Backend extends OperationMethods {
  readonly transport: "tauri" | "http";
  /**
   * Desktop only: restarts the app into the built-in demo (`true`) or back to the operator's
   * nodes (`false`). Over HTTP it fails with `unavailable`: a server is started in demo mode.
   */
  switchDemo(on: boolean): Promise<void>;
  /** Desktop only: restarts the app so settings saved for the next start take effect. */
  restartApp(): Promise<void>;
  /** Desktop only: whether the app starts (minimised to the tray) with the operator's session. */
  autostartEnabled(): Promise<boolean>;
  /** Desktop only: turns starting with the session on or off; answers the state read back. */
  setAutostart(enabled: boolean): Promise<boolean>;
  /** Starts delivering events until the returned function is called. */
  subscribe(handlers: EventHandlers): Unsubscribe;
}

export type Operation = (typeof OPERATIONS)[OperationName];

/**
 * The common base of both transports: its constructor adds one method per operation, each of
 * which hands the operation and its one argument (if any) to the transport's `send`.
 */
abstract class OperationSender {
  constructor() {
    for (const [name, op] of Object.entries(OPERATIONS)) {
      Object.defineProperty(this, name, {
        value: async (arg?: unknown) => {
          const answer = await this.send(op, arg);
          // Operations without an answer resolve to `undefined` whatever the transport returned.
          return op.response === "void" ? undefined : answer;
        },
        enumerable: true,
        configurable: true,
        writable: true,
      });
    }
  }

  protected abstract send(op: Operation, arg: unknown): Promise<unknown>;
}

/** `OperationSender` with the operation methods its constructor adds, as TypeScript sees them. */
type OperationClientClass = abstract new () => OperationSender & OperationMethods;
export const OperationClient = OperationSender as unknown as OperationClientClass;

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

export class TauriBackend extends OperationClient implements Backend {
  readonly transport = "tauri" as const;
  readonly #invoke: Invoke;
  readonly #listen: Listen;

  /** `invoke` and `listen` are injected so the module loads (and tests run) outside Tauri. */
  constructor(invoke: Invoke, listen: Listen) {
    super();
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

  protected send(op: Operation, arg: unknown): Promise<unknown> {
    return this.#call(op.command, op.input.kind === "none" ? undefined : { [op.input.arg]: arg });
  }

  switchDemo = async (on: boolean) => {
    await this.#call<null>("switch_demo", { on });
  };
  restartApp = async () => {
    await this.#call<null>("restart_app");
  };
  autostartEnabled = () => this.#call<boolean>("autostart_enabled");
  setAutostart = (enabled: boolean) => this.#call<boolean>("set_autostart", { enabled });

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

/** `?a=1&b=x` from an object's present values (an absent optional value is left out). */
function queryString(values: unknown): string {
  const params = new URLSearchParams();
  if (isRecord(values)) {
    for (const [key, value] of Object.entries(values)) {
      if (value !== undefined && value !== null) params.set(key, String(value));
    }
  }
  const text = params.toString();
  return text.length > 0 ? `?${text}` : "";
}

export interface HttpBackendOptions {
  /** Origin (and optional path prefix) of `orcha serve`; empty means the page's own origin. */
  baseUrl?: string;
  /**
   * The API token, for clients that cannot use the session cookie (another origin, scripts). A
   * browser on the server's own origin leaves it out: the HttpOnly cookie from the login link
   * `orcha serve` prints authenticates every request and the WebSocket.
   */
  token?: string | null;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  /** Reconnect delays grow from `minDelayMs` by doubling up to `maxDelayMs`. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class HttpBackend extends OperationClient implements Backend {
  readonly transport = "http" as const;
  readonly #base: string;
  readonly #token: string | null;
  readonly #fetch: typeof fetch;
  readonly #WebSocket: typeof WebSocket | undefined;
  readonly #minDelay: number;
  readonly #maxDelay: number;

  constructor(options: HttpBackendOptions = {}) {
    super();
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

  protected send(op: Operation, arg: unknown): Promise<unknown> {
    const input = op.input;
    switch (input.kind) {
      case "none":
        return this.#request(op.method, op.path);
      case "body":
        return this.#request(op.method, op.path, arg);
      case "path":
        return this.#request(op.method, op.path.replace(`{${input.arg}}`, encodeURIComponent(String(arg))));
      case "query":
        return this.#request(op.method, `${op.path}${queryString(arg)}`);
      case "param":
        return this.#request(op.method, `${op.path}${queryString({ [input.arg]: arg })}`);
    }
  }

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
  autostartEnabled = async (): Promise<boolean> => {
    throw new BackendError({
      code: "unavailable",
      message:
        "Starting with the session is a desktop setting; a server starts as a service (`orcha service install`).",
      field: null,
    });
  };
  setAutostart = (_enabled: boolean): Promise<boolean> => this.autostartEnabled();
  /** The WebSocket URL of the event stream, derived from the base URL or the page's origin. */
  eventsUrl(ticket?: string): string {
    const origin = this.#base || globalThis.location?.origin || "http://127.0.0.1:7373";
    const url = new URL(`${origin}/api/v1/events`);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    // Browsers cannot set headers on a WebSocket. The token never goes into a URL (URLs end up
    // in logs and history): a token holder trades it for a single-use, 30-second ticket.
    if (ticket) url.searchParams.set("ticket", ticket);
    return url.toString();
  }

  /** The events URL with a fresh single-use ticket, for clients that hold the token. */
  async #ticketUrl(): Promise<string> {
    const { ticket } = await this.#request<{ ticket: string }>("POST", "/ws-ticket");
    return this.eventsUrl(ticket);
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
      // With the cookie the socket opens at once; a token holder first fetches a ticket.
      if (this.#token) this.#ticketUrl().then(open, scheduleReconnect);
      else open(this.eventsUrl());
    };

    const open = (url: string) => {
      if (stopped) return;
      try {
        socket = new WS(url);
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
  // The session cookie (set by the login link `orcha serve` prints) authenticates the page; no
  // token is read from the URL, where it would end up in logs and history.
  return new HttpBackend({ baseUrl: import.meta.env.VITE_ORCHA_API_URL ?? "" });
}
