// Builders of DTOs for tests; every field is typed by bindings.ts so the fixtures follow the backend.
import type {
  AlertChannelDto,
  AlertDto,
  AllocationDto,
  CycleDto,
  DecisionDto,
  EarningsTotalsDto,
  MoneyDto,
  NodeAllocationDto,
  NodeDto,
  PriceDto,
  PricesDto,
  ResponseCurvesDto,
  SettingsDto,
  StatusDto,
  StepDto,
  WhatIfDto,
} from "../bindings";

export const NOW = "2025-06-01T12:00:00Z";

export function money(token: string, decimal: string, decimals = token === "usd" ? 2 : 18): MoneyDto {
  const [int = "0", frac = ""] = decimal.split(".");
  const units = BigInt(int + frac.padEnd(decimals, "0").slice(0, decimals)).toString();
  return { token, base_units: units, decimals, decimal };
}

export function makeStatus(over: Partial<StatusDto> = {}): StatusDto {
  return {
    version: "0.1.0",
    demo: false,
    paused: false,
    ml: { available: true, url: "http://127.0.0.1:8000", detail: "model v3 loaded" },
    nodes_total: 2,
    nodes_healthy: 1,
    nodes_degraded: 0,
    nodes_unreachable: 1,
    next_cycle_at: "2025-06-01T12:04:10Z",
    last_cycle: null,
    now: NOW,
    clock_speed: 1,
    restart_required: false,
    ...over,
  };
}

export function makeNode(over: Partial<NodeDto> = {}): NodeDto {
  return {
    id: "storj:main",
    protocol: "storj",
    name: "main",
    endpoint: "http://127.0.0.1:14002",
    auto_apply: false,
    version: "1.104.5",
    health: { state: "healthy", reasons: [], checked_at: "2025-06-01T11:59:00Z" },
    last_poll: {
      at: "2025-06-01T11:59:00Z",
      ok: true,
      error_kind: null,
      error: null,
      consecutive_failures: 0,
    },
    earnings: [
      { kind: "unpaid", amount: money("usd", "12.34"), observed_at: "2025-06-01T11:59:00Z" },
      { kind: "lifetime", amount: money("usd", "250.10"), observed_at: "2025-06-01T11:59:00Z" },
    ],
    resources: [
      { metric: "cpu_millicores", value: 1500 },
      { metric: "mem_bytes", value: 2_147_483_648 },
      { metric: "disk_used_bytes", value: 1_200_000_000_000 },
      { metric: "bandwidth_up_bps", value: 0 },
    ],
    capabilities: [
      {
        resource: "disk_bytes",
        knob: "protocol_setting",
        setting: "storage.allocated-disk-space",
        min: "500 GB",
        max: "4 TB",
        step: "50 GB",
        restart_required: true,
        restart_downtime_secs: 30,
        loses_jobs: false,
        reputation_risk: "online score dips while restarting",
        preconditions: ["never below used space"],
      },
    ],
    measured: null,
    ...over,
  };
}

export function makeGolem(over: Partial<NodeDto> = {}): NodeDto {
  return makeNode({
    id: "golem:main",
    protocol: "golem",
    name: "main",
    endpoint: "http://127.0.0.1:7465",
    health: { state: "unreachable", reasons: ["connection refused"], checked_at: "2025-06-01T11:58:00Z" },
    last_poll: {
      at: "2025-06-01T11:58:00Z",
      ok: false,
      error_kind: "unreachable",
      error: "connection refused",
      consecutive_failures: 3,
    },
    earnings: [{ kind: "unpaid", amount: money("glm", "3.5"), observed_at: "2025-06-01T11:00:00Z" }],
    resources: [{ metric: "cpu_millicores", value: 4000 }],
    capabilities: [],
    ...over,
  });
}

export function makeStep(over: Partial<StepDto> = {}): StepDto {
  return {
    cycle: 7,
    step: "collect",
    status: "done",
    detail: "4 nodes polled",
    at: "2025-06-01T11:45:01Z",
    ...over,
  };
}

export function makeCycle(over: Partial<CycleDto> = {}): CycleDto {
  return {
    id: 7,
    started_at: "2025-06-01T11:45:00Z",
    finished_at: null,
    steps: [makeStep(), makeStep({ step: "predict", status: "skipped", detail: "ML engine unavailable" })],
    ...over,
  };
}

export function makeDecision(over: Partial<DecisionDto> = {}): DecisionDto {
  return {
    id: 1,
    cycle: 7,
    created_at: "2025-06-01T11:45:03Z",
    verdict: "skip",
    reason: "expected gain below switching cost",
    proposed_plan: '{"storj:main":{"disk_bytes":"2 TB"}}',
    expected_gain: "0.02 USD/day",
    switching_cost: "0.10 USD",
    applied_result: null,
    rollback: null,
    ...over,
  };
}

