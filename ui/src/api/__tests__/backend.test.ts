import { afterEach, describe, expect, it, vi } from "vitest";
import type { Event } from "../../bindings";
import { BackendError, type ConnectionState, HttpBackend, TauriBackend } from "../backend";

function jsonResponse(status: number, body: unknown): Response {
  return new Response(body === undefined ? "" : JSON.stringify(body), { status });
}

describe("HttpBackend", () => {
  it("calls the REST routes under /api/v1 with the token", async () => {
    const fetch = vi.fn(async () => jsonResponse(200, { key: "golem:main/app_key", stored: true }));
    const backend = new HttpBackend({ baseUrl: "http://127.0.0.1:7373/", token: "t0k", fetch });
    await backend.setSecret({ key: "golem:main/app_key", value: "abc" });
    await backend.series({ node: "storj:main", metric: "mem_bytes", from: "a", to: "b" });
    await backend.deleteSecret("golem:main/app_key");
    const calls = fetch.mock.calls as unknown as Array<[string, RequestInit]>;
    expect(calls[0]?.[0]).toBe("http://127.0.0.1:7373/api/v1/secrets");
    expect(calls[0]?.[1].method).toBe("PUT");
    expect(calls[0]?.[1].body).toBe('{"key":"golem:main/app_key","value":"abc"}');
    expect((calls[0]?.[1].headers as Record<string, string> | undefined)?.Authorization).toBe("Bearer t0k");
    expect(calls[1]?.[0]).toBe(
      "http://127.0.0.1:7373/api/v1/series?node=storj%3Amain&metric=mem_bytes&from=a&to=b",
    );
    expect(calls[2]?.[0]).toBe("http://127.0.0.1:7373/api/v1/secrets/golem%3Amain%2Fapp_key");
    expect(calls[2]?.[1].method).toBe("DELETE");
  });

  it("turns an ApiError body into a BackendError with its field", async () => {
    const fetch = vi.fn(async () =>
      jsonResponse(400, { code: "bad_request", message: "the credential is empty", field: "value" }),
    );
    const backend = new HttpBackend({ fetch });
    const err = await backend.setSecret({ key: "k", value: " " }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({
      code: "bad_request",
      field: "value",
      status: 400,
      message: "the credential is empty",
    });
  });

  it("reports an unreachable server as unavailable", async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = await new HttpBackend({ fetch }).status().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "unavailable", status: null });
  });

  it("sends every argument kind where its route expects it", async () => {
    const fetch = vi.fn(async () => jsonResponse(200, []));
    const backend = new HttpBackend({ fetch });
    await backend.decisions(5);
    await backend.alerts({ include_cleared: false });
    await backend.forecast({ node: "golem:main" });
    await backend.acknowledgeAlert(7);
    await backend.whatIf({ nodes: [] } as unknown as Parameters<typeof backend.whatIf>[0]);
    const calls = (fetch.mock.calls as unknown as Array<[string, RequestInit]>).map(([url, init]) => [
      init.method,
      url,
      init.body,
    ]);
    expect(calls).toEqual([
      ["GET", "/api/v1/decisions?limit=5", null],
      ["GET", "/api/v1/alerts?include_cleared=false", null],
      ["GET", "/api/v1/forecast?node=golem%3Amain", null],
      ["POST", "/api/v1/alerts/7/ack", null],
      ["POST", "/api/v1/allocation/what-if", '{"nodes":[]}'],
    ]);
  });

  it("accepts the null body of POST routes", async () => {
    const fetch = vi.fn(async () => jsonResponse(200, null));
    await expect(new HttpBackend({ fetch }).runCycleNow()).resolves.toBeUndefined();
  });
});

class FakeSocket {
  static instances: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((m: { data: unknown }) => void) | null = null;
  closed = false;
  constructor(public url: string) {
    FakeSocket.instances.push(this);
  }
  close() {
    this.closed = true;
  }
}

