// Units for people: bytes → GB, millicores → cores, bits per second → Mbps, times relative to now.

export const METRICS = [
  "cpu_millicores",
  "mem_bytes",
  "disk_used_bytes",
  "disk_allocated_bytes",
  "bandwidth_up_bps",
  "bandwidth_down_bps",
] as const;

export type MetricName = (typeof METRICS)[number];

const METRIC_LABELS: Record<string, string> = {
  cpu_millicores: "CPU",
  mem_bytes: "Memory",
  disk_used_bytes: "Disk used",
  disk_allocated_bytes: "Disk allocated",
  bandwidth_up_bps: "Upload",
  bandwidth_down_bps: "Download",
};

export function metricLabel(metric: string): string {
  return METRIC_LABELS[metric] ?? metric.replaceAll("_", " ");
}

function trimNumber(value: number, digits: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatBytes(bytes: number): string {
  if (bytes === 0) return "0 GB";
  const abs = Math.abs(bytes);
  if (abs >= 1e12) return `${trimNumber(bytes / 1e12, 2)} TB`;
  if (abs >= 1e8) return `${trimNumber(bytes / 1e9, abs >= 1e11 ? 0 : 2)} GB`;
  return `${trimNumber(bytes / 1e6, 1)} MB`;
}

export function formatCores(millicores: number): string {
  const cores = millicores / 1000;
  return `${trimNumber(cores, cores >= 10 ? 1 : 2)} ${cores === 1 ? "core" : "cores"}`;
}

export function formatBps(bps: number): string {
  if (bps === 0) return "0 Mbps";
  const mbps = bps / 1e6;
  if (Math.abs(mbps) >= 1000) return `${trimNumber(mbps / 1000, 2)} Gbps`;
  if (Math.abs(mbps) < 0.1) return `${trimNumber(bps / 1e3, 1)} kbps`;
  return `${trimNumber(mbps, mbps >= 100 ? 0 : 1)} Mbps`;
}

/** Formats one sample value in the metric's natural unit. */
export function formatMetric(metric: string, value: number): string {
  if (metric === "cpu_millicores") return formatCores(value);
  if (metric.endsWith("_bytes")) return formatBytes(value);
  if (metric.endsWith("_bps")) return formatBps(value);
  return trimNumber(value, 2);
}

/** Converts to the unit the charts plot in (cores, GB, Mbps), with that unit's name. */
export function chartUnit(metric: string): { unit: string; convert: (v: number) => number } {
  if (metric === "cpu_millicores") return { unit: "cores", convert: (v) => v / 1000 };
  if (metric.endsWith("_bytes")) return { unit: "GB", convert: (v) => v / 1e9 };
  if (metric.endsWith("_bps")) return { unit: "Mbps", convert: (v) => v / 1e6 };
  return { unit: "", convert: (v) => v };
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago" (or "in …" for the future). */
export function formatRelative(iso: string, nowMs: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "unknown time";
  const diff = Math.round((nowMs - t) / 1000);
  const future = diff < 0;
  const s = Math.abs(diff);
  let text: string;
  if (s < 5) return "just now";
  if (s < 60) text = `${s} s`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min`;
  else if (s < 86_400) text = `${Math.floor(s / 3600)} h`;
  else text = `${Math.floor(s / 86_400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

/** "4:07", "1:02:03"; "now" at or past zero. */
export function formatCountdown(ms: number): string {
  if (ms <= 0) return "now";
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => n.toString().padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString("en-GB", {
    year: "numeric",
    month: "short",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

const PROTOCOL_NAMES: Record<string, string> = {
  storj: "Storj",
  golem: "Golem",
  streamr: "Streamr",
  grass: "Grass",
};

export function protocolName(protocol: string): string {
  return PROTOCOL_NAMES[protocol] ?? protocol;
}

const KIND_LABELS: Record<string, string> = {
  lifetime: "Lifetime earned",
  current_period_estimate: "This period (estimate)",
  unpaid: "Unpaid balance",
  paid_out: "Paid out",
  held: "Held back",
  pending: "Pending",
  accepted: "Accepted",
  settled: "Settled",
  current_period_accrued: "This period (accrued)",
  current_period_held: "This period (held back)",
  contract_lifetime: "Contract total, all delegators",
  contract_unpaid: "Contract uncollected, all delegators",
};

export function earningsKindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind.replaceAll("_", " ");
}

export function sentenceCase(text: string): string {
  const t = text.replaceAll("_", " ");
  return t.charAt(0).toUpperCase() + t.slice(1);
}
