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

  const allocation = makeAllocation(now);

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
    clock_speed: 1,
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
    allocation,
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

// Allocation: a recommended (dry-run) plan for decision 12 that moves Storj bandwidth and Golem
// CPU/memory; Streamr is unreachable, Grass earns points (no price) and has zero upload allocated.
function makeAllocation(now) {
  const a = (resource, amount) => ({ resource, amount: String(amount) });
  return {
    decision_id: 12,
    created_at: iso(now - 237_700),
    verdict: "recommend",
    reason:
      "dry-run: storj:main, golem:main not opted into auto-apply; recommended only: gain 0.31 USD over 24 h >= switching cost 0.05 USD + margin 0.05 USD",
    source: "engine",
    expected_gain: "0.310000 USD",
    switching_cost: "0.050000 USD",
    budget: [
      a("cpu", 6000),
      a("memory", 16_000_000_000),
      a("disk", 3_600_000_000_000),
      a("bandwidth", 100_000_000),
    ],
    nodes: [
      {
        node: "storj:main",
        auto_apply: false,
        current: [a("disk", 2_000_000_000_000), a("bandwidth", 80_000_000)],
        proposed: [a("disk", 2_000_000_000_000), a("bandwidth", 60_000_000)],
        changes: [a("bandwidth", 60_000_000)],
        restart: false,
        reasons: [],
        earnings_now_per_hour: "0.041200 USD",
        earnings_after_per_hour: "0.039800 USD",
      },
      {
        node: "golem:main",
        auto_apply: false,
        current: [a("cpu", 3000), a("memory", 4_000_000_000)],
        proposed: [a("cpu", 4000), a("memory", 6_000_000_000), a("disk", 50_000_000_000)],
        changes: [a("cpu", 4000), a("memory", 6_000_000_000), a("disk", 50_000_000_000)],
        restart: false,
        reasons: [],
        earnings_now_per_hour: "0.018000 USD",
        earnings_after_per_hour: "0.030100 USD",
      },
      {
        node: "streamr:node1",
        auto_apply: false,
        current: [a("memory", 1_000_000_000)],
        proposed: [a("memory", 1_000_000_000)],
        changes: [],
        restart: false,
        reasons: ["streamr:node1 is unreachable; held at its last known allocation"],
        earnings_now_per_hour: null,
        earnings_after_per_hour: null,
      },
      {
        node: "grass:laptop",
        auto_apply: false,
        current: [a("bandwidth", 0)],
        proposed: [a("bandwidth", 0)],
        changes: [],
        restart: false,
        reasons: [
          "grass earns POINTS, which has no fiat price (set allocation.fiat_per_token.points); held at its current allocation",
        ],
        earnings_now_per_hour: null,
        earnings_after_per_hour: null,
      },
    ],
  };
}

/** The hourly earnings forecast: Storj's in USD with a widening band; none for the others. */
function forecast(node, hours) {
  if (node !== "storj:main")
    return {
      node,
      made_at: null,
      model: null,
      model_version: null,
      estimate: true,
      points: [],
      note: "no forecast yet: the ML engine forecasts a node once it has 24 h of earnings history",
    };
  const start = Math.floor(Date.now() / HOUR) * HOUR;
  const m = (v) => money("usd", v.toFixed(6), 6);
  const points = Array.from({ length: hours }, (_, h) => {
    const p50 = 0.42 * (1 + 0.3 * Math.sin((h + 6) / 3.8));
    const spread = 0.08 + h * 0.006;
    return {
      hour: iso(start + h * HOUR),
      p10: m(Math.max(0, p50 - spread)),
      p50: m(p50),
      p90: m(p50 + spread),
    };
  });
  return {
    node,
    made_at: iso(start),
    model: "ets",
    model_version: null,
    estimate: true,
    points,
    note: "",
    series_kind: "rate",
    backtest_mase: 0.71,
    seasonal_naive_mase: 0.93,
    interval_coverage: 0.79,
    backtest_origins: 14,
  };
}

