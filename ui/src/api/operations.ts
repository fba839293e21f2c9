// Generated from the operation table (crates/orcha-api/src/operations.rs) by
// `UPDATE_BINDINGS=1 cargo test -p orcha-api --lib operations`. Do not edit.
import type {
  AlertChannelDto,
  AlertDto,
  AlertQuery,
  AllocationDto,
  ApplyResultDto,
  ApprovePlanRequest,
  AuditPageDto,
  AuditQuery,
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

/** How each operation travels: the Tauri command, and the REST route under `/api/v1`. */
export const OPERATIONS = {
  status: {
    command: "status",
    method: "GET",
    path: "/status",
    input: { kind: "none" },
    response: "StatusDto",
  },
  nodes: {
    command: "nodes",
    method: "GET",
    path: "/nodes",
    input: { kind: "none" },
    response: "NodeDto[]",
  },
  series: {
    command: "series",
    method: "GET",
    path: "/series",
    input: { kind: "query", arg: "q" },
    response: "SeriesDto",
  },
  earningsHistory: {
    command: "earnings_history",
    method: "GET",
    path: "/earnings/history",
    input: { kind: "query", arg: "q" },
    response: "EarningsHistoryDto",
  },
  earningsTotals: {
    command: "earnings_totals",
    method: "GET",
    path: "/earnings/totals",
    input: { kind: "none" },
    response: "EarningsTotalsDto",
  },
  prices: {
    command: "prices",
    method: "GET",
    path: "/prices",
    input: { kind: "none" },
    response: "PricesDto",
  },
  decisions: {
    command: "decisions",
    method: "GET",
    path: "/decisions",
    input: { kind: "param", arg: "limit" },
    response: "DecisionDto[]",
  },
  latestCycle: {
    command: "latest_cycle",
    method: "GET",
    path: "/cycles/latest",
    input: { kind: "none" },
    response: "CycleDto | null",
  },
  alerts: {
    command: "alerts",
    method: "GET",
    path: "/alerts",
    input: { kind: "query", arg: "q" },
    response: "AlertDto[]",
  },
  acknowledgeAlert: {
    command: "acknowledge_alert",
    method: "POST",
    path: "/alerts/{id}/ack",
    input: { kind: "path", arg: "id" },
    response: "void",
  },
  alertChannels: {
    command: "alert_channels",
    method: "GET",
    path: "/alerts/channels",
    input: { kind: "none" },
    response: "AlertChannelDto[]",
  },
  sendTestAlert: {
    command: "send_test_alert",
    method: "POST",
    path: "/alerts/test",
    input: { kind: "none" },
    response: "AlertChannelDto[]",
  },
  alertSecretStatus: {
    command: "alert_secret_status",
    method: "GET",
    path: "/alerts/secrets/{key}",
    input: { kind: "path", arg: "key" },
    response: "SecretStatusDto",
  },
  setAlertSecret: {
    command: "set_alert_secret",
    method: "PUT",
    path: "/alerts/secrets",
    input: { kind: "body", arg: "req" },
    response: "SecretStatusDto",
  },
  deleteAlertSecret: {
    command: "delete_alert_secret",
    method: "DELETE",
    path: "/alerts/secrets/{key}",
    input: { kind: "path", arg: "key" },
    response: "SecretStatusDto",
  },
  settings: {
    command: "settings",
    method: "GET",
    path: "/settings",
    input: { kind: "none" },
    response: "SettingsDto",
  },
  updateSettings: {
    command: "update_settings",
    method: "PUT",
    path: "/settings",
    input: { kind: "body", arg: "req" },
    response: "SettingsSavedDto",
  },
  runCycleNow: {
    command: "run_cycle_now",
    method: "POST",
    path: "/cycle",
    input: { kind: "none" },
    response: "void",
  },
  setPaused: {
    command: "set_paused",
    method: "PUT",
    path: "/automation",
    input: { kind: "body", arg: "req" },
    response: "StatusDto",
  },
  allocation: {
    command: "allocation",
    method: "GET",
    path: "/allocation",
    input: { kind: "none" },
    response: "AllocationDto",
  },
  approvePlan: {
    command: "approve_plan",
    method: "POST",
    path: "/allocation/approve",
    input: { kind: "body", arg: "req" },
    response: "ApplyResultDto",
  },
  setAutoApply: {
    command: "set_auto_apply",
    method: "PUT",
    path: "/allocation/auto-apply",
    input: { kind: "body", arg: "req" },
    response: "AutoApplyRequest",
  },
  whatIf: {
    command: "what_if",
    method: "POST",
    path: "/allocation/what-if",
    input: { kind: "body", arg: "req" },
    response: "WhatIfDto",
  },
  responseCurves: {
    command: "response_curves",
    method: "GET",
    path: "/allocation/curves",
    input: { kind: "none" },
    response: "ResponseCurvesDto",
  },
  secretStatus: {
    command: "secret_status",
    method: "GET",
    path: "/secrets/{key}",
    input: { kind: "path", arg: "key" },
    response: "SecretStatusDto",
  },
  setSecret: {
    command: "set_secret",
    method: "PUT",
    path: "/secrets",
    input: { kind: "body", arg: "req" },
    response: "SecretStatusDto",
  },
  deleteSecret: {
    command: "delete_secret",
    method: "DELETE",
    path: "/secrets/{key}",
    input: { kind: "path", arg: "key" },
    response: "SecretStatusDto",
  },
  forecast: {
    command: "forecast",
    method: "GET",
    path: "/forecast",
    input: { kind: "query", arg: "q" },
    response: "ForecastDto",
  },
  auditLog: {
    command: "audit_log",
    method: "GET",
    path: "/audit",
    input: { kind: "query", arg: "q" },
    response: "AuditPageDto",
  },
  auditVerify: {
    command: "audit_verify",
    method: "GET",
    path: "/audit/verify",
    input: { kind: "none" },
    response: "AuditVerdictDto",
  },
  fleet: {
    command: "fleet",
    method: "GET",
    path: "/fleet",
    input: { kind: "none" },
    response: "FleetDto",
  },
  backups: {
    command: "backups",
    method: "GET",
    path: "/backups",
    input: { kind: "none" },
    response: "BackupsDto",
  },
  runBackup: {
    command: "run_backup",
    method: "POST",
    path: "/backups",
    input: { kind: "none" },
    response: "BackupFileDto",
  },
  detectNodes: {
    command: "detect_nodes",
    method: "GET",
    path: "/nodes/detect",
    input: { kind: "none" },
    response: "DetectionDto",
  },
  payouts: {
    command: "payouts",
    method: "GET",
    path: "/payouts",
    input: { kind: "query", arg: "q" },
    response: "PayoutDto[]",
  },
  scanPayouts: {
    command: "scan_payouts",
    method: "POST",
    path: "/payouts/scan",
    input: { kind: "none" },
    response: "PayoutScanDto",
  },
  exportEarnings: {
    command: "export_earnings",
    method: "GET",
    path: "/export",
    input: { kind: "query", arg: "q" },
    response: "ExportFileDto",
  },
  fiatHistory: {
    command: "fiat_history",
    method: "GET",
    path: "/earnings/fiat-history",
    input: { kind: "query", arg: "q" },
    response: "FiatHistoryDto",
  },
} as const;

export type OperationName = keyof typeof OPERATIONS;

/** One method per operation, with the DTOs of `bindings.ts`. */
export interface OperationMethods {
  /** The overview: node counts, the ML engine, automation and the next cycle. */
  status(): Promise<StatusDto>;
  /** Every configured node with its last poll, health and capabilities. */
  nodes(): Promise<NodeDto[]>;
  /** One metric of one node over a time range, at a resolution fitting the range. */
  series(q: SeriesQuery): Promise<SeriesDto>;
  /** One node's earnings readings of one kind over a time range. */
  earningsHistory(q: EarningsHistoryQuery): Promise<EarningsHistoryDto>;
  /** Earned today (since 00:00 UTC), over 7 and 30 days, per node and overall, in tokens and fiat. */
  earningsTotals(): Promise<EarningsTotalsDto>;
  /** Every price the app knows (fresh, stale or none), with its source and time. */
  prices(): Promise<PricesDto>;
  /** The newest decisions, newest first. */
  decisions(limit: number): Promise<DecisionDto[]>;
  /** The newest optimization cycle with its steps, if any ran. */
  latestCycle(): Promise<CycleDto | null>;
  /** Open alerts, and cleared ones when asked. */
  alerts(q: AlertQuery): Promise<AlertDto[]>;
  /** Marks an alert as seen; it stays open until its condition clears. */
  acknowledgeAlert(id: number): Promise<void>;
  /** Every notification channel: configured or not, and how its last send went. */
  alertChannels(): Promise<AlertChannelDto[]>;
  /** Sends a test alert to every configured channel; answers each channel's result. */
  sendTestAlert(): Promise<AlertChannelDto[]>;
  /** Whether an alert channel's credential is stored (never the credential). */
  alertSecretStatus(key: string): Promise<SecretStatusDto>;
  /** Stores an alert channel's credential in the keyring. */
  setAlertSecret(req: SetSecretRequest): Promise<SecretStatusDto>;
  /** Removes an alert channel's credential from the keyring. */
  deleteAlertSecret(key: string): Promise<SecretStatusDto>;
  /** The editable settings as saved, and which of them wait for a restart. */
  settings(): Promise<SettingsDto>;
  /** Checks and saves the settings into the config file; says what took effect and what waits. */
  updateSettings(req: SettingsValuesDto): Promise<SettingsSavedDto>;
  /** Starts an optimization cycle now instead of at the next interval. */
  runCycleNow(): Promise<void>;
  /** Pauses or resumes automation (audited before it takes effect). */
  setPaused(req: PauseRequest): Promise<StatusDto>;
  /** Current vs proposed allocation per node, from the newest plan. */
  allocation(): Promise<AllocationDto>;
  /** Applies a recommended (dry-run) plan now, through the nodes' enforcement backends. */
  approvePlan(req: ApprovePlanRequest): Promise<ApplyResultDto>;
  /** Opts one node in or out of automatic apply (audited before it takes effect). */
  setAutoApply(req: AutoApplyRequest): Promise<AutoApplyRequest>;
  /** Values an edited allocation without applying anything. */
  whatIf(req: WhatIfRequest): Promise<WhatIfDto>;
  /** The optimizer's belief: per node and resource the fitted response and what one more unit earns per hour, with its p10–p90 range. */
  responseCurves(): Promise<ResponseCurvesDto>;
  /** Whether a node's credential is stored (never the credential). */
  secretStatus(key: string): Promise<SecretStatusDto>;
  /** Stores a node's credential in the keyring. */
  setSecret(req: SetSecretRequest): Promise<SecretStatusDto>;
  /** Removes a node's credential from the keyring. */
  deleteSecret(key: string): Promise<SecretStatusDto>;
  /** The newest stored earnings forecast of one node (hourly p10/p50/p90, an estimate). */
  forecast(q: ForecastQuery): Promise<ForecastDto>;
  /** The audit log: every change with who made it (desktop, api, cli, orchestrator), newest first. */
  auditLog(q: AuditQuery): Promise<AuditPageDto>;
  /** Recomputes the audit log's hash chain: intact, or the first edited or deleted row. */
  auditVerify(): Promise<AuditVerdictDto>;
  /** Every machine the fleet's Prometheus scrapes: up or down, nodes, earnings, alerts. */
  fleet(): Promise<FleetDto>;
  /** The encrypted backups (newest first), where they go and the schedule. */
  backups(): Promise<BackupsDto>;
  /** Makes an encrypted backup now and prunes beyond the retention; audited. */
  runBackup(): Promise<BackupFileDto>;
  /** The nodes found on this machine (ports, processes, units, containers): a proposal, nothing saved, no secret read. */
  detectNodes(): Promise<DetectionDto>;
  /** Payouts, hold-backs and releases the nodes recorded, newest first. */
  payouts(q: PayoutsQuery): Promise<PayoutDto[]>;
  /** Reads every node's payout record now and stores what is new (idempotent). */
  scanPayouts(): Promise<PayoutScanDto>;
  /** Earnings and payouts of a date range, valued at prices of their own time, as a file. */
  exportEarnings(q: ExportQuery): Promise<ExportFileDto>;
  /** Earned per protocol and day, week or month, in fiat at the price of each day. */
  fiatHistory(q: FiatHistoryQuery): Promise<FiatHistoryDto>;
}