export function makeAlert(over: Partial<AlertDto> = {}): AlertDto {
  return {
    id: 1,
    node: "golem:main",
    rule: "node_unreachable",
    severity: "critical",
    message: "golem:main has been unreachable for 3 polls",
    opened_at: "2025-06-01T11:50:00Z",
    cleared_at: null,
    acknowledged_at: null,
    ...over,
  };
}

export function makeNodeAllocation(over: Partial<NodeAllocationDto> = {}): NodeAllocationDto {
  return {
    node: "storj:main",
    auto_apply: false,
    current: [{ resource: "disk", amount: "2000000000000" }],
    proposed: [{ resource: "disk", amount: "1500000000000" }],
    changes: [{ resource: "disk", amount: "1500000000000" }],
    restart: true,
    reasons: [],
    earnings_now_per_hour: "0.040000 USD",
    earnings_after_per_hour: "0.038000 USD",
    ...over,
  };
}

/** A recommended (dry-run) plan over a Storj, a Golem and an unpriced Grass node. */
export function makeAllocation(over: Partial<AllocationDto> = {}): AllocationDto {
  return {
    decision_id: 12,
    created_at: "2025-06-01T11:45:03Z",
    verdict: "recommend",
    reason:
      "dry-run: storj:main, golem:main not opted into auto-apply; recommended only: gain 2.92 USD over 24 h",
    source: "engine",
    expected_gain: "2.921838 USD",
    switching_cost: "0.020000 USD",
    budget: [
      { resource: "cpu", amount: "4000" },
      { resource: "memory", amount: "17179869184" },
      { resource: "disk", amount: "5000000000000" },
    ],
    nodes: [
      makeNodeAllocation(),
      makeNodeAllocation({
        node: "golem:main",
        current: [
          { resource: "cpu", amount: "4000" },
          { resource: "memory", amount: "8589934592" },
        ],
        proposed: [
          { resource: "cpu", amount: "2000" },
          { resource: "memory", amount: "17179869184" },
        ],
        changes: [
          { resource: "cpu", amount: "2000" },
          { resource: "memory", amount: "17179869184" },
        ],
        restart: false,
        earnings_now_per_hour: "0.033586 USD",
        earnings_after_per_hour: "0.155329 USD",
      }),
      makeNodeAllocation({
        node: "grass:main",
        current: [],
        proposed: [],
        changes: [],
        restart: false,
        reasons: [
          "grass earns POINTS, which has no fiat price (set allocation.fiat_per_token.points); held at its current allocation",
        ],
        earnings_now_per_hour: null,
        earnings_after_per_hour: null,
      }),
    ],
    ...over,
  };
}

export function makeWhatIf(over: Partial<WhatIfDto> = {}): WhatIfDto {
  return {
    verdict: "apply",
    reason: "gain 0.96 USD over 24 h >= switching cost 0.01 USD + margin 0.05 USD",
    horizon_hours: 24,
    expected_gain: "0.960000 USD",
    switching_cost: "0.010000 USD",
    nodes: [
      makeNodeAllocation({
        node: "golem:main",
        current: [{ resource: "cpu", amount: "4000" }],
        proposed: [{ resource: "cpu", amount: "3000" }],
        changes: [{ resource: "cpu", amount: "3000" }],
        restart: false,
        earnings_now_per_hour: "0.033586 USD",
        earnings_after_per_hour: "0.073586 USD",
      }),
      makeNodeAllocation({
        node: "grass:main",
        current: [],
        proposed: [],
        changes: [],
        restart: false,
        earnings_now_per_hour: null,
        earnings_after_per_hour: null,
      }),
    ],
    ...over,
  };
}

