import {
  Area,
  AreaChart,
  CartesianGrid,
  ReferenceDot,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

export interface ChartPoint {
  /** ms since epoch */
  t: number;
  value: number;
  /** Pre-formatted value for the tooltip. */
  label: string;
}

export interface ChartMarker {
  t: number;
  value: number;
  label: string;
}

interface TimeSeriesChartProps {
  points: readonly ChartPoint[];
  unit: string;
  color?: string;
  height?: number;
  markers?: readonly ChartMarker[];
  ariaLabel: string;
  /** Whether to label the x axis with dates (long ranges) or times of day. */
  dateTicks?: boolean;
}

function tickTime(t: number, dates: boolean): string {
  const d = new Date(t);
  return dates
    ? d.toLocaleDateString("en-GB", { day: "2-digit", month: "short" })
    : d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}

function tickValue(v: number): string {
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 1 : 3;
  return v.toLocaleString("en-US", { maximumFractionDigits: digits });
}

interface TooltipContentProps {
  active?: boolean;
  payload?: ReadonlyArray<{ payload?: unknown }>;
}

function ChartTooltip({ active, payload }: TooltipContentProps) {
  const p = payload?.[0]?.payload as ChartPoint | undefined;
  if (!active || !p) return null;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-time">{new Date(p.t).toLocaleString("en-GB")}</div>
      <div className="chart-tooltip-value">{p.label}</div>
    </div>
  );
}

export function TimeSeriesChart({
  points,
  unit,
  color = "var(--accent)",
  height = 200,
  markers = [],
  ariaLabel,
  dateTicks = false,
}: TimeSeriesChartProps) {
  const gradientId = `grad-${ariaLabel.replace(/[^a-z0-9]/gi, "")}`;
  const times = points.map((p) => p.t);
  const first = Math.min(...times);
  const last = Math.max(...times);
  // One observation (or several at one instant) still gets a visible time axis around it.
  const domain: [number, number] = first === last ? [first - 3_600_000, last + 3_600_000] : [first, last];
  const sparse = points.length <= 24;
  return (
    <figure className="chart" aria-label={ariaLabel} style={{ height }}>
      <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height }}>
        <AreaChart data={[...points]} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <defs>
            <linearGradient id={gradientId} x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor={color} stopOpacity={0.28} />
              <stop offset="100%" stopColor={color} stopOpacity={0.02} />
            </linearGradient>
          </defs>
          <CartesianGrid stroke="var(--grid)" vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={domain}
            tickFormatter={(t: number) => tickTime(t, dateTicks)}
            stroke="var(--muted)"
            fontSize={11}
            tickLine={false}
            minTickGap={40}
          />
          <YAxis
            stroke="var(--muted)"
            fontSize={11}
            tickLine={false}
            axisLine={false}
            width={56}
            tickFormatter={tickValue}
            label={{ value: unit, angle: -90, position: "insideLeft", fill: "var(--muted)", fontSize: 11 }}
          />
          <Tooltip content={<ChartTooltip />} />
          <Area
            type="monotone"
            dataKey="value"
            stroke={color}
            strokeWidth={2}
            fill={`url(#${gradientId})`}
            isAnimationActive={false}
            dot={sparse ? { r: 3, fill: color, strokeWidth: 0 } : false}
          />
          {markers.map((m) => (
            <ReferenceDot
              key={m.t}
              x={m.t}
              y={m.value}
              r={5}
              fill="var(--payout)"
              stroke="var(--surface)"
              strokeWidth={2}
              label={{ value: "payout", position: "top", fill: "var(--payout)", fontSize: 10 }}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </figure>
  );
}
