// An in-memory Backend for unit tests: canned answers, recorded calls, and `emit` to push live events.
import type { Backend, ConnectionState, EventHandlers, Unsubscribe } from "../api/backend";
import { BackendError } from "../api/backend";
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
import {
  makeAlertChannel,
  makeAllocation,
  makeEarningsTotals,
  makePrices,
  makeResponseCurves,
  makeSettings,
  makeStatus,
  makeWhatIf,
} from "./fixtures";

export interface FakeData {
  status: StatusDto;
  nodes: NodeDto[];
  series: (q: SeriesQuery) => SeriesDto;
  earnings: (q: EarningsHistoryQuery) => EarningsHistoryDto;
  decisions: DecisionDto[];
  cycle: CycleDto | null;
  alerts: AlertDto[];
  secrets: Map<string, boolean>;
  allocation: AllocationDto;
  approve: (req: ApprovePlanRequest) => ApplyResultDto;
  whatIf: (req: WhatIfRequest) => WhatIfDto;
  responseCurves: ResponseCurvesDto;
  forecast: (q: ForecastQuery) => ForecastDto;
  earningsTotals: EarningsTotalsDto;
  prices: PricesDto;
  settings: SettingsDto;
  /** What a settings save answers (the fake stores the values and adds `needs_restart`). */
  saveSettings: (req: SettingsValuesDto) => Omit<SettingsSavedDto, "settings">;
  alertChannels: AlertChannelDto[];
}

type Method = Exclude<keyof Backend, "transport" | "subscribe">;

export class FakeBackend implements Backend {
  /** "http" like a browser on `orcha serve`; tests of desktop-only actions set "tauri". */
  transport: Backend["transport"] = "http";
  data: FakeData;
  calls: Array<{ method: Method; args: unknown[] }> = [];
  /** Methods that reject with the given ApiError instead of answering. */
  failures = new Map<Method, ApiError>();
  handlers = new Set<EventHandlers>();

  constructor(data: Partial<FakeData> = {}) {
    this.data = {
      status: makeStatus(),
      nodes: [],
      series: (q) => ({ node: q.node, metric: q.metric, resolution: "minute", points: [] }),
      earnings: (q) => ({ node: q.node, kind: q.kind, points: [] }),
      decisions: [],
      cycle: null,
      alerts: [],
      secrets: new Map(),
      allocation: makeAllocation(),
      approve: (req) => ({
        decision_id: req.decision_id + 1,
        status: "applied",
        detail: "applied to 1 nodes",
      }),
      whatIf: () => makeWhatIf(),
      responseCurves: makeResponseCurves(),
      forecast: (q) => ({
        node: q.node,
        made_at: null,
        model: null,
        model_version: null,
        estimate: true,
        points: [],
        note: "no forecast yet: the ML engine forecasts a node once it has 24 h of earnings history",
      }),
      earningsTotals: makeEarningsTotals(),
      prices: makePrices(),
      settings: makeSettings(),
      saveSettings: () => ({ changed: [], applied_live: [], needs_restart: [] }),
      alertChannels: ["ntfy", "webhook", "discord", "telegram", "email"].map((channel) =>
        makeAlertChannel({ channel }),
      ),
      ...data,
    };
  }