/** Settings as the server shows them: Storj with two disks, Golem, Streamr (with its URLs), Grass. */
export function makeSettings(over: Partial<SettingsDto> = {}): SettingsDto {
  return {
    values: {
      protocols: [
        {
          protocol: "storj",
          enabled: true,
          auto_apply: false,
          poll_interval_secs: 0,
          nodes: [
            { id: "storj:main", name: "main", endpoint: "http://127.0.0.1:14002" },
            { id: "storj:disk2", name: "disk2", endpoint: "http://127.0.0.1:14003" },
          ],
          urls: [],
        },
        {
          protocol: "golem",
          enabled: true,
          auto_apply: false,
          poll_interval_secs: 0,
          nodes: [{ id: "golem:main", name: "main", endpoint: "http://127.0.0.1:7465" }],
          urls: [],
        },
        {
          protocol: "streamr",
          enabled: false,
          auto_apply: false,
          poll_interval_secs: 0,
          nodes: [{ id: "streamr:main", name: "main", endpoint: "http://127.0.0.1:7171" }],
          urls: [
            { key: "subgraph_url", value: "" },
            { key: "rpc_url", value: "" },
          ],
        },
        {
          protocol: "grass",
          enabled: false,
          auto_apply: false,
          poll_interval_secs: 300,
          nodes: [{ id: "grass:main", name: "main", endpoint: "https://api.getgrass.io" }],
          urls: [],
        },
      ],
      budget: {
        grant_cpu_cores: 0,
        grant_memory_mib: 0,
        grant_disk_gib: 0,
        reserve_cpu_cores: 1,
        reserve_memory_mib: 2048,
        reserve_disk_gib: 20,
        bandwidth_up_mbps: 0,
        bandwidth_down_mbps: 0,
      },
      intervals: { optimization_interval_secs: 900, poll_interval_secs: 60, poll_timeout_secs: 10 },
      backup: { interval_hours: 0, retention: 7 },
      alerts: {
        enabled: true,
        notify_min_severity: "warning",
        ntfy_url: "",
        webhook_url: "",
        discord: false,
        telegram_chat_id: "",
        telegram_api_url: "https://api.telegram.org",
        smtp_host: "",
        smtp_port: 587,
        smtp_security: "starttls",
        smtp_username: "",
        smtp_from: "",
        smtp_to: "",
      },
      fiat: "usd",
    },
    file: "/home/op/.config/depin-orcha/config.toml",
    scratch: false,
    restart_required: [],
    ...over,
  };
}

export function makeAlertChannel(over: Partial<AlertChannelDto> = {}): AlertChannelDto {
  return {
    channel: "ntfy",
    configured: false,
    last_sent_at: null,
    last_error: null,
    last_error_at: null,
    ...over,
  };
}

/** A fresh market price of one whole `asset` in USD (`value` null: no price). */
export function makePrice(asset: string, value: string | null, over: Partial<PriceDto> = {}): PriceDto {
  return {
    asset,
    fiat: "usd",
    state: value === null ? "none" : "fresh",
    value,
    source: value === null ? null : "coingecko",
    observed_at: value === null ? null : "2025-06-01T11:55:00Z",
    assumption: false,
    ...over,
  };
}

export function makePrices(over: Partial<PricesDto> = {}): PricesDto {
  return {
    fiat: "usd",
    source: "coingecko",
    last_refresh: "2025-06-01T11:55:00Z",
    backoff_until: null,
    last_error: null,
    prices: [makePrice("glm", "0.25"), makePrice("data", "0.02"), makePrice("points", null)],
    ...over,
  };
}

/** Totals before any node has two readings: every window empty, no fiat value. */
export function makeEarningsTotals(over: Partial<EarningsTotalsDto> = {}): EarningsTotalsDto {
  const windows: Array<[string, string]> = [
    ["today", "2025-06-01T00:00:00Z"],
    ["7d", "2025-05-25T12:00:00Z"],
    ["30d", "2025-05-02T12:00:00Z"],
  ];
  return {
    fiat: "usd",
    at: NOW,
    nodes: [],
    overall: windows.map(([window, from]) => ({
      window,
      from,
      amounts: [],
      fiat: { fiat: "usd", value: null, price: null },
      unpriced: [],
    })),
    ...over,
  };
}

/** A belief with one fitted resource, one demand-limited one and one being probed. */
export function makeResponseCurves(over: Partial<ResponseCurvesDto> = {}): ResponseCurvesDto {
  const marginal = (p10: string, p50: string, p90: string) => ({ p10, p50, p90 });
  return {
    fiat: "USD",
    nodes: [
      {
        node: "golem:main",
        held_because: null,
        resources: [
          {
            resource: "cpu",
            unit: "core",
            status: "fitted",
            a: 0.02,
            b: 0.5,
            operating_point: 4,
            marginal_per_hour: marginal("0.00250000", "0.00333333", "0.00410000"),
            demand_limited_at: null,
            hours: 168,
            levels: 3,
            note: "fitted on 168 h at 3 amounts",
          },
          {
            resource: "memory",
            unit: "GiB",
            status: "demand_limited",
            a: 0,
            b: 0,
            operating_point: 8,
            marginal_per_hour: marginal("0.00000000", "0.00000000", "0.00000000"),
            demand_limited_at: 2.5,
            hours: 168,
            levels: 1,
            note: "never moved: its slope cannot be told",
          },
        ],
      },
      {
        node: "storj:main",
        held_because: "storj:main: no resource has a fitted response yet; held",
        resources: [
          {
            resource: "disk",
            unit: "GB",
            status: "probing",
            a: 0,
            b: 0,
            operating_point: 2000,
            marginal_per_hour: marginal("0.00000000", "0.00000000", "0.00000000"),
            demand_limited_at: null,
            hours: 30,
            levels: 1,
            note: "1 amounts seen, 2 needed to tell the curve",
          },
        ],
      },
    ],
    ...over,
  };
}
