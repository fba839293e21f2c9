import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { FleetDto, MachineDto } from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import { renderWithBackend } from "../../../../testing/test-utils";
import { FleetScreen } from "../fleet-screen";

function machine(over: Partial<MachineDto>): MachineDto {
  return {
    machine: "box1",
    instance: "127.0.0.1:7700",
    version: "0.2.0",
    state: "up",
    last_scrape: new Date(Date.now() - 5_000).toISOString(),
    nodes: [
      {
        node: "storj:main",
        protocol: "storj",
        health: "healthy",
        earnings: [{ window: "today", fiat: "usd", value: 0.5 }],
        allocation: [{ resource: "disk", amount: 2e12 }],
      },
    ],
    earnings: [
      { window: "today", fiat: "usd", value: 0.5 },
      { window: "7d", fiat: "usd", value: 3.25 },
      { window: "30d", fiat: "usd", value: 14 },
    ],
    allocation: [{ resource: "disk", amount: 2e12 }],
    alerts_open: 1,
    dashboard_url: "http://box1.lan:7700/",
    ...over,
  };
}

const FLEET: FleetDto = {
  at: new Date().toISOString(),
  prometheus_url: "http://127.0.0.1:9090",
  machines: [
    machine({}),
    machine({
      machine: "nas",
      instance: "127.0.0.1:7701",
      state: "down",
      nodes: [],
      earnings: [{ window: "30d", fiat: "usd", value: 2 }],
      allocation: [],
      alerts_open: null,
      dashboard_url: null,
    }),
  ],
  totals: {
    machines: 2,
    machines_up: 1,
    nodes: 1,
    nodes_healthy: 1,
    earnings: [
      { window: "today", fiat: "usd", value: 0.5 },
      { window: "7d", fiat: "usd", value: 3.25 },
      { window: "30d", fiat: "usd", value: 16 },
    ],
    allocation: [{ resource: "disk", amount: 2e12 }],
    alerts_open: 1,
  },
};

describe("FleetScreen", () => {
  it("lists every machine with its state, nodes and earnings, totals on top", async () => {
    renderWithBackend(<FleetScreen />, new FakeBackend({ fleet: FLEET }));
    const rows = await screen.findAllByTestId("machine-row");
    expect(rows).toHaveLength(2);
    expect(screen.getByTestId("machines-up")).toHaveTextContent("1 / 2");
    expect(screen.getByTestId("fleet-earned-30d")).toHaveTextContent("16.00 USD");
    expect(screen.getByTestId("fleet-earned-7d")).toHaveTextContent("3.25 USD");

    const up = rows[0] as HTMLElement;
    expect(up).toHaveAttribute("data-state", "up");
    expect(within(up).getByRole("link", { name: "box1" })).toHaveAttribute("href", "http://box1.lan:7700/");
    expect(within(up).getByText("storj:main")).toBeInTheDocument();
    expect(within(up).getByText("Healthy")).toBeInTheDocument();
    expect(within(up).getByText(/scraped/)).toBeInTheDocument();
    expect(within(up).getByText("Disk 2 TB")).toBeInTheDocument();

    const down = rows[1] as HTMLElement;
    expect(within(down).getByText("Down")).toBeInTheDocument();
    expect(within(down).getByText("no nodes reported")).toBeInTheDocument();
    // Windows the machine did not report are a dash, never 0.
    expect(within(down).getAllByText("—").length).toBeGreaterThanOrEqual(2);
    expect(within(down).queryByRole("link")).not.toBeInTheDocument();
  });

  it("explains how to turn the fleet view on when it is off", async () => {
    renderWithBackend(<FleetScreen />, new FakeBackend());
    expect(await screen.findByText("The fleet view is off")).toBeInTheDocument();
    expect(screen.getByText("[fleet] prometheus_url")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("says when Prometheus cannot be reached", async () => {
    const backend = new FakeBackend({ fleet: FLEET });
    backend.failures.set("fleet", {
      code: "unavailable",
      message: "Prometheus at http://127.0.0.1:9090 is unreachable: connection refused",
      field: null,
    });
    renderWithBackend(<FleetScreen />, backend);
    expect(await screen.findByRole("alert")).toHaveTextContent("unreachable");
  });
});
