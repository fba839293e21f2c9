// Generated from the Rust DTOs in crates/orcha-api/src/dto.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p orcha-api --test bindings` to regenerate.

export type ErrorCode = "bad_request" | "not_found" | "conflict" | "unauthorized" | "unavailable" | "internal";

export type ApiError = { code: ErrorCode, message: string, 
/**
 * The request field the error is about, when there is one (forms show it next to the field).
 */
field: string | null, };

export type MoneyDto = { token: string, base_units: string, decimals: number, decimal: string, };

export type HealthState = "healthy" | "degraded" | "unreachable" | "unknown";

export type HealthDto = { state: HealthState, reasons: Array<string>, checked_at: string | null, };

export type EarningsFigureDto = { 
/**
 * `lifetime`, `current_period_estimate`, `unpaid`, `paid_out`, `held`, `pending`,
 * `accepted` or `settled`.
 */
kind: string, amount: MoneyDto, observed_at: string, };

export type MetricValueDto = { metric: string, value: number, };

export type CapabilityDto = { resource: string, 
/**
 * `protocol_setting`, `cgroup`, `docker`, `traffic_control` or `none`.
 */
knob: string, setting: string | null, min: string, max: string, step: string, restart_required: boolean, restart_downtime_secs: number, loses_jobs: boolean, reputation_risk: string | null, preconditions: Array<string>, };

export type PollDto = { at: string, ok: boolean, 
/**
 * The `AdapterError` kind when the poll failed.
 */
error_kind: string | null, error: string | null, consecutive_failures: number, };

export type NodeDto = { id: string, protocol: string, name: string, endpoint: string, auto_apply: boolean, version: string | null, health: HealthDto, last_poll: PollDto | null, earnings: Array<EarningsFigureDto>, resources: Array<MetricValueDto>, capabilities: Array<CapabilityDto>, 
/**
 * What the OS measured for the node (`None`: not measured, e.g. in demo mode).
 */
measured: MeasuredUsageDto | null, };

export type MlStatusDto = { available: boolean, url: string | null, detail: string, };

export type StepDto = { cycle: number, 
/**
 * `collect`, `predict`, `optimize`, `evaluate`, `apply` or `monitor`.
 */
step: string, 
/**
 * `done`, `skipped` or `failed`.
 */
status: string, detail: string, at: string, };

export type CycleDto = { id: number, started_at: string, finished_at: string | null, steps: Array<StepDto>, };

export type StatusDto = { version: string, 
/**
 * True when the data comes from the built-in simulator, never from real nodes.
 */
demo: boolean, paused: boolean, ml: MlStatusDto, nodes_total: number, nodes_healthy: number, nodes_degraded: number, nodes_unreachable: number, next_cycle_at: string | null, last_cycle: CycleDto | null, now: string, 
/**
 * Server-clock seconds per real second: 1 normally, the simulator's speed in the demo (its
 * clock runs fast), 0 when stepped. `now + elapsed × clock_speed` is the server's now.
 */
clock_speed: number, 
/**
 * True when saved settings wait for a restart to take effect.
 */
restart_required: boolean, };

export type PointDto = { ts: string, value: number, min: number, max: number, };

export type SeriesDto = { node: string, metric: string, 
/**
 * `raw`, `minute` or `hour`.
 */
resolution: string, points: Array<PointDto>, };

export type SeriesQuery = { node: string, metric: string, from: string, to: string, };

export type EarningsHistoryQuery = { node: string, kind: string, from: string, to: string, };

export type EarningsPointDto = { at: string, amount: MoneyDto, };

export type EarningsHistoryDto = { node: string, kind: string, points: Array<EarningsPointDto>, };

export type DecisionDto = { id: number, cycle: number | null, created_at: string, 
/**
 * `apply`, `recommend` or `skip`.
 */
verdict: string, reason: string, proposed_plan: string | null, expected_gain: string | null, switching_cost: string | null, applied_result: AppliedResultDto | null, rollback: RollbackDto | null, };

export type AppliedResultDto = { 
/**
 * Who applied it: `orchestrator` or `operator`; absent when it was refused.
 */
actor?: string, 
/**
 * When the transaction started (RFC 3339); absent when it was refused.
 */
at?: string, 
/**
 * Why it was refused or rolled back.
 */
error?: string, 
/**
 * The node whose change failed, on a rollback.
 */
failed_node?: string, 
/**
 * Every node changed before the end, by node id; absent when it was refused.
 */
nodes?: { [key in string]?: NodeApplyDto }, 
/**
 * `applied`, `rolled_back` or `refused`.
 */
status: string, };

