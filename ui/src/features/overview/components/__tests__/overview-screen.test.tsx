import { act, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeGolem, makeNode, makeStatus } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { OverviewScreen } from "../overview-screen";

describe("OverviewScreen", () => {
  it("shows per protocol earnings, health and formatted resource values", async () => {
    const backend = new FakeBackend({ nodes: [makeNode(), makeGolem()] });
    renderWithBackend(<OverviewScreen />, backend);

    const storj = await screen.findByRole("region", { name: "Storj summary" });
    expect(within(storj).getByText("Healthy")).toBeInTheDocument();
    expect(within(storj).getByText("$12.34")).toBeInTheDocument();
    expect(within(storj).getByText("$250.10")).toBeInTheDocument();
    expect(within(storj).getByText("1.5 cores")).toBeInTheDocument();
    expect(within(storj).getByText("2.15 GB")).toBeInTheDocument();
    // Upload was measured as zero; that is not the same as "not measured".
    expect(within(storj).getByText("0 Mbps")).toHaveAttribute("data-state", "zero");

    const golem = screen.getByRole("region", { name: "Golem summary" });
    expect(within(golem).getByText("Unreachable")).toBeInTheDocument();
    expect(within(golem).getByText("3.5 GLM")).toBeInTheDocument();
    // Memory was never reported: "not measured", unlike the last known CPU value of an unreachable node.
    expect(golem.querySelectorAll('[data-state="not-measured"]').length).toBe(3);
    const cpu = within(golem).getByText("4 cores").closest("[data-state]");
    expect(cpu).toHaveAttribute("data-state", "unreachable");
    expect(within(cpu as HTMLElement).getByRole("img", { name: "unreachable" })).toBeInTheDocument();
  });

  it("shows node counts, the ML engine and the DEMO banner", async () => {
    const backend = new FakeBackend({ status: makeStatus({ demo: true }), nodes: [makeNode()] });
    renderWithBackend(<OverviewScreen />, backend);
    expect(await screen.findByRole("note")).toHaveTextContent("DEMO");
    const nodes = screen.getByRole("region", { name: "Nodes" });
    expect(within(nodes).getByText("1 up")).toBeInTheDocument();
    expect(within(nodes).getByText("1 down")).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "ML engine" })).toHaveTextContent("Available");
    expect(screen.getByTestId("cycle-countdown")).toHaveTextContent(/^in \d+:\d\d/);
    // Fiat totals and the forecast are real cards now, not placeholders.
    expect(await screen.findByRole("region", { name: "Earned" })).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Earnings forecast" })).toBeInTheDocument();
    expect(screen.queryAllByTestId("not-available")).toHaveLength(0);
  });

  it("shows the empty state when no node is configured", async () => {
    const backend = new FakeBackend({ status: makeStatus({ nodes_total: 0 }), nodes: [] });
    renderWithBackend(<OverviewScreen />, backend);
    expect(
      await screen.findByText("No node connected yet — connect one in Settings, or try the demo"),
    ).toBeInTheDocument();
    expect(screen.queryByRole("note")).not.toBeInTheDocument();
  });

  it("shows an error with a retry when the backend cannot be reached", async () => {
    const backend = new FakeBackend();
    backend.failures.set("status", { code: "unavailable", message: "connection refused", field: null });
    renderWithBackend(<OverviewScreen />, backend);
    expect(await screen.findByRole("alert")).toHaveTextContent("connection refused");
    expect(screen.getByRole("button", { name: "Retry" })).toBeInTheDocument();
  });

  it("updates health and automation live from events", async () => {
    const backend = new FakeBackend({ nodes: [makeNode()] });
    renderWithBackend(<OverviewScreen />, backend);
    const storj = await screen.findByRole("region", { name: "Storj summary" });
    act(() =>
      backend.emit({
        event: "health",
        payload: {
          node: "storj:main",
          health: { state: "degraded", reasons: ["audit score 0.95"], checked_at: null },
        },
      }),
    );
    expect(within(storj).getByText("Degraded")).toBeInTheDocument();
    act(() => backend.emit({ event: "automation", payload: { paused: true, at: "2025-06-01T12:00:00Z" } }));
    expect(screen.getByText("Automation paused")).toBeInTheDocument();
    act(() =>
      backend.emit({
        event: "sample",
        payload: {
          node: "storj:main",
          at: "2025-06-01T12:00:30Z",
          values: [{ metric: "cpu_millicores", value: 250 }],
        },
      }),
    );
    expect(within(storj).getByText("0.25 cores")).toBeInTheDocument();
  });
});
