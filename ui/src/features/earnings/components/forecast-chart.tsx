import {
  Area,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { ChartPoint } from "../../../components/time-series-chart";
import type { BandPoint } from "../utils/forecast";

interface Row {
  t: number;
  value?: number;
  band?: [number, number];
  p50?: number;
  label: string;
  forecast: boolean;
  range?: string;
}

type TickStyle = "date" | "date-time" | "time";

function tickTime(t: number, style: TickStyle): string {
  const d = new Date(t);
  const time = d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  if (style === "time") return time;
  const date = d.toLocaleDateString("en-GB", { day: "2-digit", month: "short" });
  return style === "date" ? date : `${date} ${time}`;
}

function tickValue(v: number): string {
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 1 : 3;
  return v.toLocaleString("en-US", { maximumFractionDigits: digits });
}

function ForecastTooltip({
  active,
  payload,
}: {
  active?: boolean;
  payload?: ReadonlyArray<{ payload?: unknown }>;
}) {
  const row = payload?.[0]?.payload as Row | undefined;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-time">{new Date(row.t).toLocaleString("en-GB")}</div>
      <div className="chart-tooltip-value">
        {row.forecast ? `forecast ${row.label} (estimate)` : row.label}
      </div>
      {row.range && <div className="chart-tooltip-time">p10–p90 {row.range}</div>}
    </div>
  );
}

/**
 * The history as an area, then the forecast: the p10–p90 band shaded and the p50 line dashed,
 * from the last reading on. A vertical line marks "now" (the last reading).
 */
export function ForecastChart({
  history,
  band,
  unit,
  ariaLabel,
  color = "var(--accent)",
  height = 240,
  dateTicks,
  formatRange,
  anchored = true,
}: {
  history: readonly ChartPoint[];
  band: readonly BandPoint[];
  unit: string;
  ariaLabel: string;
  color?: string;
  height?: number;
  dateTicks: boolean;
  formatRange: (p: BandPoint) => string;
  /** Whether the band's first point is the last reading (cumulative figures) or a forecast hour. */
  anchored?: boolean;
}) {
  const rows: Row[] = [
    ...history.map((p) => ({ t: p.t, value: p.value, label: p.label, forecast: false })),
    ...band.map((b, i) => {
      // An anchored band starts at the last reading, so the history line stays continuous.
      const reading = anchored && i === 0;
      return {
        t: b.t,
        value: reading ? (history.at(-1)?.value ?? b.p50) : undefined,
        band: [b.p10, b.p90] as [number, number],
        p50: b.p50,
        label: b.label,
        forecast: !reading,
        range: reading ? undefined : formatRange(b),
      };
    }),
  ].sort((a, b) => a.t - b.t);
  const times = rows.map((r) => r.t);
  const first = Math.min(...times);
  const last = Math.max(...times);
  // Ticks name what the drawn span needs: the time of day, or dates (with times under a week).
  const span = last - first;
  const ticks: TickStyle =
    !dateTicks && span <= 2 * 86_400_000 ? "time" : span > 7 * 86_400_000 ? "date" : "date-time";
  const now = anchored ? band[0]?.t : undefined;
  const gradientId = `fgrad-${ariaLabel.replace(/[^a-z0-9]/gi, "")}`;
  return (
    <figure className="chart" aria-label={ariaLabel} style={{ height }} data-testid="forecast-chart">
      <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height }}>
        <ComposedChart data={rows} margin={{ top: 16, right: 12, bottom: 0, left: 0 }}>
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
            domain={[first, last]}
            tickFormatter={(t: number) => tickTime(t, ticks)}
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
            domain={["auto", "auto"]}
            label={{ value: unit, angle: -90, position: "insideLeft", fill: "var(--muted)", fontSize: 11 }}
          />
          <Tooltip content={<ForecastTooltip />} />
          <Area
            type="monotone"
            dataKey="value"
            stroke={color}
            strokeWidth={2}
            fill={`url(#${gradientId})`}
            isAnimationActive={false}
            connectNulls={false}
            dot={false}
          />
          <Area
            type="monotone"
            dataKey="band"
            stroke="none"
            fill="var(--forecast-band)"
            fillOpacity={1}
            isAnimationActive={false}
            className="forecast-band"
            name="p10–p90"
          />
          <Line
            type="monotone"
            dataKey="p50"
            stroke="var(--forecast)"
            strokeWidth={2}
            strokeDasharray="5 4"
            dot={false}
            isAnimationActive={false}
            className="forecast-p50"
            name="p50"
          />
          {now !== undefined && (
            <ReferenceLine
              x={now}
              stroke="var(--faint)"
              strokeDasharray="2 3"
              label={{ value: "now", position: "top", fill: "var(--muted)", fontSize: 10 }}
            />
          )}
        </ComposedChart>
      </ResponsiveContainer>
    </figure>
  );
}
