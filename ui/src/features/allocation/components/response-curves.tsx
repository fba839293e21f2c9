import type { ResponseCurvesDto } from "../../../bindings";
import { formatAmount, formatPerHour, STATUS_TAGS } from "../utils/marginal";

/** Per node and resource: where the node stands and what one more unit earns, with its range. */
export function ResponseCurves({ curves }: { curves: ResponseCurvesDto }) {
  if (curves.nodes.length === 0) return <p className="muted">No node is configured.</p>;
  return (
    <ul className="curve-list">
      {curves.nodes.map((n) => (
        <li key={n.node} className="alloc-node" data-testid="curve-node" data-node={n.node}>
          <div className="alloc-node-head">
            <strong>{n.node}</strong>
          </div>
          {n.held_because && <p className="small muted">{n.held_because}</p>}
          <table className="table mini-table alloc-table">
            <thead>
              <tr>
                <th>Resource</th>
                <th>Now</th>
                <th>One more unit earns per hour</th>
                <th>Belief</th>
              </tr>
            </thead>
            <tbody>
              {n.resources.map((r) => {
                const [tag, label] = STATUS_TAGS[r.status] ?? ["tag-muted", r.status];
                const m = r.marginal_per_hour;
                return (
                  <tr key={r.resource} data-testid="curve-row" data-resource={r.resource}>
                    <td>{r.resource}</td>
                    <td>{formatAmount(r.operating_point, r.unit)}</td>
                    <td>
                      {r.demand_limited_at !== null ? (
                        <span data-testid="earns-nothing-more">
                          nothing more now <span className="muted">(it uses less than it has)</span>
                        </span>
                      ) : r.status === "fitted" || r.status === "at_cap" ? (
                        <>
                          <strong>{formatPerHour(m.p50, curves.fiat)}</strong> per {r.unit}{" "}
                          <span className="muted">
                            (p10–p90 {formatPerHour(m.p10, curves.fiat)} – {formatPerHour(m.p90, curves.fiat)}
                            )
                          </span>
                        </>
                      ) : (
                        <span className="muted">not known yet</span>
                      )}
                    </td>
                    <td className="curve-note">
                      <span className={`tag ${tag}`} title={r.note}>
                        {label}
                      </span>{" "}
                      {r.demand_limited_at !== null && (
                        <span className="tag tag-muted" data-testid="demand-limited">
                          uses {formatAmount(r.demand_limited_at, r.unit)}
                        </span>
                      )}{" "}
                      <span className="small muted">{r.note}</span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </li>
      ))}
    </ul>
  );
}