export type NodeApplyDto = { 
/**
 * What the node reported after the change.
 */
after: Record<string, number>, before: Record<string, number>, 
/**
 * The change needs a restart that has not happened yet.
 */
restart_pending: boolean, restarted: boolean, };

export type RollbackDto = { errors: Array<string>, 
/**
 * Amounts read back after restoring, by node id.
 */
restored: Record<string, Record<string, number>>, };

export type AlertDto = { id: number, node: string | null, rule: string, 
/**
 * `info`, `warning` or `critical`.
 */
severity: string, message: string, opened_at: string, cleared_at: string | null, acknowledged_at: string | null, };

export type AlertQuery = { include_cleared: boolean, };

export type AlertChannelDto = { 
/**
 * `ntfy`, `webhook`, `discord`, `telegram` or `email`.
 */
channel: string, configured: boolean, last_sent_at: string | null, last_error: string | null, last_error_at: string | null, };

export type AlertNotificationDto = { 
/**
 * `open`, `cleared` or `test`.
 */
state: string, id: number | null, rule: string, severity: string, node: string | null, message: string, at: string, };

export type SecretStatusDto = { 
/**
 * The keyring entry, e.g. `golem:main/app_key`.
 */
key: string, 
/**
 * Whether a value is stored; the value itself never leaves the keyring.
 */
stored: boolean, };

export type SetSecretRequest = { key: string, value: string, };

export type PauseRequest = { paused: boolean, };

export type SampleEventDto = { node: string, at: string, values: Array<MetricValueDto>, };

export type EarningsEventDto = { node: string, figures: Array<EarningsFigureDto>, };

export type HealthEventDto = { node: string, health: HealthDto, };

export type PollFailedEventDto = { node: string, error_kind: string, message: string, at: string, };

export type AutomationEventDto = { paused: boolean, at: string, };

export type ResourceAmountDto = { 
/**
 * `cpu`, `memory`, `disk` or `bandwidth`.
 */
resource: string, amount: string, };

export type NodeAllocationDto = { node: string, auto_apply: boolean, current: Array<ResourceAmountDto>, proposed: Array<ResourceAmountDto>, changes: Array<ResourceAmountDto>, restart: boolean, reasons: Array<string>, 
/**
 * Fiat per hour as a decimal string with its currency ("0.120000 USD"); absent when the
 * node's earnings cannot be valued.
 */
earnings_now_per_hour: string | null, earnings_after_per_hour: string | null, };

export type AllocationDto = { 
/**
 * The decision holding the newest plan; absent before the first plan.
 */
decision_id: number | null, created_at: string | null, 
/**
 * `apply`, `recommend` or `skip`.
 */
verdict: string | null, reason: string | null, 
/**
 * `engine`, `fallback` or `operator`.
 */
source: string | null, expected_gain: string | null, switching_cost: string | null, budget: Array<ResourceAmountDto>, nodes: Array<NodeAllocationDto>, };

export type ApprovePlanRequest = { 
/**
 * A decision whose verdict is `recommend`.
 */
decision_id: number, };

export type ApplyResultDto = { 
/**
 * The decision recording the approval and its result.
 */
decision_id: number, 
/**
 * `applied`, `rolled_back` or `refused`.
 */
status: string, detail: string, };

export type AutoApplyRequest = { node: string, enabled: boolean, };

export type NodeAmountsDto = { node: string, amounts: Array<ResourceAmountDto>, };

export type WhatIfRequest = { nodes: Array<NodeAmountsDto>, };

export type WhatIfDto = { 
/**
 * What the policy would say if the operator approved it: `apply` or `skip`.
 */
verdict: string, reason: string, horizon_hours: number, expected_gain: string, switching_cost: string, nodes: Array<NodeAllocationDto>, };

export type NodeEndpointDto = { 
/**
 * The node id, `<protocol>:<name>`; nodes are added and renamed in the config file only.
 */
id: string, name: string, 
/**
 * Field `protocols.<protocol>.nodes.<name>.endpoint`.
 */
endpoint: string, };

export type UrlSettingDto = { 
/**
 * The config key, e.g. `subgraph_url`; the field is `protocols.<protocol>.<key>`.
 */
key: string, 
/**
 * Empty means the protocol's default (or none).
 */
value: string, };

