import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { EarningsHistoryQuery } from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeGolem, makeNode, money } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { findPayouts, pointsByToken } from "../../utils/payouts";
import { EarningsScreen } from "../earnings-screen";

const UNPAID = [
  { at: "2025-05-01T00:00:00Z", amount: money("usd", "10.00") },
  { at: "2025-05-10T00:00:00Z", amount: money("usd", "14.50") },
  { at: "2025-05-11T00:00:00Z", amount: money("usd", "0.25") },
  { at: "2025-05-20T00:00:00Z", amount: money("usd", "3.00") },
];

function history(q: EarningsHistoryQuery) {
  return { node: q.node, kind: q.kind, points: q.kind === "unpaid" && q.node === "storj:main" ? UNPAID : [] };
}

describe("payouts", () => {
  it("are drops of the unpaid balance, computed exactly", () => {
    const payouts = findPayouts(UNPAID);
    expect(payouts).toHaveLength(1);
    expect(payouts[0]?.amount.decimal).toBe("14.25");
    expect(payouts[0]?.at).toBe("2025-05-11T00:00:00Z");
  });

  it("ignore the same observation recorded by several polls", () => {
    const first = UNPAID[0];
    if (!first) throw new Error("fixture");
    expect(pointsByToken([first, first, first]).get("usd")).toHaveLength(1);
  });
});

describe("EarningsScreen", () => {
  it("charts the unpaid history and lists the payout", async () => {
    const backend = new FakeBackend({ nodes: [makeNode(), makeGolem()], earnings: history });
    renderWithBackend(<EarningsScreen />, backend);
    const row = await screen.findByTestId("payout-row");
    expect(within(row).getByText("$14.25")).toBeInTheDocument();
    expect(within(row).getByText("$14.50 → $0.25")).toBeInTheDocument();
    expect(screen.getByRole("figure", { name: "Unpaid balance in USD" })).toBeInTheDocument();
    const q = backend.callsOf("earningsHistory")[0]?.[0] as EarningsHistoryQuery;
    expect(q.node).toBe("storj:main");
    expect(q.kind).toBe("unpaid");
    expect(Date.parse(q.to) - Date.parse(q.from)).toBe(30 * 86_400_000);
  });

  it("totals lifetime per token and switches node and figure", async () => {
    const backend = new FakeBackend({ nodes: [makeNode(), makeGolem()], earnings: history });
    renderWithBackend(<EarningsScreen />, backend);
    await screen.findByTestId("payout-row");
    expect(screen.getAllByText("$250.10").length).toBeGreaterThan(0);
    await userEvent.selectOptions(screen.getByLabelText("Node"), "golem:main");
    expect(await screen.findByText(/No unpaid balance history in this range/)).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Node"), "storj:main");
    await userEvent.selectOptions(screen.getByLabelText("Figure"), "lifetime");
    expect(await screen.findByText(/No lifetime earned history/)).toBeInTheDocument();
  });

  it("adds live earnings figures to the chart and the table", async () => {
    const backend = new FakeBackend({ nodes: [makeNode()], earnings: history });
    renderWithBackend(<EarningsScreen />, backend);
    await screen.findByTestId("payout-row");
    act(() =>
      backend.emit({
        event: "earnings",
        payload: {
          node: "storj:main",
          figures: [{ kind: "unpaid", amount: money("usd", "1.00"), observed_at: "2025-05-21T00:00:00Z" }],
        },
      }),
    );
    expect(screen.getAllByTestId("payout-row")).toHaveLength(2);
    expect(screen.getAllByText("$1.00").length).toBeGreaterThan(0);
  });

  it("shows the empty state without nodes", async () => {
    renderWithBackend(<EarningsScreen />, new FakeBackend({ nodes: [] }));
    expect(await screen.findByText(/No node connected yet/)).toBeInTheDocument();
  });
});
