import type { MeasuredResourceDto, MeasuredUsageDto } from "../../../bindings";
import { formatDateTime, formatMetric, formatRelative, metricLabel } from "../../../utils/format";

const PREFIX = "measured.";

const EXTRA_LABELS: Record<string, string> = {
  disk_read_bytes_per_s: "Disk read",
  disk_write_bytes_per_s: "Disk write",
};

function baseMetric(metric: string): string {
  return metric.startsWith(PREFIX) ? metric.slice(PREFIX.length) : metric;
}

function format(metric: string, value: number): string {
  if (metric.endsWith("_bytes_per_s")) return `${formatMetric("x_bytes", value)}/s`;
  return formatMetric(metric, value);
}

/** Use against the allocation, else against what the machine can give. */
function share(r: MeasuredResourceDto): { of: string; percent: number } | null {
  const cap = r.allocated ?? r.machine_max;
  if (cap == null) return null;
  const total = Number(cap);
  if (!(total > 0)) return null;
  return { of: r.allocated != null ? "allocation" : "machine", percent: (r.value / total) * 100 };
}

/** What the operating system measured for the node, each resource against its allocation. */
export function MeasuredUsage({ measured, now }: { measured: MeasuredUsageDto | null; now: number }) {
  if (!measured) {
    return (
      <p className="muted">Not measured: usage measurement is off for this node (or this is the demo).</p>
    );
  }
  return (
    <div data-testid="measured-usage">
      <p className="small">
        <span className={`tag ${measured.running ? "tag-ok" : "tag-danger"}`}>
          {measured.running ? "running" : "not running"}
        </span>{" "}
        <span className="mono">{measured.target}</span>
        {measured.pids.length > 0 && <span className="muted"> · pids {measured.pids.join(", ")}</span>}
        {" · "}
        <time dateTime={measured.at} title={formatDateTime(measured.at)}>
          {formatRelative(measured.at, now)}
        </time>
      </p>
      {measured.resources.length > 0 && (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Resource</th>
                <th scope="col" className="num">
                  Used
                </th>
                <th scope="col" className="num">
                  Allocated
                </th>
                <th scope="col" className="num">
                  Machine max
                </th>
                <th scope="col">Share</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {measured.resources.map((r) => {
                const m = baseMetric(r.metric);
                const s = share(r);
                return (
                  <tr key={r.metric}>
                    <th scope="row">{EXTRA_LABELS[m] ?? metricLabel(m)}</th>
                    <td className="num">{format(m, r.value)}</td>
                    <td className="num">
                      {r.allocated != null ? (
                        format(m, Number(r.allocated))
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td className="num">
                      {r.machine_max != null ? (
                        format(m, Number(r.machine_max))
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>
                      {s ? (
                        <span title={`of the ${s.of}`}>
                          <meter min={0} max={100} high={90} value={Math.min(s.percent, 100)} />{" "}
                          {s.percent.toFixed(0)} % of {s.of}
                        </span>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td className="mono">{r.source}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {measured.problems.length > 0 && (
        <ul className="reasons">
          {measured.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
