// A small demo world for E2E_FIXTURES=1: the browser's API calls are answered from here, so the
// screens can be driven and looked at without a running `orcha serve`. The shapes follow
// ui/src/bindings.ts; a real run (without E2E_FIXTURES) checks them against the real server.

const HOUR = 3_600_000;

function iso(ms) {
  return new Date(ms).toISOString();
}

function money(token, decimal, decimals) {
  const [int, frac = ""] = decimal.split(".");
  const units = BigInt(int + frac.padEnd(decimals, "0").slice(0, decimals)).toString();
  return { token, base_units: units, decimals, decimal };
}

export function makeWorld(now = Date.now()) {
  const nodes = [
    {
      id: "storj:main",
      protocol: "storj",
      name: "main",
      endpoint: "http://127.0.0.1:14002",
      auto_apply: true,
      version: "1.104.5",
      health: { state: "healthy", reasons: [], checked_at: iso(now - 30_000) },
      last_poll: { at: iso(now - 30_000), ok: true, error_kind: null, error: null, consecutive_failures: 0 },
      earnings: [
        { kind: "current_period_estimate", amount: money("usd", "4.21", 2), observed_at: iso(now - 30_000) },
        { kind: "unpaid", amount: money("usd", "3.87", 2), observed_at: iso(now - 30_000) },
        { kind: "lifetime", amount: money("usd", "182.44", 2), observed_at: iso(now - 30_000) },
      ],
      resources: [
        { metric: "cpu_millicores", value: 420 },
        { metric: "mem_bytes", value: 812_000_000 },
        { metric: "disk_used_bytes", value: 1_640_000_000_000 },
        { metric: "disk_allocated_bytes", value: 2_000_000_000_000 },
        { metric: "bandwidth_up_bps", value: 18_400_000 },
        { metric: "bandwidth_down_bps", value: 6_100_000 },
      ],
      capabilities: [
        {
          resource: "disk_bytes",
          knob: "protocol_setting",
          setting: "storage.allocated-disk-space",
          min: "500 GB",
          max: "3.6 TB",
          step: "50 GB",
          restart_required: true,
          restart_downtime_secs: 20,
          loses_jobs: false,
          reputation_risk: "online score dips while restarting",
          preconditions: ["at least 500 GB", "never below used space"],
        },
        {
          resource: "bandwidth_bps",
          knob: "traffic_control",
          setting: null,
          min: "5 Mbps",
          max: "100 Mbps",
          step: "5 Mbps",
          restart_required: false,
          restart_downtime_secs: 0,
          loses_jobs: false,
          reputation_risk: null,
          preconditions: [],
        },
      ],
    },
    {
      id: "golem:main",
      protocol: "golem",
      name: "main",
      endpoint: "http://127.0.0.1:7465",
      auto_apply: false,
      version: "0.16.0",
      health: {
        state: "degraded",
        reasons: ["no agreement in the last hour"],
        checked_at: iso(now - 60_000),
      },
      last_poll: { at: iso(now - 60_000), ok: true, error_kind: null, error: null, consecutive_failures: 0 },
      earnings: [
        { kind: "pending", amount: money("glm", "0.412", 18), observed_at: iso(now - 60_000) },
        { kind: "settled", amount: money("glm", "12.75", 18), observed_at: iso(now - 60_000) },
      ],
      resources: [
        { metric: "cpu_millicores", value: 3000 },
        { metric: "mem_bytes", value: 4_000_000_000 },
        { metric: "disk_used_bytes", value: 21_000_000_000 },
      ],
      capabilities: [
        {
          resource: "cpu_millicores",
          knob: "protocol_setting",
          setting: "ya-provider preset cpu_threads",
          min: "1 core",
          max: "6 cores",
          step: "1 core",
          restart_required: true,
          restart_downtime_secs: 5,
          loses_jobs: true,
          reputation_risk: null,
          preconditions: ["zero running activities"],
        },
      ],
    },
    {
      id: "streamr:node1",
      protocol: "streamr",
      name: "node1",
      endpoint: "http://127.0.0.1:7171",
      auto_apply: false,
      version: null,
      health: { state: "unreachable", reasons: ["connection refused"], checked_at: iso(now - 120_000) },
      last_poll: {
        at: iso(now - 120_000),
        ok: false,
        error_kind: "unreachable",
        error: "connection refused",
        consecutive_failures: 4,
      },
      earnings: [{ kind: "unpaid", amount: money("data", "57.3", 18), observed_at: iso(now - 6 * HOUR) }],
      resources: [{ metric: "cpu_millicores", value: 250 }],
      capabilities: [],
    },
    {
      id: "grass:laptop",
      protocol: "grass",
      name: "laptop",
      endpoint: "https://api.getgrass.io",
      auto_apply: false,
      version: null,
      health: { state: "healthy", reasons: [], checked_at: iso(now - 90_000) },
      last_poll: { at: iso(now - 90_000), ok: true, error_kind: null, error: null, consecutive_failures: 0 },
      earnings: [{ kind: "lifetime", amount: money("points", "15230", 0), observed_at: iso(now - 90_000) }],
      resources: [
        { metric: "bandwidth_up_bps", value: 0 },
        { metric: "bandwidth_down_bps", value: 120_000 },
      ],
      capabilities: [],
    },
  ];

  const cycle = {
    id: 42,
    started_at: iso(now - 4 * 60_000),
    finished_at: iso(now - 4 * 60_000 + 2500),
    steps: [
      {
        cycle: 42,
        step: "collect",
        status: "done",
        detail: "4 nodes polled, 1 unreachable",
        at: iso(now - 239_000),
      },
      {
        cycle: 42,
        step: "predict",
        status: "done",
        detail: "24 h forecast from the ML engine",
        at: iso(now - 238_500),
      },
      {
        cycle: 42,
        step: "optimize",
        status: "done",
        detail: "plan for 3 reachable nodes",
        at: iso(now - 238_000),
      },
      {
        cycle: 42,
        step: "evaluate",
        status: "done",
        detail: "gain 0.31 USD/day vs switching cost 0.05 USD",
        at: iso(now - 237_800),
      },
      {
        cycle: 42,
        step: "apply",
        status: "skipped",
        detail: "dry run: golem:main is recommend-only",
        at: iso(now - 237_600),
      },
      { cycle: 42, step: "monitor", status: "done", detail: "no regression", at: iso(now - 237_500) },
    ],
  };

  const decisions = [
    {
      id: 12,
      cycle: 42,
      created_at: iso(now - 237_700),
      verdict: "recommend",
      reason: "Moving 1 core from Storj to Golem pays back in 4 h",
      proposed_plan: JSON.stringify({
        "golem:main": { cpu: "4 cores" },
        "storj:main": { bandwidth: "60 Mbps" },
      }),
      expected_gain: "0.31 USD/day",
      switching_cost: "0.05 USD",
      applied_result: null,
      rollback: null,
    },
    {
      id: 11,
      cycle: 41,
      created_at: iso(now - 19 * 60_000),
      verdict: "skip",
      reason: "expected gain below switching cost",
      proposed_plan: null,
      expected_gain: "0.01 USD/day",
      switching_cost: "0.05 USD",
      applied_result: null,
      rollback: null,
    },
    {
      id: 10,
      cycle: 40,
      created_at: iso(now - 34 * 60_000),
      verdict: "apply",
      reason: "Storj egress demand up; raised its bandwidth cap",
      proposed_plan: JSON.stringify({ "storj:main": { bandwidth: "80 Mbps" } }),
      expected_gain: "0.22 USD/day",
      switching_cost: "0 USD",
      applied_result: "applied via tc in 120 ms",
      rollback: null,
    },
  ];

  const alerts = [
    {
      id: 3,
      node: "streamr:node1",
      rule: "node_unreachable",
      severity: "critical",
      message: "streamr:node1 has not answered 4 polls in a row",
      opened_at: iso(now - 8 * 60_000),
      cleared_at: null,
      acknowledged_at: null,
    },
    {
      id: 2,
      node: "golem:main",
      rule: "no_agreements",
      severity: "warning",
      message: "golem:main got no agreement in the last hour",
      opened_at: iso(now - 50 * 60_000),
      cleared_at: null,
      acknowledged_at: null,
    },
    {
      id: 1,
      node: "storj:main",
      rule: "audit_score_low",
      severity: "warning",
      message: "storj:main audit score dropped to 0.97",
      opened_at: iso(now - 26 * HOUR),
      cleared_at: iso(now - 20 * HOUR),
      acknowledged_at: iso(now - 25 * HOUR),
    },
  ];

  const status = {
    version: "0.1.0",
    demo: true,
    paused: false,
    ml: { available: true, url: "http://127.0.0.1:8787", detail: "LSTM forecaster ready" },
    nodes_total: 4,
    nodes_healthy: 2,
    nodes_degraded: 1,
    nodes_unreachable: 1,
    next_cycle_at: iso(now + 11 * 60_000),
    last_cycle: cycle,
    now: iso(now),
  };

  function series(node, metric, from, to) {
    const n = nodes.find((x) => x.id === node);
    const base = n?.resources.find((r) => r.metric === metric)?.value;
    if (base === undefined) return { node, metric, resolution: "minute", points: [] };
    const start = Date.parse(from);
    const end = Date.parse(to);
    const count = 120;
    const points = [];
    for (let i = 0; i <= count; i++) {
      const t = start + ((end - start) * i) / count;
      const wave = 1 + 0.25 * Math.sin(i / 9) + 0.08 * Math.sin(i * 1.7);
      const value = Math.max(0, base * wave);
      points.push({ ts: iso(t), value, min: value * 0.9, max: value * 1.1 });
    }
    return { node, metric, resolution: end - start > 48 * HOUR ? "hour" : "minute", points };
  }

  function earningsHistory(node, kind, from, to) {
    const n = nodes.find((x) => x.id === node);
    const figure = n?.earnings.find((f) => f.kind === kind);
    if (!figure) return { node, kind, points: [] };
    const start = Date.parse(from);
    const end = Date.parse(to);
    const { token, decimals } = figure.amount;
    const scale = 10n ** BigInt(decimals);
    const final = BigInt(figure.amount.base_units);
    const points = [];
    const days = Math.max(2, Math.round((end - start) / (24 * HOUR)));
    let units = kind === "unpaid" ? 0n : (final * 6n) / 10n;
    const step =
      kind === "unpaid" ? (final * 2n) / BigInt(days) + scale / 10n : (final * 4n) / 10n / BigInt(days);
    for (let d = 0; d <= days; d++) {
      const at = start + d * 24 * HOUR;
      if (at > end) break;
      if (kind === "unpaid" && d === Math.floor(days / 2)) units = step; // a payout
      points.push({
        at: iso(at),
        amount: { token, base_units: units.toString(), decimals, decimal: toDecimal(units, decimals) },
      });
      units += step;
    }
    points.push({ at: iso(end), amount: figure.amount });
    return { node, kind, points };
  }

  return {
    status,
    nodes,
    cycle,
    decisions,
    alerts,
    series,
    earningsHistory,
    secrets: new Map([["golem:main/app_key", true]]),
  };
}

