import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { FakeBackend } from "../../../../testing/fake-backend";
import { money } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { ExportCard } from "../export-card";
import { PayoutsCard } from "../payouts-card";

describe("PayoutsCard", () => {
  it("lists each payout with its reference and reports what a fresh read added and could not read", async () => {
    const backend = new FakeBackend({
      payouts: [
        {
          node: "storj:main",
          protocol: "storj",
          kind: "payout",
          amount: money("usd", "12.528337", 6),
          at: "2021-08-01T00:00:00Z",
          reference: "zksync:0xabc",
          detail: "paystub `distributed` of period 2021-07",
          detected_at: "2026-01-01T00:00:00Z",
        },
      ],
      payoutScan: {
        added: [],
        periods_added: 3,
        gaps: [{ node: "golem:main", reason: "connection refused" }],
      },
    });
    renderWithBackend(<PayoutsCard />, backend);
    const table = await screen.findByTestId("payouts");
    const row = within(table).getByText("zksync:0xabc").closest("tr") as HTMLElement;
    expect(row).toHaveTextContent("Paid out");
    expect(row).toHaveTextContent("$12.53");
    await userEvent.click(screen.getByRole("button", { name: "Read node records" }));
    expect(await screen.findByRole("status")).toHaveTextContent(
      "0 new entries, 3 past periods of earnings. golem:main: connection refused.",
    );
    expect(backend.callsOf("scanPayouts")).toHaveLength(1);
  });
});

describe("ExportCard", () => {
  it("asks the backend for the chosen range and format and hands the file to the browser", async () => {
    const backend = new FakeBackend();
    const createObjectURL = vi.fn(() => "blob:x");
    const revokeObjectURL = vi.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    renderWithBackend(<ExportCard />, backend);
    const from = screen.getByLabelText("From");
    await userEvent.clear(from);
    await userEvent.type(from, "2026-03-01");
    const to = screen.getByLabelText("To");
    await userEvent.clear(to);
    await userEvent.type(to, "2026-03-31");
    await userEvent.selectOptions(screen.getByLabelText("Format"), "koinly");
    await userEvent.click(screen.getByRole("button", { name: "Export" }));
    expect(await screen.findByRole("status")).toHaveTextContent(
      "orcha-earnings-2026-03-01-2026-03-31.csv: 0 rows.",
    );
    expect(backend.callsOf("exportEarnings")).toEqual([
      [{ from: "2026-03-01", to: "2026-03-31", format: "koinly" }],
    ]);
    expect(click).toHaveBeenCalledOnce();
    expect(createObjectURL).toHaveBeenCalledOnce();
    click.mockRestore();
  });
});

describe("PayoutsCard progress", () => {
  it("shows a bar while the money records are read and hides it when the scan ends", async () => {
    const backend = new FakeBackend();
    renderWithBackend(<PayoutsCard />, backend);
    await screen.findByText("No payout recorded yet.");
    const progress = (done: number, finished: boolean) =>
      backend.emit({
        event: "money-scan",
        payload: { node: finished ? null : "storj:main", done, total: 2, added: 4, gap: null, finished },
      });
    act(() => progress(1, false));
    expect(await screen.findByTestId("money-scan")).toHaveTextContent("1 of 2 nodes, 4 new.");
    act(() => progress(2, true));
    await waitFor(() => expect(screen.queryByTestId("money-scan")).toBeNull());
  });
});