export type ProtocolSettingsDto = { 
/**
 * `storj`, `golem`, `streamr` or `grass`.
 */
protocol: string, 
/**
 * Field `protocols.<protocol>.enabled`.
 */
enabled: boolean, 
/**
 * Field `protocols.<protocol>.auto_apply`: apply allocations without asking (takes effect
 * at once for the running nodes of this protocol).
 */
auto_apply: boolean, 
/**
 * Field `protocols.<protocol>.poll_interval_secs`; 0 means `intervals.poll_interval_secs`.
 */
poll_interval_secs: number, nodes: Array<NodeEndpointDto>, urls: Array<UrlSettingDto>, };

export type BudgetSettingsDto = { 
/**
 * Field `budget.grant_cpu_cores`; 0 means the detected cores minus the reserve.
 */
grant_cpu_cores: number, grant_memory_mib: number, grant_disk_gib: number, reserve_cpu_cores: number, reserve_memory_mib: number, reserve_disk_gib: number, 
/**
 * Uplink Orcha may hand out, in Mbit/s; 0 means bandwidth is not allocated.
 */
bandwidth_up_mbps: number, bandwidth_down_mbps: number, };

export type IntervalSettingsDto = { 
/**
 * Field `intervals.optimization_interval_secs`: seconds between optimization cycles.
 */
optimization_interval_secs: number, 
/**
 * Default seconds between polls of one node.
 */
poll_interval_secs: number, 
/**
 * Seconds one call to a node may take.
 */
poll_timeout_secs: number, };

export type BackupSettingsDto = { 
/**
 * Field `backup.interval_hours`: hours between scheduled backups; 0 means none.
 */
interval_hours: number, 
/**
 * Field `backup.retention`: how many backups are kept.
 */
retention: number, };

export type AlertSettingsDto = { enabled: boolean, 
/**
 * `info`, `warning` or `critical`.
 */
notify_min_severity: string, ntfy_url: string, webhook_url: string, discord: boolean, telegram_chat_id: string, telegram_api_url: string, smtp_host: string, 
/**
 * A number so an out-of-range port is reported against `alerts.smtp_port`.
 */
smtp_port: number, 
/**
 * `starttls`, `tls` or `none`.
 */
smtp_security: string, smtp_username: string, smtp_from: string, 
/**
 * Recipients, comma-separated.
 */
smtp_to: string, };

export type SettingsValuesDto = { protocols: Array<ProtocolSettingsDto>, budget: BudgetSettingsDto, intervals: IntervalSettingsDto, alerts: AlertSettingsDto, backup: BackupSettingsDto, 
/**
 * Field `prices.fiat`: the fiat currency, a lower-case code such as `usd` or `eur`.
 */
fiat: string, };

export type SettingsDto = { 
/**
 * The values as saved (the running app may still use older ones: see `restart_required`).
 */
values: SettingsValuesDto, 
/**
 * The file saves go to; absent when this Orcha was started without one.
 */
file: string | null, 
/**
 * True in demo mode: saves go to a scratch file the simulated nodes never read, discarded
 * when the demo starts again.
 */
scratch: boolean, 
/**
 * Fields saved with a value the running app does not use until it restarts.
 */
restart_required: Array<string>, };

export type SettingsSavedDto = { 
/**
 * Every field whose value this save changed.
 */
changed: Array<string>, 
/**
 * The changed fields the running app uses already.
 */
applied_live: Array<string>, 
/**
 * The changed fields that take effect after a restart.
 */
needs_restart: Array<string>, settings: SettingsDto, };

export type PriceFreshness = "fresh" | "stale" | "none";

export type PriceDto = { 
/**
 * `glm`, `data`, `storj`, `pol`, `grass` (the token), `points` (one Grass point) or `usd`.
 */
asset: string, fiat: string, state: PriceFreshness, 
/**
 * A decimal string; absent when there is no price.
 */
value: string | null, 
/**
 * `coingecko`, `operator` (a fixed price), `operator-assumption` (the value of a Grass
 * point), `demo` or `identity` (US dollars in USD).
 */
source: string | null, 
/**
 * When the source says the price was valid, or when the operator's value took effect.
 */
observed_at: string | null, 
/**
 * True for the operator's assumed value of a Grass point: not a market price.
 */
assumption: boolean, };

