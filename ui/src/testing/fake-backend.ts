// An in-memory Backend for unit tests: canned answers, recorded calls, and `emit` to push live events.
import type { Backend, ConnectionState, EventHandlers, Operation, Unsubscribe } from "../api/backend";
import { BackendError, OperationClient } from "../api/backend";
import { OPERATIONS, type OperationName } from "../api/operations";
import type {
  AlertChannelDto,
  AlertDto,
  AlertQuery,
  AllocationDto,
  ApiError,
  ApplyResultDto,
  ApprovePlanRequest,
  AuditPageDto,
  AuditQuery,
  AuditRowDto,
  AuditVerdictDto,
  AutoApplyRequest,
  BackupFileDto,
  BackupsDto,
  CycleDto,
  DecisionDto,
  DetectionDto,
  EarningsHistoryDto,
  EarningsHistoryQuery,
  EarningsTotalsDto,
  Event,
  ExportFileDto,
  ExportQuery,
  FiatHistoryDto,
  FiatHistoryQuery,
  FleetDto,
  ForecastDto,
  ForecastQuery,
  NodeDto,
  PauseRequest,
  PayoutDto,
  PayoutScanDto,
  PayoutsQuery,
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
  /** `null`: the fleet view is off (no `[fleet] prometheus_url`). */
  fleet: FleetDto | null;
  /** The audit log, newest first. */
  audit: AuditRowDto[];
  auditVerdict: AuditVerdictDto;
  /** Scheduled backups; `runBackup` adds one named for 2025-06-01T12:00:00Z. */
  backups: BackupsDto;
  /** What `GET /nodes/detect` finds. */
  detection: DetectionDto;
  payouts: PayoutDto[];
  payoutScan: PayoutScanDto;
  exportFile: (q: ExportQuery) => ExportFileDto;
  fiatHistory: (q: FiatHistoryQuery) => FiatHistoryDto;
}

type Method = Exclude<keyof Backend, "transport" | "subscribe">;

export class FakeBackend extends OperationClient implements Backend {
  /** "http" like a browser on `orcha serve`; tests of desktop-only actions set "tauri". */
  transport: Backend["transport"] = "http";
  data: FakeData;
  calls: Array<{ method: Method; args: unknown[] }> = [];
  /** Methods that reject with the given ApiError instead of answering. */
  failures = new Map<Method, ApiError>();
  handlers = new Set<EventHandlers>();

