import { useMemo, useState } from "react";
import type { AllocationDto, NodeDto, WhatIfRequest } from "../../../bindings";
import { ErrorState } from "../../../components/state-views";
import { protocolName } from "../../../utils/format";
import { useWhatIf } from "../api/use-allocation";
import { formatFiat, parseFiat } from "../utils/fiat";
import {
  amountOf,
  capabilityFor,
  formatAmount,
  resourceLabel,
  resourcesOf,
  type SliderBounds,
  sliderBounds,
  snap,
} from "../utils/resources";
import { RateChange } from "./earnings-rate";

interface Slider {
  node: string;
  resource: string;
  bounds: SliderBounds;
  current: number;
  proposed: number | null;
}

type Edits = Record<string, Record<string, number>>;

function slidersOf(allocation: AllocationDto, nodes: readonly NodeDto[]): Slider[] {
  const out: Slider[] = [];
  for (const n of allocation.nodes) {
    const caps = nodes.find((x) => x.id === n.node)?.capabilities ?? [];
    for (const r of resourcesOf(n.current, n.proposed)) {
      const current = amountOf(n.current, r);
      // Without a known current amount there is nothing to compare an edit with.
      if (current === undefined) continue;
      const proposed = amountOf(n.proposed, r);
      const bounds = sliderBounds(capabilityFor(caps, r), amountOf(allocation.budget, r), [
        current,
        proposed,
      ]);
      if (!bounds) continue;
      out.push({
        node: n.node,
        resource: r,
        bounds,
        current: Number(current),
        proposed: proposed === undefined ? null : Number(proposed),
      });
    }
  }
  return out;
}

/** The edited nodes, each with every slider resource (edited value, else the current one). */
function requestOf(sliders: readonly Slider[], edits: Edits): WhatIfRequest | null {
  const byNode = new Map<string, Slider[]>();
  for (const s of sliders) byNode.set(s.node, [...(byNode.get(s.node) ?? []), s]);
  const nodes = [...byNode.entries()]
    .filter(([node, list]) => list.some((s) => (edits[node]?.[s.resource] ?? s.current) !== s.current))
    .map(([node, list]) => ({
      node,
      amounts: list.map((s) => ({
        resource: s.resource,
        amount: String(Math.round(edits[node]?.[s.resource] ?? s.current)),
      })),
    }));
  return nodes.length === 0 ? null : { nodes };
}

function nodeTitle(id: string): string {
  const [protocol = id, name = ""] = id.split(":");
  return `${protocolName(protocol)} ${name}`.trim();
}

export function WhatIfCard({ allocation, nodes }: { allocation: AllocationDto; nodes: readonly NodeDto[] }) {
  const sliders = useMemo(() => slidersOf(allocation, nodes), [allocation, nodes]);
  const [edits, setEdits] = useState<Edits>({});
  const request = useMemo(() => requestOf(sliders, edits), [sliders, edits]);
  const result = useWhatIf(request);
  const hasProposal = sliders.some((s) => s.proposed !== null && s.proposed !== s.current);

  if (sliders.length === 0)
    return (
      <p className="muted" data-testid="what-if-empty">
        No node has a resource Orcha can move within the machine budget, so there is nothing to try.
      </p>
    );

  const value = (s: Slider) => edits[s.node]?.[s.resource] ?? s.current;
  const set = (s: Slider, v: number) =>
    setEdits((e) => ({ ...e, [s.node]: { ...e[s.node], [s.resource]: snap(v, s.bounds) } }));
  const byNode = [...new Set(sliders.map((s) => s.node))];
  const data = request ? result.data : undefined;

  return (
    <div className="what-if">
      <p className="muted small">
        Move a slider to value another allocation against the current one. Nothing is applied.
      </p>
      <div className="what-if-nodes">
        {byNode.map((node) => (
          <fieldset key={node} className="what-if-node">
            <legend>{nodeTitle(node)}</legend>
            {sliders
              .filter((s) => s.node === node)
              .map((s) => {
                const v = value(s);
                const id = `what-if-${node}-${s.resource}`.replace(/[^a-z0-9-]/gi, "-");
                return (
                  <div key={s.resource} className="what-if-row">
                    <label htmlFor={id}>{resourceLabel(s.resource)}</label>
                    <input
                      id={id}
                      type="range"
                      min={s.bounds.min}
                      max={s.bounds.max}
                      step={s.bounds.step}
                      value={v}
                      aria-label={`${resourceLabel(s.resource)} for ${node}`}
                      aria-valuetext={formatAmount(s.resource, v)}
                      onChange={(e) => set(s, Number(e.target.value))}
                    />
                    <output htmlFor={id} className={v === s.current ? "muted" : "edited"}>
                      {formatAmount(s.resource, v)}
                    </output>
                    <span className="muted small">now {formatAmount(s.resource, s.current)}</span>
                  </div>
                );
              })}
          </fieldset>
        ))}
      </div>
      <div className="button-row">
        {hasProposal && (
          <button
            type="button"
            className="button"
            onClick={() => {
              const next: Edits = {};
              for (const s of sliders)
                if (s.proposed !== null)
                  next[s.node] = { ...next[s.node], [s.resource]: snap(s.proposed, s.bounds) };
              setEdits(next);
            }}
          >
            Start from the proposed plan
          </button>
        )}
        <button type="button" className="button" disabled={request === null} onClick={() => setEdits({})}>
          Reset
        </button>
      </div>

      <div className={`what-if-result ${result.pending ? "is-updating" : ""}`.trim()} aria-live="polite">
        {request === null ? (
          <p className="muted">Every slider is at the current allocation.</p>
        ) : result.isError && !result.pending ? (
          <ErrorState error={result.error} compact />
        ) : !data ? (
          <p className="muted" role="status">
            Valuing this allocation…
          </p>
        ) : (
          <div data-testid="what-if-result">
            <p>
              <span className={`verdict verdict-${data.verdict === "apply" ? "apply" : "skip"}`}>
                {data.verdict === "apply" ? "Would pay off" : "Would be skipped"}
              </span>{" "}
              <span className="decision-reason">{data.reason}</span>
              {result.pending && <span className="muted small"> · updating…</span>}
            </p>
            <dl className="plan-figures">
              <div>
                <dt>Expected gain over {data.horizon_hours} h</dt>
                <dd data-testid="what-if-gain">{fiatText(data.expected_gain)}</dd>
              </div>
              <div>
                <dt>Switching cost</dt>
                <dd>{fiatText(data.switching_cost)}</dd>
              </div>
            </dl>
            <table className="table mini-table">
              <thead>
                <tr>
                  <th scope="col">Node</th>
                  <th scope="col">Expected earnings: current → edited</th>
                </tr>
              </thead>
              <tbody>
                {data.nodes.map((n) => (
                  <tr key={n.node} data-testid="what-if-node" data-node={n.node}>
                    <th scope="row">{nodeTitle(n.node)}</th>
                    <td>
                      <RateChange now={n.earnings_now_per_hour} after={n.earnings_after_per_hour} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}

function fiatText(text: string): string {
  const f = parseFiat(text);
  return f ? formatFiat(f, 2) : text;
}
