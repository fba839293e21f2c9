import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { ApprovePlanRequest, WhatIfRequest } from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import {
  makeAllocation,
  makeDecision,
  makeGolem,
  makeNode,
  makeNodeAllocation,
  makeStatus,
  makeWhatIf,
} from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { AllocationScreen } from "../allocation-screen";

/** What the server does on approval: a new `apply` decision with the result per node. */
function approving(backend: FakeBackend, status: "applied" | "rolled_back") {
  return (req: ApprovePlanRequest) => {
    const id = req.decision_id + 1;
    const applied =
      status === "applied"
        ? {
            status,
            nodes: {
              "storj:main": {
                before: { disk: 2e12 },
                after: { disk: 1.5e12 },
                restarted: true,
                restart_pending: false,
              },
              "golem:main": {
                before: { cpu: 4000 },
                after: { cpu: 2000 },
                restarted: false,
                restart_pending: false,
              },
            },
          }
        : {
            status,
            nodes: {
              "storj:main": {
                before: { disk: 2e12 },
                after: { disk: 1.5e12 },
                restarted: true,
                restart_pending: false,
              },
            },
            failed_node: "golem:main",
            error: "ya-provider profile update exited with 1",
          };
    backend.data.decisions = [
      makeDecision({
        id,
        verdict: "apply",
        reason: `decision ${req.decision_id} approved by the operator`,
        applied_result: applied,
        rollback: status === "rolled_back" ? { restored: { "storj:main": {} }, errors: [] } : null,
      }),
      ...backend.data.decisions,
    ];
    backend.data.allocation = makeAllocation({
      decision_id: id,
      verdict: "apply",
      source: "operator",
      reason: `decision ${req.decision_id} approved by the operator`,
    });
    return {
      decision_id: id,
      status,
      detail:
        status === "applied" ? "applied to 2 nodes" : "applying the allocation failed; rolled back 1 node(s)",
    };
  };
}

function golemWithKnobs() {
  return makeGolem({
    health: { state: "healthy", reasons: [], checked_at: "2025-06-01T11:59:00Z" },
    capabilities: [
      {
        resource: "cpu",
        knob: "protocol_setting",
        setting: "cpu_threads",
        min: "1000",
        max: "4000",
        step: "1000",
        restart_required: false,
        restart_downtime_secs: 0,
        loses_jobs: false,
        reputation_risk: null,
        preconditions: [],
      },
    ],
  });
}