// Overview: prices (GLM fresh, DATA stale, a Grass point valued by the operator's assumption)
// and what each node earned today, over 7 and 30 days, priced as the server prices it.
function price(asset, value, state, source, assumption = false) {
  const observed = Date.now() - (state === "stale" ? 3 * HOUR : 10 * 60_000);
  return { asset, fiat: "usd", state, value, source, observed_at: iso(observed), assumption };
}

const PRICES = {
  usd: price("usd", "1", "fresh", "identity"),
  glm: price("glm", "0.25", "fresh", "coingecko"),
  data: price("data", "0.02", "stale", "coingecko"),
  points: price("points", "0.001", "fresh", "operator-assumption", true),
};

function prices() {
  return {
    fiat: "usd",
    source: "coingecko",
    last_refresh: iso(Date.now() - 3 * HOUR),
    backoff_until: iso(Date.now() + 5 * 60_000),
    last_error: "coingecko answered 429 Too Many Requests",
    prices: [PRICES.glm, PRICES.data, price("storj", null, "none", null), PRICES.points],
  };
}

const EARNED = {
  "storj:main": ["usd", 2, ["1.37", "9.85", "41.2"]],
  "golem:main": ["glm", 18, ["0.412", "3.05", "12.75"]],
  "streamr:node1": ["data", 18, ["1.9", "13.1", "57.3"]],
  "grass:laptop": ["points", 0, ["310", "2140", "9020"]],
};

function times(decimal, factor) {
  const [int, frac = ""] = decimal.split(".");
  const [fi, ff = ""] = factor.split(".");
  const scale = frac.length + ff.length;
  return toDecimal(BigInt(int + frac) * BigInt(fi + ff), scale);
}

function addDec(a, b) {
  const scale = Math.max((a.split(".")[1] ?? "").length, (b.split(".")[1] ?? "").length);
  const units = (d) => {
    const [i, f = ""] = d.split(".");
    return BigInt(i + f.padEnd(scale, "0"));
  };
  return toDecimal(units(a) + units(b), scale);
}

function earningsTotals(world) {
  const now = Date.now();
  const midnight = new Date(now);
  midnight.setUTCHours(0, 0, 0, 0);
  const windows = [
    ["today", midnight.getTime()],
    ["7d", now - 7 * 24 * HOUR],
    ["30d", now - 30 * 24 * HOUR],
  ];
  const nodes = world.nodes.map((n) => {
    const [token, decimals, amounts] = EARNED[n.id];
    return {
      node: n.id,
      windows: windows.map(([window, from], i) => {
        const amount = money(token, amounts[i], decimals);
        const p = PRICES[token];
        return {
          window,
          from: iso(from),
          amount,
          fiat: { fiat: "usd", value: times(amounts[i], p.value), price: p },
        };
      }),
    };
  });
  const overall = windows.map(([window, from], i) => {
    const amounts = nodes.map((n) => n.windows[i].amount);
    const value = nodes.map((n) => n.windows[i].fiat.value).reduce(addDec);
    return { window, from: iso(from), amounts, fiat: { fiat: "usd", value, price: null }, unpriced: [] };
  });
  return { fiat: "usd", at: iso(now), nodes, overall };
}

function usd(v) {
  return `${v.toFixed(6)} USD`;
}