export type PricesDto = { fiat: string, 
/**
 * `coingecko`, `fixed-only` or `demo`.
 */
source: string, 
/**
 * When the market source last answered.
 */
last_refresh: string | null, 
/**
 * Set while the feed waits after a failure (a 429 doubles the wait each time).
 */
backoff_until: string | null, 
/**
 * The last failure of the source, while it lasts.
 */
last_error: string | null, prices: Array<PriceDto>, };

export type FiatAmountDto = { fiat: string, 
/**
 * The exact value as a decimal string.
 */
value: string | null, 
/**
 * The price the value was computed with.
 */
price: PriceDto | null, };

export type WindowEarningsDto = { 
/**
 * `today` (since 00:00 UTC), `7d` or `30d`.
 */
window: string, from: string, 
/**
 * Exact, in the node's own token; absent when fewer than two readings cover the window.
 */
amount: MoneyDto | null, 
/**
 * Absent when `amount` is.
 */
fiat: FiatAmountDto | null, };

export type NodeEarningsTotalsDto = { node: string, windows: Array<WindowEarningsDto>, };

export type OverallEarningsDto = { window: string, from: string, 
/**
 * Exact sums per token.
 */
amounts: Array<MoneyDto>, 
/**
 * The fiat sum of every priced amount; `value` absent when none of them has a price.
 */
fiat: FiatAmountDto, 
/**
 * Amounts left out of the fiat sum because their token has no price.
 */
unpriced: Array<MoneyDto>, };

export type EarningsTotalsDto = { fiat: string, at: string, nodes: Array<NodeEarningsTotalsDto>, overall: Array<OverallEarningsDto>, };

export type ForecastQuery = { node: string, 
/**
 * How many coming hours to return (1–168); the engine forecasts 24.
 */
hours?: number, };

export type ForecastPointDto = { 
/**
 * The start of the hour.
 */
hour: string, p10: MoneyDto, p50: MoneyDto, p90: MoneyDto, };

export type ForecastDto = { node: string, 
/**
 * When the forecast was made; `None` when there is none.
 */
made_at: string | null, 
/**
 * The model the ML engine chose (`lstm`, `ets`, `seasonal_naive_24`, …).
 */
model: string | null, 
/**
 * The saved LSTM's version (`lstm@3`) or the engine's version.
 */
model_version: string | null, 
/**
 * Always true: forecasts are estimates, never promises.
 */
estimate: boolean, points: Array<ForecastPointDto>, 
/**
 * Why there are fewer points than asked for, or empty.
 */
note: string, 
/**
 * What the engine forecast: `rate` (hourly earnings) or `cumulative` (a running total whose
 * increments were forecast). `None` for runs stored before the engine said.
 */
series_kind?: string, 
/**
 * Rolling-origin backtest MASE of the chosen model (error / in-sample seasonal-naive-24
 * error; lower is better).
 */
backtest_mase?: number, 
/**
 * The better seasonal naive's (24 h or 168 h) MASE on the same backtest: the baseline the
 * chosen model has to beat.
 */
seasonal_naive_mase?: number, 
/**
 * Share of backtest outcomes that fell inside the p10–p90 band (0–1; 0.8 is the promise).
 */
interval_coverage?: number, 
/**
 * How many daily backtest origins the scores rest on.
 */
backtest_origins?: number, 
/**
 * The engine's own sentence about its answer: why a baseline answered (too little
 * history), or which models the combination holds and on how many origins it was chosen.
 */
engine_note?: string, };

export type AuditQuery = { 
/**
 * How many rows (1–500, default 100).
 */
limit?: number, before?: bigint, };

export type AuditRowDto = { id: bigint, at: string, 
/**
 * `desktop`, `api`, `cli` or `orchestrator` (older rows may say `operator`).
 */
actor: string, key: string, old: string | null, new: string | null, hash: string, };

export type AuditPageDto = { rows: Array<AuditRowDto>, 
/**
 * Pass as `before` for the next (older) page; absent on the last page.
 */
next_before: bigint | null, };

export type AuditVerdictDto = { intact: boolean, 
/**
 * Rows checked when intact.
 */
rows: bigint, 
/**
 * The first row that does not match, when broken.
 */
broken_at: bigint | null, };

export type BackupFileDto = { 
/**
 * The file name, e.g. `orcha-20260601T120000Z.backup`.
 */
name: string, bytes: bigint, modified_at: string, };