function toDecimal(units, decimals) {
  if (decimals === 0) return units.toString();
  const s = units.toString().padStart(decimals + 1, "0");
  const frac = s.slice(-decimals).replace(/0+$/, "");
  return `${s.slice(0, -decimals)}${frac ? `.${frac}` : ""}`;
}

/** Answers one API request from the world; returns [status, body]. */
export function answer(world, method, url) {
  const u = new URL(url);
  const path = u.pathname.replace(/^.*\/api\/v1/, "");
  const q = Object.fromEntries(u.searchParams);
  if (method === "GET" && path === "/status") return [200, world.status];
  if (method === "GET" && path === "/nodes") return [200, world.nodes];
  if (method === "GET" && path === "/series") return [200, world.series(q.node, q.metric, q.from, q.to)];
  if (method === "GET" && path === "/earnings/history")
    return [200, world.earningsHistory(q.node, q.kind, q.from, q.to)];
  if (method === "GET" && path === "/decisions")
    return [200, world.decisions.slice(0, Number(q.limit ?? 50))];
  if (method === "GET" && path === "/cycles/latest") return [200, world.cycle];
  if (method === "GET" && path === "/alerts")
    return [200, world.alerts.filter((a) => q.include_cleared === "true" || !a.cleared_at)];
  const ack = /^\/alerts\/(\d+)\/ack$/.exec(path);
  if (method === "POST" && ack) {
    const a = world.alerts.find((x) => x.id === Number(ack[1]));
    if (!a) return [404, { code: "not_found", message: "no such alert", field: null }];
    a.acknowledged_at = new Date().toISOString();
    return [200, null];
  }
  if (method === "POST" && path === "/cycle") return [200, null];
  if (method === "PUT" && path === "/automation") return [200, world.status];
  const secret = /^\/secrets\/(.+)$/.exec(path);
  if (secret) {
    const key = decodeURIComponent(secret[1]);
    if (method === "DELETE") world.secrets.set(key, false);
    return [200, { key, stored: world.secrets.get(key) ?? false }];
  }
  if (method === "PUT" && path === "/secrets") return [200, null];
  return [404, { code: "not_found", message: "no such API route", field: null }];
}
