import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeCycle, makeDecision, makeStep } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { AllocationScreen } from "../allocation-screen";

describe("AllocationScreen", () => {
  it("lists decisions with verdicts, reasons and readable plans", async () => {
    const backend = new FakeBackend({
      decisions: [
        makeDecision({
          id: 2,
          verdict: "apply",
          reason: "gain 0.40 USD/day beats cost",
          applied_result: { status: "applied", nodes: {} },
        }),
        makeDecision({ id: 1 }),
      ],
      cycle: makeCycle(),
    });
    renderWithBackend(<AllocationScreen />, backend);
    const items = await screen.findAllByTestId("decision");
    expect(items).toHaveLength(2);
    expect(within(items[0] as HTMLElement).getByText("Apply")).toHaveClass("verdict-apply");
    expect(within(items[0] as HTMLElement).getByText("gain 0.40 USD/day beats cost")).toBeInTheDocument();
    expect(within(items[1] as HTMLElement).getByText("Skip")).toBeInTheDocument();
    // The JSON plan is shown as rows, not as a JSON dump.
    expect(within(items[1] as HTMLElement).getByText("storj:main · disk_bytes")).toBeInTheDocument();
    expect(within(items[1] as HTMLElement).getByText("2 TB")).toBeInTheDocument();
    expect(screen.queryByText(/\{"storj/)).not.toBeInTheDocument();
    expect(backend.callsOf("decisions")[0]).toEqual([50]);
  });

  it("shows the cycle steps, and no placeholder for the plan tools", async () => {
    renderWithBackend(<AllocationScreen />, new FakeBackend({ cycle: makeCycle() }));
    expect(await screen.findByTestId("step-collect")).toHaveClass("step-done");
    expect(screen.getByTestId("step-predict")).toHaveClass("step-skipped");
    expect(screen.getByTestId("step-predict")).toHaveTextContent("ML engine unavailable");
    expect(screen.getByTestId("step-apply")).toHaveClass("step-waiting");
    expect(screen.queryByTestId("not-available")).not.toBeInTheDocument();
    expect(screen.getByText("No decisions yet")).toBeInTheDocument();
  });

  it("follows cycle steps and decisions live", async () => {
    const backend = new FakeBackend({ cycle: makeCycle() });
    renderWithBackend(<AllocationScreen />, backend);
    await screen.findByTestId("step-collect");
    act(() =>
      backend.emit({
        event: "cycle-step",
        payload: makeStep({ step: "optimize", detail: "plan for 4 nodes" }),
      }),
    );
    expect(screen.getByTestId("step-optimize")).toHaveClass("step-done");
    act(() =>
      backend.emit({ event: "cycle-step", payload: makeStep({ cycle: 8, step: "collect", detail: "next" }) }),
    );
    expect(screen.getByText(/Cycle #8/)).toBeInTheDocument();
    expect(screen.getByTestId("step-optimize")).toHaveClass("step-waiting");
    act(() =>
      backend.emit({
        event: "decision",
        payload: makeDecision({ id: 9, verdict: "recommend", reason: "new plan" }),
      }),
    );
    expect(screen.getByText("new plan")).toBeInTheDocument();
    expect(screen.getByText("Recommend")).toBeInTheDocument();
    // The decision also makes the allocation view read the plan again.
    await waitFor(() => expect(backend.callsOf("allocation").length).toBeGreaterThan(1));
  });

  it("summarizes the server's plan, apply result and rollback per node", async () => {
    const plan = {
      source: "engine",
      solver: "clarabel",
      nodes: [
        { node: "storj:main", current: { disk: 2e12 }, changes: {} },
        { node: "golem:main", current: { cpu: 4000, memory: 8e9 }, changes: { cpu: 2000 } },
      ],
    };
    const result = {
      status: "rolled_back",
      nodes: {
        "golem:main": {
          before: { cpu: 4000 },
          after: { cpu: 2000 },
          restarted: false,
          restart_pending: false,
        },
      },
      failed_node: "storj:main",
      error: "config.yaml is read-only",
    };
    const backend = new FakeBackend({
      decisions: [
        makeDecision({
          verdict: "apply",
          proposed_plan: JSON.stringify(plan),
          applied_result: result,
          rollback: { restored: { "golem:main": { cpu: 4000 } }, errors: [] },
        }),
      ],
    });
    renderWithBackend(<AllocationScreen />, backend);
    const item = await screen.findByTestId("decision");
    expect(within(item).getAllByText("CPU 4 cores → 2 cores")).toHaveLength(2);
    expect(within(item).getByText("engine (clarabel)")).toBeInTheDocument();
    expect(within(item).getByText("rolled back")).toBeInTheDocument();
    expect(within(item).getByText("storj:main failed")).toBeInTheDocument();
    expect(within(item).getByText("config.yaml is read-only")).toBeInTheDocument();
    expect(within(item).getByText("restored")).toBeInTheDocument();
    expect(within(item).queryByText(/before · cpu/)).not.toBeInTheDocument();
  });

  it("runs a cycle on demand", async () => {
    const backend = new FakeBackend();
    renderWithBackend(<AllocationScreen />, backend);
    await userEvent.click(screen.getByRole("button", { name: "Run cycle now" }));
    expect(await screen.findByText(/A cycle was started/)).toBeInTheDocument();
    expect(backend.callsOf("runCycleNow")).toHaveLength(1);
  });
});