describe("Allocation plan", () => {
  it("approves a recommended plan and shows the result per node", async () => {
    const backend = new FakeBackend({ allocation: makeAllocation(), decisions: [makeDecision({ id: 12 })] });
    backend.data.approve = approving(backend, "applied");
    renderWithBackend(<AllocationScreen />, backend);

    const plan = await screen.findByTestId("plan");
    expect(within(plan).getByText("Recommended · dry-run")).toBeInTheDocument();
    expect(within(plan).getByText(/Dry-run is the default/)).toBeInTheDocument();
    expect(within(plan).getByText(/storj:main will restart/)).toBeInTheDocument();
    expect(within(plan).getByText("$2.92")).toBeInTheDocument();

    await userEvent.click(within(plan).getByRole("button", { name: "Approve plan" }));
    // Nothing is sent before the operator confirms.
    expect(backend.callsOf("approvePlan")).toHaveLength(0);
    await userEvent.click(within(plan).getByRole("button", { name: "Apply to 2 nodes now" }));

    const result = await screen.findByTestId("apply-result");
    expect(within(result).getByText("Applied")).toBeInTheDocument();
    expect(within(result).getByText(/applied to 2 nodes/)).toBeInTheDocument();
    const rows = await within(result).findAllByTestId("node-result");
    expect(rows.map((r) => [r.textContent?.split(" ")[0], r.dataset.outcome])).toEqual([
      ["storj:main", "applied"],
      ["golem:main", "applied"],
    ]);
    expect(within(rows[0] as HTMLElement).getByText(/restarted/)).toBeInTheDocument();
    expect(backend.callsOf("approvePlan")).toEqual([[{ decision_id: 12 }]]);
    // The view now shows the applied plan, which cannot be approved again.
    await waitFor(() => expect(screen.getByTestId("plan")).toHaveAttribute("data-verdict", "apply"));
    expect(screen.queryByRole("button", { name: "Approve plan" })).not.toBeInTheDocument();
    const blocks = screen.getAllByTestId("alloc-node");
    await waitFor(() => expect(within(blocks[0] as HTMLElement).getByText("applied")).toHaveClass("tag-ok"));
    expect(within(blocks[1] as HTMLElement).getByText("applied")).toBeInTheDocument();
  });

  it("shows a rolled back approval: the failing node and the restored ones", async () => {
    const backend = new FakeBackend({ allocation: makeAllocation() });
    backend.data.approve = approving(backend, "rolled_back");
    renderWithBackend(<AllocationScreen />, backend);
    await userEvent.click(await screen.findByRole("button", { name: "Approve plan" }));
    await userEvent.click(screen.getByRole("button", { name: "Apply to 2 nodes now" }));
    const result = await screen.findByTestId("apply-result");
    expect(within(result).getByText("Rolled back")).toBeInTheDocument();
    await waitFor(() =>
      expect(
        within(result)
          .getAllByTestId("node-result")
          .map((r) => r.dataset.outcome),
      ).toEqual(["rolled_back", "failed"]),
    );
    expect(within(result).getByText("ya-provider profile update exited with 1")).toBeInTheDocument();
  });

  it("shows the server's refusal of an approval", async () => {
    const backend = new FakeBackend({ allocation: makeAllocation() });
    backend.failures.set("approvePlan", {
      code: "conflict",
      message: "decision 12 was replaced by a newer plan (decision 13); approve that one",
      field: null,
    });
    renderWithBackend(<AllocationScreen />, backend);
    await userEvent.click(await screen.findByRole("button", { name: "Approve plan" }));
    await userEvent.click(screen.getByRole("button", { name: "Apply to 2 nodes now" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("decision 12 was replaced by a newer plan");
    expect(screen.queryByTestId("apply-result")).not.toBeInTheDocument();
    // The plan can still be approved after a refusal.
    expect(screen.getByRole("button", { name: "Approve plan" })).toBeEnabled();
  });

  it("says that approving applies even while automation is paused", async () => {
    const backend = new FakeBackend({ allocation: makeAllocation(), status: makeStatus({ paused: true }) });
    renderWithBackend(<AllocationScreen />, backend);
    expect(await screen.findByTestId("automation-paused")).toBeInTheDocument();
    expect(await screen.findByTestId("paused-note")).toHaveTextContent("approving still applies this plan");
  });

  it("explains why there is no plan yet", async () => {
    const backend = new FakeBackend({
      allocation: makeAllocation({
        decision_id: null,
        verdict: null,
        reason: null,
        source: null,
        expected_gain: null,
        switching_cost: null,
        nodes: [makeNodeAllocation({ proposed: [], changes: [], restart: false })],
      }),
      decisions: [
        makeDecision({ id: 2, proposed_plan: null, reason: "no allocation plan: infeasible disk budget" }),
      ],
    });
    renderWithBackend(<AllocationScreen />, backend);
    expect(await screen.findByText("No plan yet")).toBeInTheDocument();
    expect(await screen.findByTestId("latest-reason")).toHaveTextContent("infeasible disk budget");
    expect(screen.queryByRole("button", { name: "Approve plan" })).not.toBeInTheDocument();
    const node = screen.getByTestId("alloc-node");
    expect(within(node).getByText("2 TB")).toBeInTheDocument();
  });
});

describe("Allocation per node", () => {
  it("keeps not measured, unreachable, zero and no price apart", async () => {
    const backend = new FakeBackend({
      nodes: [makeNode({ id: "storj:main" }), makeGolem()],
      allocation: makeAllocation({
        nodes: [
          makeNodeAllocation({
            current: [
              { resource: "disk", amount: "2000000000000" },
              { resource: "bandwidth", amount: "0" },
            ],
            proposed: [{ resource: "memory", amount: "1000000000" }],
            earnings_now_per_hour: "0.000000 USD",
            earnings_after_per_hour: "0.000000 USD",
          }),
          makeNodeAllocation({
            node: "golem:main",
            current: [{ resource: "cpu", amount: "4000" }],
            earnings_now_per_hour: null,
            earnings_after_per_hour: null,
          }),
        ],
      }),
    });
    renderWithBackend(<AllocationScreen />, backend);
    const [storj, golem] = (await screen.findAllByTestId("alloc-node")) as HTMLElement[];
    if (!storj || !golem) throw new Error("two nodes expected");
    const cell = (node: HTMLElement, resource: string) =>
      node.querySelector(`tr[data-resource=${resource}] [data-state]`);
    expect(cell(storj, "memory")).toHaveAttribute("data-state", "not-measured");
    expect(cell(storj, "bandwidth")).toHaveAttribute("data-state", "zero");
    expect(cell(storj, "disk")).toHaveAttribute("data-state", "measured");
    await waitFor(() => expect(cell(golem, "cpu")).toHaveAttribute("data-state", "unreachable"));
    expect(within(storj).getAllByText("$0.0000/h")[0]).toHaveAttribute("data-state", "zero");
    expect(within(golem).getByText("no price")).toHaveAttribute("data-state", "no-price");
  });

  it("turns auto-apply on for one node through the backend", async () => {
    const backend = new FakeBackend({ allocation: makeAllocation() });
    renderWithBackend(<AllocationScreen />, backend);
    const toggle = await screen.findByRole("switch", { name: "Auto-apply storj:main" });
    expect(toggle).not.toBeChecked();
    await userEvent.click(toggle);
    expect(backend.callsOf("setAutoApply")).toEqual([[{ node: "storj:main", enabled: true }]]);
    await waitFor(() => expect(screen.getByRole("switch", { name: "Auto-apply storj:main" })).toBeChecked());
    expect(screen.getByRole("switch", { name: "Auto-apply golem:main" })).not.toBeChecked();
  });

  it("undoes the switch when the backend refuses", async () => {
    const backend = new FakeBackend({ allocation: makeAllocation() });
    backend.failures.set("setAutoApply", {
      code: "not_found",
      message: "no node `storj:main` is configured",
      field: "node",
    });
    renderWithBackend(<AllocationScreen />, backend);
    await userEvent.click(await screen.findByRole("switch", { name: "Auto-apply storj:main" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("no node `storj:main` is configured");
    expect(screen.getByRole("switch", { name: "Auto-apply storj:main" })).not.toBeChecked();
  });

  it("reads the allocation again when a decision, step or automation event arrives", async () => {
    const backend = new FakeBackend({ allocation: makeAllocation() });
    renderWithBackend(<AllocationScreen />, backend);
    await screen.findByTestId("plan");
    const before = backend.callsOf("allocation").length;
    backend.data.allocation = makeAllocation({ decision_id: 20, reason: "a newer plan from the live loop" });
    act(() => backend.emit({ event: "decision", payload: makeDecision({ id: 20, verdict: "recommend" }) }));
    expect(await screen.findByText("a newer plan from the live loop")).toBeInTheDocument();
    act(() => backend.emit({ event: "automation", payload: { paused: true, at: "2025-06-01T12:00:00Z" } }));
    act(() =>
      backend.emit({
        event: "cycle-step",
        payload: { cycle: 8, step: "apply", status: "done", detail: "", at: "2025-06-01T12:00:00Z" },
      }),
    );
    await waitFor(() => expect(backend.callsOf("allocation").length).toBeGreaterThanOrEqual(before + 3));
  });

  it("shows a designed error with retry when the allocation cannot be read", async () => {
    const backend = new FakeBackend();
    backend.failures.set("allocation", { code: "internal", message: "database is locked", field: null });
    renderWithBackend(<AllocationScreen />, backend);
    expect(await screen.findByText("database is locked")).toBeInTheDocument();
    backend.failures.delete("allocation");
    await userEvent.click(screen.getAllByRole("button", { name: "Retry" })[0] as HTMLElement);
    expect(await screen.findByTestId("plan")).toBeInTheDocument();
  });
});

describe("What-if", () => {
  it("values an edited allocation after the sliders settle, with no price apart from zero", async () => {
    const backend = new FakeBackend({
      nodes: [makeNode(), golemWithKnobs()],
      allocation: makeAllocation(),
      whatIf: () =>
        makeWhatIf({
          nodes: [
            makeNodeAllocation({
              node: "golem:main",
              earnings_now_per_hour: "0.033586 USD",
              earnings_after_per_hour: "0.073586 USD",
            }),
            makeNodeAllocation({
              node: "storj:main",
              earnings_now_per_hour: "0.000000 USD",
              earnings_after_per_hour: "0.000000 USD",
            }),
            makeNodeAllocation({
              node: "grass:main",
              earnings_now_per_hour: null,
              earnings_after_per_hour: null,
            }),
          ],
        }),
    });
    renderWithBackend(<AllocationScreen />, backend);
    const slider = await screen.findByRole("slider", { name: "CPU for golem:main" });
    await waitFor(() => expect(slider).toHaveAttribute("max", "4000"));
    fireEvent.change(slider, { target: { value: "2000" } });
    fireEvent.change(slider, { target: { value: "3000" } });
    expect(screen.getByText("Valuing this allocation…")).toBeInTheDocument();

    const result = await screen.findByTestId("what-if-result", {}, { timeout: 3000 });
    // Debounced: the two quick moves are one request, with the node's every slider resource.
    expect(backend.callsOf("whatIf")).toHaveLength(1);
    const req = backend.callsOf("whatIf")[0]?.[0] as WhatIfRequest;
    expect(req.nodes).toEqual([
      {
        node: "golem:main",
        amounts: [
          { resource: "cpu", amount: "3000" },
          { resource: "memory", amount: "8589934592" },
        ],
      },
    ]);
    expect(within(result).getByTestId("what-if-gain")).toHaveTextContent("$0.96");
    const row = (node: string) =>
      within(result)
        .getAllByTestId("what-if-node")
        .find((r) => r.dataset.node === node) as HTMLElement;
    expect(row("golem:main")).toHaveTextContent(/\$0\.0336\/h.*\$0\.0736\/h.*\+\$0\.0400\/h/);
    expect(within(row("storj:main")).getAllByText("$0.0000/h")[0]).toHaveAttribute("data-state", "zero");
    expect(within(row("grass:main")).getByText("no price")).toHaveAttribute("data-state", "no-price");

    await userEvent.click(screen.getByRole("button", { name: "Reset" }));
    expect(await screen.findByText("Every slider is at the current allocation.")).toBeInTheDocument();
  });

  it("shows the server's answer to a what-if it refuses", async () => {
    const backend = new FakeBackend({ nodes: [makeNode(), golemWithKnobs()], allocation: makeAllocation() });
    backend.failures.set("whatIf", {
      code: "bad_request",
      message: 'cpu amount "x" must be a whole number of millicores',
      field: "nodes",
    });
    renderWithBackend(<AllocationScreen />, backend);
    const slider = await screen.findByRole("slider", { name: "CPU for golem:main" });
    await waitFor(() => expect(slider).toHaveAttribute("max", "4000"));
    fireEvent.change(slider, { target: { value: "1000" } });
    expect(
      await screen.findByText(/must be a whole number of millicores/, {}, { timeout: 3000 }),
    ).toBeInTheDocument();
  });
});