/** Approving: a new `apply` decision recording the result, as the server's apply transaction does. */
function approvePlan(world, body) {
  const plan = world.allocation;
  if (body?.decision_id !== plan.decision_id || plan.verdict !== "recommend")
    return [
      409,
      { code: "conflict", message: `decision ${body?.decision_id} is not a recommended plan`, field: null },
    ];
  const id = Math.max(...world.decisions.map((d) => d.id)) + 1;
  const changed = plan.nodes.filter((n) => n.changes.length > 0);
  const amounts = (list) => Object.fromEntries(list.map((x) => [x.resource, Number(x.amount)]));
  const reason = `decision ${plan.decision_id} approved by the operator; gain 0.31 USD over 24 h >= switching cost 0.05 USD + margin 0.05 USD`;
  const applied = {
    status: "applied",
    at: new Date().toISOString(),
    actor: "operator",
    nodes: Object.fromEntries(
      changed.map((n) => [
        n.node,
        { before: amounts(n.current), after: amounts(n.changes), restarted: false, restart_pending: false },
      ]),
    ),
  };
  world.decisions.unshift({
    id,
    cycle: null,
    created_at: new Date().toISOString(),
    verdict: "apply",
    reason,
    proposed_plan: null,
    expected_gain: plan.expected_gain,
    switching_cost: plan.switching_cost,
    applied_result: JSON.stringify(applied),
    rollback: null,
  });
  world.allocation = {
    ...plan,
    decision_id: id,
    verdict: "apply",
    source: "operator",
    reason,
    created_at: new Date().toISOString(),
  };
  return [200, { decision_id: id, status: "applied", detail: `applied to ${changed.length} nodes` }];
}

/** What-if: earnings grow with the square root of the first resource (diminishing returns). */
function whatIf(world, body) {
  let gain = 0;
  const nodes = world.allocation.nodes.map((n) => {
    const edited = body?.nodes?.find((x) => x.node === n.node);
    const proposed = edited ? edited.amounts : n.current;
    const now = n.earnings_now_per_hour === null ? null : Number.parseFloat(n.earnings_now_per_hour);
    let after = now;
    const base = Number(n.current[0]?.amount ?? 0);
    const next = Number(proposed.find((x) => x.resource === n.current[0]?.resource)?.amount ?? base);
    if (now !== null && base > 0) after = now * Math.sqrt(next / base);
    if (now !== null) gain += (after - now) * 24;
    return {
      ...n,
      proposed,
      changes: proposed.filter((p) => n.current.find((c) => c.resource === p.resource)?.amount !== p.amount),
      earnings_now_per_hour: now === null ? null : usd(now),
      earnings_after_per_hour: after === null ? null : usd(after),
    };
  });
  const cost = 0.01 * nodes.filter((n) => n.changes.length > 0).length;
  const pays = gain >= cost + 0.05;
  return {
    verdict: pays ? "apply" : "skip",
    reason: `${pays ? "" : "gain below cost: "}gain ${gain.toFixed(2)} USD over 24 h ${pays ? ">=" : "<"} switching cost ${cost.toFixed(2)} USD + margin 0.05 USD`,
    horizon_hours: 24,
    expected_gain: usd(gain),
    switching_cost: usd(cost),
    nodes,
  };
}

/** Answers one API request (with its JSON body, if any) from the world; returns [status, body]. */
// ---------------------------------------------------------------------------------------------
// Settings: the editable values of the world's nodes, saves that say what needs a restart, alert
// channels and their keyring credentials.