  constructor(data: Partial<FakeData> = {}) {
    super();
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
      fleet: null,
      audit: [],
      auditVerdict: { intact: true, rows: 0n, broken_at: null },
      backups: {
        dir: "/home/op/.local/share/depin-orcha/backups",
        interval_hours: 0n,
        retention: 7,
        passphrase_stored: false,
        backups: [],
      },
      detection: { nodes: [], notes: [], config_toml: "\n" },
      payouts: [],
      fiatHistory: (q) => ({ fiat: "usd", bucket: q.bucket, buckets: [] }),
      payoutScan: { added: [], periods_added: 0, gaps: [] },
      exportFile: (q) => ({
        file_name: `orcha-earnings-${q.from}-${q.to}.csv`,
        media_type: "text/csv",
        content:
          "time,machine,node,protocol,kind,token,amount,price,fiat_value,fiat_currency,price_source,price_time,reference\r\n",
        rows: 0,
      }),
      ...data,
    };
  }

  async #answer<T>(method: Method, args: unknown[], value: () => T): Promise<T> {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure) throw new BackendError(failure, 400);
    return structuredClone(value());
  }

  /** An operation without a canned answer below (e.g. a new one): recorded, then rejected. */
  protected send(op: Operation, arg: unknown): Promise<unknown> {
    const method = (Object.keys(OPERATIONS) as OperationName[]).find((name) => OPERATIONS[name] === op);
    return this.#answer(method ?? "status", [arg], () => {
      throw new BackendError({
        code: "unavailable",
        message: `no fake answer for ${op.command}`,
        field: null,
      });
    });
  }

  callsOf(method: Method): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  override status = () => this.#answer("status", [], () => this.data.status);
  override nodes = () => this.#answer("nodes", [], () => this.data.nodes);
  override series = (q: SeriesQuery) => this.#answer("series", [q], () => this.data.series(q));
  override earningsHistory = (q: EarningsHistoryQuery) =>
    this.#answer("earningsHistory", [q], () => this.data.earnings(q));
  override decisions = (limit: number) =>
    this.#answer("decisions", [limit], () => this.data.decisions.slice(0, limit));
  override latestCycle = () => this.#answer("latestCycle", [], () => this.data.cycle);
  override alerts = (q: AlertQuery) =>
    this.#answer("alerts", [q], () => this.data.alerts.filter((a) => q.include_cleared || !a.cleared_at));
  override acknowledgeAlert = (id: number) =>
    this.#answer("acknowledgeAlert", [id], () => {
      this.data.alerts = this.data.alerts.map((a) =>
        a.id === id ? { ...a, acknowledged_at: "2025-06-01T12:00:00Z" } : a,
      );
    });
  override runCycleNow = () => this.#answer("runCycleNow", [], () => undefined);
  override setPaused = (req: PauseRequest) =>
    this.#answer("setPaused", [req], () => {
      this.data.status = { ...this.data.status, paused: req.paused };
      return this.data.status;
    });
  override secretStatus = (key: string) =>
    this.#answer(
      "secretStatus",
      [key],
      (): SecretStatusDto => ({ key, stored: this.data.secrets.get(key) ?? false }),
    );
  override setSecret = (req: SetSecretRequest) =>
    this.#answer("setSecret", [req], (): SecretStatusDto => {
      this.data.secrets.set(req.key, true);
      return { key: req.key, stored: true };
    });
  override deleteSecret = (key: string) =>
    this.#answer("deleteSecret", [key], (): SecretStatusDto => {
      this.data.secrets.set(key, false);
      return { key, stored: false };
    });
  override settings = () => this.#answer("settings", [], () => this.data.settings);
  override updateSettings = (req: SettingsValuesDto) =>
    this.#answer("updateSettings", [req], (): SettingsSavedDto => {
      const saved = this.data.saveSettings(req);
      const pending = new Set([...this.data.settings.restart_required, ...saved.needs_restart]);
      this.data.settings = { ...this.data.settings, values: req, restart_required: [...pending] };
      return { ...saved, settings: this.data.settings };
    });
  override alertChannels = () => this.#answer("alertChannels", [], () => this.data.alertChannels);
  override fleet = () =>
    this.#answer("fleet", [], () => {
      if (this.data.fleet) return this.data.fleet;
      throw new BackendError(
        {
          code: "unavailable",
          message:
            "the fleet view is off: set [fleet] prometheus_url to the Prometheus that scrapes your machines",
          field: null,
        },
        503,
      );
    });
  override sendTestAlert = () =>
    this.#answer("sendTestAlert", [], () => {
      this.data.alertChannels = this.data.alertChannels.map((c) =>
        c.configured ? { ...c, last_sent_at: "2025-06-01T12:00:00Z" } : c,
      );
      return this.data.alertChannels;
    });
  override alertSecretStatus = (key: string) =>
    this.#answer(
      "alertSecretStatus",
      [key],
      (): SecretStatusDto => ({ key, stored: this.data.secrets.get(key) ?? false }),
    );
  override setAlertSecret = (req: SetSecretRequest) =>
    this.#answer("setAlertSecret", [req], (): SecretStatusDto => {
      this.data.secrets.set(req.key, true);
      return { key: req.key, stored: true };
    });
  override deleteAlertSecret = (key: string) =>
    this.#answer("deleteAlertSecret", [key], (): SecretStatusDto => {
      this.data.secrets.set(key, false);
      return { key, stored: false };
    });

  switchDemo = (on: boolean) => this.#answer("switchDemo", [on], () => undefined);
  restartApp = () => this.#answer("restartApp", [], () => undefined);
  /** The desktop's session autostart entry, in memory. */
  autostart = false;
  autostartEnabled = () => this.#answer("autostartEnabled", [], () => this.autostart);
  setAutostart = (enabled: boolean) =>
    this.#answer("setAutostart", [enabled], () => {
      this.autostart = enabled;
      return enabled;
    });
  override allocation = () => this.#answer("allocation", [], () => this.data.allocation);
  override approvePlan = (req: ApprovePlanRequest) =>
    this.#answer("approvePlan", [req], () => this.data.approve(req));
  override setAutoApply = (req: AutoApplyRequest) =>
    this.#answer("setAutoApply", [req], (): AutoApplyRequest => {
      this.data.allocation = {
        ...this.data.allocation,
        nodes: this.data.allocation.nodes.map((n) =>
          n.node === req.node ? { ...n, auto_apply: req.enabled } : n,
        ),
      };
      return req;
    });
  override whatIf = (req: WhatIfRequest) => this.#answer("whatIf", [req], () => this.data.whatIf(req));
  override responseCurves = () => this.#answer("responseCurves", [], () => this.data.responseCurves);
  override forecast = (q: ForecastQuery) => this.#answer("forecast", [q], () => this.data.forecast(q));
  override earningsTotals = () => this.#answer("earningsTotals", [], () => this.data.earningsTotals);
  override prices = () => this.#answer("prices", [], () => this.data.prices);
  override auditLog = (q: AuditQuery) =>
    this.#answer("auditLog", [q], (): AuditPageDto => {
      const older = this.data.audit.filter((r) => q.before === undefined || r.id < q.before);
      const limit = q.limit ?? 100;
      const rows = older.slice(0, limit);
      const last = rows[rows.length - 1];
      return { rows, next_before: older.length > limit && last ? last.id : null };
    });
  override auditVerify = () => this.#answer("auditVerify", [], () => this.data.auditVerdict);
  override backups = () => this.#answer("backups", [], () => this.data.backups);
  override runBackup = () =>
    this.#answer("runBackup", [], (): BackupFileDto => {
      const made = {
        name: "orcha-20250601T120000Z.backup",
        bytes: 1_000_000n,
        modified_at: "2025-06-01T12:00:00Z",
      };
      this.data.backups = { ...this.data.backups, backups: [made, ...this.data.backups.backups] };
      return made;
    });
  override detectNodes = () => this.#answer("detectNodes", [], () => this.data.detection);
  override payouts = (q: PayoutsQuery) => this.#answer("payouts", [q], () => this.data.payouts);
  override fiatHistory = (q: FiatHistoryQuery) =>
    this.#answer("fiatHistory", [q], () => this.data.fiatHistory(q));
  override scanPayouts = () => this.#answer("scanPayouts", [], () => this.data.payoutScan);
  override exportEarnings = (q: ExportQuery) =>
    this.#answer("exportEarnings", [q], () => this.data.exportFile(q));

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