  async #answer<T>(method: Method, args: unknown[], value: () => T): Promise<T> {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure) throw new BackendError(failure, 400);
    return structuredClone(value());
  }

  callsOf(method: Method): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  status = () => this.#answer("status", [], () => this.data.status);
  nodes = () => this.#answer("nodes", [], () => this.data.nodes);
  series = (q: SeriesQuery) => this.#answer("series", [q], () => this.data.series(q));
  earningsHistory = (q: EarningsHistoryQuery) =>
    this.#answer("earningsHistory", [q], () => this.data.earnings(q));
  decisions = (limit: number) =>
    this.#answer("decisions", [limit], () => this.data.decisions.slice(0, limit));
  latestCycle = () => this.#answer("latestCycle", [], () => this.data.cycle);
  alerts = (q: AlertQuery) =>
    this.#answer("alerts", [q], () => this.data.alerts.filter((a) => q.include_cleared || !a.cleared_at));
  acknowledgeAlert = (id: number) =>
    this.#answer("acknowledgeAlert", [id], () => {
      this.data.alerts = this.data.alerts.map((a) =>
        a.id === id ? { ...a, acknowledged_at: "2025-06-01T12:00:00Z" } : a,
      );
    });
  runCycleNow = () => this.#answer("runCycleNow", [], () => undefined);
  setPaused = (req: PauseRequest) =>
    this.#answer("setPaused", [req], () => {
      this.data.status = { ...this.data.status, paused: req.paused };
      return this.data.status;
    });
  secretStatus = (key: string) =>
    this.#answer(
      "secretStatus",
      [key],
      (): SecretStatusDto => ({ key, stored: this.data.secrets.get(key) ?? false }),
    );
  setSecret = (req: SetSecretRequest) =>
    this.#answer("setSecret", [req], (): SecretStatusDto => {
      this.data.secrets.set(req.key, true);
      return { key: req.key, stored: true };
    });
  deleteSecret = (key: string) =>
    this.#answer("deleteSecret", [key], (): SecretStatusDto => {
      this.data.secrets.set(key, false);
      return { key, stored: false };
    });
  settings = () => this.#answer("settings", [], () => this.data.settings);
  updateSettings = (req: SettingsValuesDto) =>
    this.#answer("updateSettings", [req], (): SettingsSavedDto => {
      const saved = this.data.saveSettings(req);
      const pending = new Set([...this.data.settings.restart_required, ...saved.needs_restart]);
      this.data.settings = { ...this.data.settings, values: req, restart_required: [...pending] };
      return { ...saved, settings: this.data.settings };
    });
  alertChannels = () => this.#answer("alertChannels", [], () => this.data.alertChannels);
  sendTestAlert = () =>
    this.#answer("sendTestAlert", [], () => {
      this.data.alertChannels = this.data.alertChannels.map((c) =>
        c.configured ? { ...c, last_sent_at: "2025-06-01T12:00:00Z" } : c,
      );
      return this.data.alertChannels;
    });
  alertSecretStatus = (key: string) =>
    this.#answer(
      "alertSecretStatus",
      [key],
      (): SecretStatusDto => ({ key, stored: this.data.secrets.get(key) ?? false }),
    );
  setAlertSecret = (req: SetSecretRequest) =>
    this.#answer("setAlertSecret", [req], (): SecretStatusDto => {
      this.data.secrets.set(req.key, true);
      return { key: req.key, stored: true };
    });
  deleteAlertSecret = (key: string) =>
    this.#answer("deleteAlertSecret", [key], (): SecretStatusDto => {
      this.data.secrets.set(key, false);
      return { key, stored: false };
    });

  switchDemo = (on: boolean) => this.#answer("switchDemo", [on], () => undefined);
  restartApp = () => this.#answer("restartApp", [], () => undefined);
  allocation = () => this.#answer("allocation", [], () => this.data.allocation);
  approvePlan = (req: ApprovePlanRequest) => this.#answer("approvePlan", [req], () => this.data.approve(req));
  setAutoApply = (req: AutoApplyRequest) =>
    this.#answer("setAutoApply", [req], (): AutoApplyRequest => {
      this.data.allocation = {
        ...this.data.allocation,
        nodes: this.data.allocation.nodes.map((n) =>
          n.node === req.node ? { ...n, auto_apply: req.enabled } : n,
        ),
      };
      return req;
    });
  whatIf = (req: WhatIfRequest) => this.#answer("whatIf", [req], () => this.data.whatIf(req));
  responseCurves = () => this.#answer("responseCurves", [], () => this.data.responseCurves);
  forecast = (q: ForecastQuery) => this.#answer("forecast", [q], () => this.data.forecast(q));
  earningsTotals = () => this.#answer("earningsTotals", [], () => this.data.earningsTotals);
  prices = () => this.#answer("prices", [], () => this.data.prices);

  subscribe(handlers: EventHandlers): Unsubscribe {
    this.handlers.add(handlers);
    handlers.onConnection?.("open");
    return () => this.handlers.delete(handlers);
  }

  /** Delivers an event to every subscriber, as the server would. */
  emit(event: Event): void {
    for (const h of this.handlers) h.onEvent(event);
  }

  setConnection(state: ConnectionState): void {
    for (const h of this.handlers) h.onConnection?.(state);
  }
}