function makeSettings(world) {
  const byProtocol = new Map();
  for (const n of world.nodes) {
    const list = byProtocol.get(n.protocol) ?? [];
    list.push({ id: n.id, name: n.name, endpoint: n.endpoint });
    byProtocol.set(n.protocol, list);
  }
  return {
    values: {
      protocols: ["storj", "golem", "streamr", "grass"].map((protocol) => ({
        protocol,
        enabled: byProtocol.has(protocol),
        auto_apply: false,
        poll_interval_secs: protocol === "grass" ? 300 : 0,
        nodes: byProtocol.get(protocol) ?? [
          { id: `${protocol}:main`, name: "main", endpoint: "http://127.0.0.1:1" },
        ],
        urls:
          protocol === "streamr"
            ? [
                { key: "subgraph_url", value: "" },
                { key: "rpc_url", value: "" },
              ]
            : [],
      })),
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
    file: "/home/operator/.config/depin-orcha/config.toml",
    scratch: false,
    restart_required: [],
  };
}

/** Field names whose values differ, named as the server names them. */
function changedFields(before, after) {
  const flat = (v) => {
    const out = {};
    for (const p of v.protocols) {
      for (const k of ["enabled", "auto_apply", "poll_interval_secs"])
        out[`protocols.${p.protocol}.${k}`] = p[k];
      for (const n of p.nodes) out[`protocols.${p.protocol}.nodes.${n.name}.endpoint`] = n.endpoint;
      for (const u of p.urls) out[`protocols.${p.protocol}.${u.key}`] = u.value;
    }
    for (const section of ["budget", "intervals", "alerts"])
      for (const [k, x] of Object.entries(v[section])) out[`${section}.${k}`] = x;
    out["prices.fiat"] = v.fiat;
    return out;
  };
  const a = flat(before);
  const b = flat(after);
  return Object.keys(b)
    .filter((k) => a[k] !== b[k])
    .sort();
}

function answerSettings(world, method, path, body) {
  world.settings ??= makeSettings(world);
  if (method === "GET" && path === "/settings") return [200, world.settings];
  if (method === "PUT" && path === "/settings") {
    const changed = changedFields(world.settings.values, body);
    const applied_live = changed.filter((f) => f.endsWith(".auto_apply"));
    const needs_restart = changed.filter((f) => !applied_live.includes(f));
    world.settings = {
      ...world.settings,
      values: body,
      restart_required: [...new Set([...world.settings.restart_required, ...needs_restart])].sort(),
    };
    return [200, { changed, applied_live, needs_restart, settings: world.settings }];
  }
  if (method === "GET" && path === "/alerts/channels")
    return [
      200,
      ["ntfy", "webhook", "discord", "telegram", "email"].map((channel) => ({
        channel,
        configured: false,
        last_sent_at: null,
        last_error: null,
        last_error_at: null,
      })),
    ];
  if (method === "POST" && path === "/alerts/test")
    return [
      400,
      {
        code: "bad_request",
        message: "no alert channel is configured (see the [alerts] settings)",
        field: null,
      },
    ];
  const secret = /^\/alerts\/secrets\/(.+)$/.exec(path);
  if (secret) {
    const key = decodeURIComponent(secret[1]);
    if (method === "DELETE") world.secrets.set(key, false);
    return [200, { key, stored: world.secrets.get(key) ?? false }];
  }
  if (method === "PUT" && path === "/alerts/secrets") {
    world.secrets.set(body?.key, true);
    return [200, { key: body?.key, stored: true }];
  }
  return null;
}

export function answer(world, method, url, body = null) {
  const u = new URL(url);
  const path = u.pathname.replace(/^.*\/api\/v1/, "");
  const q = Object.fromEntries(u.searchParams);
  const settings = answerSettings(world, method, path, body);
  if (settings) return settings;
  if (method === "GET" && path === "/forecast") return [200, forecast(q.node, Number(q.hours ?? 24))];
  if (method === "GET" && path === "/earnings/totals") return [200, earningsTotals(world)];
  if (method === "GET" && path === "/prices") return [200, prices()];
  if (method === "GET" && path === "/allocation") return [200, world.allocation];
  if (method === "POST" && path === "/allocation/approve") return approvePlan(world, body);
  if (method === "POST" && path === "/allocation/what-if") return [200, whatIf(world, body)];
  if (method === "PUT" && path === "/allocation/auto-apply") {
    const n = world.allocation.nodes.find((x) => x.node === body?.node);
    if (!n)
      return [404, { code: "not_found", message: `no node \`${body?.node}\` is configured`, field: "node" }];
    n.auto_apply = body.enabled === true;
    return [200, { node: n.node, enabled: n.auto_apply }];
  }
  if (method === "GET" && path === "/fleet")
    return [
      503,
      {
        code: "unavailable",
        message:
          "the fleet view is off: set [fleet] prometheus_url to the Prometheus that scrapes your machines",
        field: null,
      },
    ];
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