export type BackupsDto = { dir: string, 
/**
 * Hours between scheduled backups; 0 means none are scheduled.
 */
interval_hours: bigint, 
/**
 * How many backups are kept.
 */
retention: number, 
/**
 * Whether the keyring holds the passphrase (`backup:passphrase`); without it none can run.
 */
passphrase_stored: boolean, backups: Array<BackupFileDto>, };

export type PayoutsQuery = { from: string, to: string, };

export type PayoutDto = { node: string, protocol: string, 
/**
 * `payout`, `held` or `released`.
 */
kind: string, amount: MoneyDto, at: string, 
/**
 * The transaction hash, receipt or paystub period, when the node gives one.
 */
reference: string | null, 
/**
 * Where the figure comes from, as a sentence.
 */
detail: string, detected_at: string, };

export type PayoutGapDto = { node: string, reason: string, };

export type PayoutScanDto = { added: Array<PayoutDto>, 
/**
 * Past earned periods (paystubs, daily buckets) stored for the first time.
 */
periods_added: number, 
/**
 * What a node could not provide (payouts or history), and why.
 */
gaps: Array<PayoutGapDto>, };

export type ExportQuery = { 
/**
 * First day (UTC), included.
 */
from: string, 
/**
 * Last day (UTC), included.
 */
to: string, 
/**
 * `csv`, `json` or `koinly`.
 */
format: string, };

export type ExportFileDto = { file_name: string, media_type: string, content: string, rows: number, };

export type FiatHistoryQuery = { from: string, to: string, 
/**
 * `day`, `week` (from Monday, UTC) or `month`.
 */
bucket: string, };

export type ProtocolFiatDto = { protocol: string, 
/**
 * Exact decimal in the operator's fiat, summed from each day's rounded value.
 */
fiat: string, 
/**
 * Days of earnings in the bucket that had no price: not in `fiat`, not counted as 0.
 */
unpriced_days: number, 
/**
 * True when the value rests on the operator's own assumption (Grass points).
 */
assumption: boolean, };

export type FiatBucketDto = { start: string, protocols: Array<ProtocolFiatDto>, };

export type FiatHistoryDto = { fiat: string, bucket: string, buckets: Array<FiatBucketDto>, };

export type MoneyScanEventDto = { 
/**
 * The node just read; `None` on the final event.
 */
node: string | null, 
/**
 * Nodes read so far, of `total`.
 */
done: number, total: number, 
/**
 * Payouts and past periods stored for the first time so far.
 */
added: number, 
/**
 * What the node just read could not provide, if anything.
 */
gap: string | null, finished: boolean, };

export type Event = { "event": "sample", "payload": SampleEventDto } | { "event": "earnings", "payload": EarningsEventDto } | { "event": "health", "payload": HealthEventDto } | { "event": "poll-failed", "payload": PollFailedEventDto } | { "event": "cycle-step", "payload": StepDto } | { "event": "ml-status", "payload": MlStatusDto } | { "event": "automation", "payload": AutomationEventDto } | { "event": "decision", "payload": DecisionDto } | { "event": "alert", "payload": AlertDto } | { "event": "money-scan", "payload": MoneyScanEventDto };

export type MarginalValueDto = { p10: string, p50: string, p90: string, };

export type ResourceCurveDto = { 
/**
 * `cpu`, `memory`, `disk` or `bandwidth`.
 */
resource: string, 
/**
 * The unit `x` is counted in: `core`, `GiB`, `GB` or `Mbit/s`.
 */
unit: string, 
/**
 * `fitted`, `at_cap` (all of it is used: valued at what a used unit earns now),
 * `demand_limited` (it uses clearly less than it has: one more unit earns nothing, and it may
 * give down to its use plus headroom), `ingress_limited` (Storj space not yet filled: held
 * while ingress fills it), `thin_data` (kept at its amount) or `probing` (this cycle moves
 * it to learn).
 */
status: string, 
/**
 * Fiat per hour `a·ln(1 + b·x)` with `x` in `unit`; both 0 when not fitted.
 */
a: number, b: number, 
/**
 * The amount in force, in `unit`.
 */
operating_point: number, 
/**
 * What one more `unit` earns per hour at the operating point.
 */
marginal_per_hour: MarginalValueDto, 
/**
 * What the node uses (in `unit`) when demand, not the allocation, limits it: one more unit
 * then earns nothing and the optimizer keeps the amount.
 */
demand_limited_at: number | null, 
/**
 * Hours of readings the fit saw, and how many distinct amounts among them.
 */
hours: number, levels: number, note: string, };

