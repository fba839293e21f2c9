import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { SeriesQuery } from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeGolem, makeNode } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { NodesScreen } from "../nodes-screen";

function series(q: SeriesQuery) {
  const points =
    q.metric === "mem_bytes"
      ? [
          { ts: "2025-06-01T11:00:00Z", value: 1e9, min: 1e9, max: 1e9 },
          { ts: "2025-06-01T11:30:00Z", value: 2e9, min: 2e9, max: 2e9 },
        ]
      : [];
  return { node: q.node, metric: q.metric, resolution: "minute", points };
}

describe("NodesScreen", () => {
  it("shows health reasons, the failed poll and the last known values of an unreachable node", async () => {
    renderWithBackend(
      <NodesScreen selectedId="golem:main" />,
      new FakeBackend({ nodes: [makeNode(), makeGolem()], series }),
    );
    expect(await screen.findByText("connection refused", { selector: "li" })).toBeInTheDocument();
    const poll = screen.getByTestId("last-poll");
    expect(poll).toHaveTextContent("Failed");
    expect(poll).toHaveTextContent("3 failures in a row");
    expect(screen.getByText("4 cores").closest("[data-state]")).toHaveAttribute("data-state", "unreachable");
    expect(screen.getByText("This node reports no adjustable resources.")).toBeInTheDocument();
  });

  it("shows capabilities and charts from /series, with 'not measured' for empty series", async () => {
    const backend = new FakeBackend({ nodes: [makeNode()], series });
    renderWithBackend(<NodesScreen selectedId={null} />, backend);
    expect(await screen.findByText("storage.allocated-disk-space")).toBeInTheDocument();
    expect(screen.getByText("restart · 30s down")).toBeInTheDocument();
    expect(screen.getByText("never below used space")).toBeInTheDocument();
    const mem = screen.getByTestId("chart-mem_bytes");
    expect(await within(mem).findByRole("figure")).toBeInTheDocument();
    expect(within(mem).getByText("2 GB")).toBeInTheDocument();
    expect(
      await within(screen.getByTestId("chart-bandwidth_down_bps")).findByText("Not measured in this range"),
    ).toBeInTheDocument();
    const metrics = new Set(backend.callsOf("series").map((a) => (a[0] as SeriesQuery).metric));
    expect(metrics.size).toBe(6);

    await userEvent.click(screen.getByRole("button", { name: "7 d" }));
    const last = backend.callsOf("series").at(-1)?.[0] as SeriesQuery;
    expect(Date.parse(last.to) - Date.parse(last.from)).toBe(7 * 24 * 3_600_000);
  });

  it("updates the values and charts from live samples", async () => {
    const backend = new FakeBackend({ nodes: [makeNode()], series });
    renderWithBackend(<NodesScreen selectedId={null} />, backend);
    const mem = await screen.findByTestId("chart-mem_bytes");
    await within(mem).findByText("2 GB");
    act(() =>
      backend.emit({
        event: "sample",
        payload: {
          node: "storj:main",
          at: new Date().toISOString(),
          values: [{ metric: "mem_bytes", value: 3e9 }],
        },
      }),
    );
    expect(within(mem).getByText("3 GB")).toBeInTheDocument();
    expect(screen.getAllByText("3 GB").length).toBeGreaterThanOrEqual(2);
  });

  it("shows measured use against the allocation and the machine, with its source", async () => {
    const node = makeNode({
      measured: {
        at: "2025-06-01T11:59:00Z",
        target: "process storagenode",
        running: true,
        pids: [4242],
        resources: [
          {
            metric: "measured.cpu_millicores",
            resource: "cpu",
            value: 500,
            source: "process",
            allocated: "2000",
            machine_max: "8000",
          },
          {
            metric: "measured.mem_bytes",
            resource: "memory",
            value: 1_000_000_000,
            source: "cgroup",
            allocated: null,
            machine_max: "16000000000",
          },
        ],
        problems: ["process storagenode: cannot read /proc/4242/io: permission denied"],
      },
    });
    renderWithBackend(<NodesScreen selectedId={null} />, new FakeBackend({ nodes: [node], series }));
    const box = await screen.findByTestId("measured-usage");
    expect(within(box).getByText("process storagenode")).toBeInTheDocument();
    expect(within(box).getByText("running")).toBeInTheDocument();
    const cpu = within(box).getByText("CPU").closest("tr") as HTMLElement;
    expect(cpu).toHaveTextContent("0.5 cores");
    expect(cpu).toHaveTextContent("2 cores");
    expect(cpu).toHaveTextContent("25 % of allocation");
    const mem = within(box).getByText("Memory").closest("tr") as HTMLElement;
    expect(mem).toHaveTextContent("6 % of machine");
    expect(mem).toHaveTextContent("cgroup");
    expect(within(box).getByText(/permission denied/)).toBeInTheDocument();
  });

  it("shows the empty and unknown-node states", async () => {
    const { unmount } = renderWithBackend(<NodesScreen selectedId={null} />, new FakeBackend({ nodes: [] }));
    expect(await screen.findByText(/No node connected yet/)).toBeInTheDocument();
    unmount();
    renderWithBackend(<NodesScreen selectedId="grass:x" />, new FakeBackend({ nodes: [makeNode()] }));
    expect(await screen.findByText("No node called “grass:x”")).toBeInTheDocument();
  });
});