describe("HttpBackend events", () => {
  afterEach(() => {
    vi.useRealTimers();
    FakeSocket.instances = [];
  });

  it("delivers events and reconnects with growing delays", () => {
    vi.useFakeTimers();
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    // No token: the browser's session cookie authenticates the socket, and no secret is in the URL.
    const backend = new HttpBackend({
      baseUrl: "https://orcha.local:7373",
      WebSocket: FakeSocket as unknown as typeof WebSocket,
      minDelayMs: 1000,
      maxDelayMs: 4000,
    });
    const events: Event[] = [];
    const states: ConnectionState[] = [];
    const stop = backend.subscribe({ onEvent: (e) => events.push(e), onConnection: (s) => states.push(s) });

    const first = FakeSocket.instances[0];
    expect(first?.url).toBe("wss://orcha.local:7373/api/v1/events");
    first?.onopen?.();
    first?.onmessage?.({ data: JSON.stringify({ event: "automation", payload: { paused: true, at: "x" } }) });
    first?.onmessage?.({ data: "not json" });
    first?.onmessage?.({ data: JSON.stringify({ event: "unknown", payload: {} }) });
    expect(events).toEqual([{ event: "automation", payload: { paused: true, at: "x" } }]);

    first?.onclose?.();
    expect(states.at(-1)).toBe("reconnecting");
    vi.advanceTimersByTime(999);
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.instances[1]?.onclose?.();
    vi.advanceTimersByTime(1999);
    expect(FakeSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(3);
    FakeSocket.instances[2]?.onopen?.();
    expect(states.at(-1)).toBe("open");

    stop();
    expect(FakeSocket.instances[2]?.closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(3);
  });
});

describe("HttpBackend with a token", () => {
  afterEach(() => {
    FakeSocket.instances = [];
  });

  it("opens the event socket with a single-use ticket, never the token, in the URL", async () => {
    const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) =>
      jsonResponse(200, { ticket: "tk1", expires_in_seconds: 30 }),
    );
    const backend = new HttpBackend({
      baseUrl: "http://127.0.0.1:7373",
      token: "secret-token",
      fetch: fetch as unknown as typeof globalThis.fetch,
      WebSocket: FakeSocket as unknown as typeof WebSocket,
    });
    const stop = backend.subscribe({ onEvent: () => {} });
    await vi.waitFor(() => expect(FakeSocket.instances).toHaveLength(1));
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(String(url)).toBe("http://127.0.0.1:7373/api/v1/ws-ticket");
    expect(init?.method).toBe("POST");
    const headers = (init?.headers ?? {}) as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer secret-token");
    expect(FakeSocket.instances[0]?.url).toBe("ws://127.0.0.1:7373/api/v1/events?ticket=tk1");
    expect(FakeSocket.instances[0]?.url).not.toContain("secret-token");
    stop();
  });
});

describe("TauriBackend", () => {
  it("invokes the snake_case commands with their argument names", async () => {
    const invoke = vi.fn(async () => null) as unknown as <T>(
      cmd: string,
      args?: Record<string, unknown>,
    ) => Promise<T>;
    const backend = new TauriBackend(invoke, vi.fn());
    await backend.earningsHistory({ node: "n", kind: "unpaid", from: "a", to: "b" });
    await backend.setPaused({ paused: true });
    await backend.acknowledgeAlert(4);
    await backend.latestCycle();
    expect(vi.mocked(invoke).mock.calls).toEqual([
      ["earnings_history", { q: { node: "n", kind: "unpaid", from: "a", to: "b" } }],
      ["set_paused", { req: { paused: true } }],
      ["acknowledge_alert", { id: 4 }],
      ["latest_cycle", undefined],
    ]);
  });

  it("maps a rejected ApiError and forwards listened events", async () => {
    const invoke = vi.fn(async () => {
      throw { code: "not_found", message: "no such node", field: "node" };
    }) as unknown as <T>(cmd: string, args?: Record<string, unknown>) => Promise<T>;
    const handlers = new Map<string, (e: { payload: unknown }) => void>();
    const listen = vi.fn(async (name: string, h: (e: { payload: unknown }) => void) => {
      handlers.set(name, h);
      return () => handlers.delete(name);
    });
    const backend = new TauriBackend(invoke, listen);
    await expect(backend.nodes()).rejects.toMatchObject({ code: "not_found", field: "node" });

    const events: Event[] = [];
    const stop = backend.subscribe({ onEvent: (e) => events.push(e) });
    await Promise.resolve();
    await Promise.resolve();
    handlers.get("ml-status")?.({ payload: { available: false, url: null, detail: "down" } });
    expect(events).toEqual([
      { event: "ml-status", payload: { available: false, url: null, detail: "down" } },
    ]);
    expect(listen).toHaveBeenCalledTimes(10);
    stop();
    expect(handlers.size).toBe(0);
  });
});