export type NodeCurvesDto = { node: string, resources: Array<ResourceCurveDto>, 
/**
 * Why the optimizer keeps the node where it is, when it does.
 */
held_because: string | null, };

export type ResponseCurvesDto = { 
/**
 * The fiat currency the values are in.
 */
fiat: string, nodes: Array<NodeCurvesDto>, };

export type MachineState = "up" | "down" | "stale";

export type FleetHealth = "unknown" | "healthy" | "degraded" | "unreachable";

export type FiatWindowDto = { window: string, 
/**
 * Lower-case currency code, e.g. `usd`.
 */
fiat: string, value: number, };

export type ResourceAmountFleetDto = { resource: string, amount: number, };

export type FleetNodeDto = { 
/**
 * `protocol:name`, e.g. `golem:main`.
 */
node: string, protocol: string, health: FleetHealth, earnings: Array<FiatWindowDto>, allocation: Array<ResourceAmountFleetDto>, };

export type MachineDto = { 
/**
 * The `machine` label (scrape config or `[orchestrator] machine`), else the instance.
 */
machine: string, 
/**
 * `host:port` Prometheus scrapes.
 */
instance: string | null, version: string | null, state: MachineState, 
/**
 * Time of the last scrape Prometheus recorded, successful or not.
 */
last_scrape: string | null, nodes: Array<FleetNodeDto>, 
/**
 * Sums over the machine's nodes, per window and currency.
 */
earnings: Array<FiatWindowDto>, 
/**
 * Sums over the machine's nodes, per resource.
 */
allocation: Array<ResourceAmountFleetDto>, 
/**
 * Absent when the machine did not report it recently.
 */
alerts_open: number | null, 
/**
 * From `fleet.dashboard_urls`.
 */
dashboard_url: string | null, };

export type FleetTotalsDto = { machines: number, machines_up: number, nodes: number, nodes_healthy: number, earnings: Array<FiatWindowDto>, allocation: Array<ResourceAmountFleetDto>, alerts_open: number, };

export type FleetDto = { at: string, 
/**
 * The Prometheus asked (without credentials).
 */
prometheus_url: string, machines: Array<MachineDto>, totals: FleetTotalsDto, };

export type MeasuredResourceDto = { 
/**
 * The series name in the store: `measured.cpu_millicores`, `measured.mem_bytes`, …
 */
metric: string, 
/**
 * `cpu`, `memory`, `disk` or `bandwidth` when the value is an allocated resource.
 */
resource: string | null, value: number, 
/**
 * `process`, `cgroup`, `docker`, `netns`, `tc` or `filesystem`.
 */
source: string, 
/**
 * The amount in force for the node, in the resource's base unit (decimal string).
 */
allocated: string | null, 
/**
 * What this machine can give the node (decimal string): logical CPUs, RAM, free disk at
 * its storage path plus what it holds.
 */
machine_max: string | null, };

export type MeasuredUsageDto = { at: string, 
/**
 * What was measured: `process storagenode`, `unit storagenode.service`, `container storj`.
 */
target: string, 
/**
 * The process, unit or container was found.
 */
running: boolean, 
/**
 * The pids counted (empty for a container).
 */
pids: Array<number>, resources: Array<MeasuredResourceDto>, 
/**
 * Why the target or a part of it could not be read.
 */
problems: Array<string>, };

export type DetectedNodeDto = { 
/**
 * The proposed node id, `<protocol>:<name>`.
 */
id: string, protocol: string, name: string, 
/**
 * The node's local API, when one answered or its config names one.
 */
endpoint: string | null, 
/**
 * Where its usage would be measured (`process storagenode`, `unit …`, `container …`).
 */
target: string | null, 
/**
 * The `[usage.nodes]` keys that would be written: one of these is set.
 */
process: string | null, unit: string | null, container: string | null, storage_path: string | null, 
/**
 * Storj's `config.yaml`, for the allocated-disk knob.
 */
config_yaml: string | null, 
/**
 * What the proposal rests on, in words (`port 14002 answers (pid 812)`, …).
 */
evidence: Array<string>, 
/**
 * A configured node already has this id or endpoint.
 */
already_configured: boolean, 
/**
 * The credential the node needs and how to provide it; detection never reads one unasked.
 */
credential_hint: string | null, };

export type DetectionDto = { nodes: Array<DetectedNodeDto>, notes: Array<string>, 
/**
 * The proposal as config-file TOML, for the operator to read or paste.
 */
config_toml: string, };
