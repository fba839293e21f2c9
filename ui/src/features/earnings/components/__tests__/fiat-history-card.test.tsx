import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { FiatHistoryDto } from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import { renderWithBackend } from "../../../../testing/test-utils";
import { chartRows, FiatHistoryCard } from "../fiat-history-card";

const HISTORY: FiatHistoryDto = {
  fiat: "usd",
  bucket: "day",
  buckets: [
    {
      start: "2026-03-01T00:00:00Z",
      protocols: [
        { protocol: "golem", fiat: "0.50", unpriced_days: 0, assumption: false },
        { protocol: "grass", fiat: "0.10", unpriced_days: 0, assumption: true },
      ],
    },
    {
      start: "2026-03-09T00:00:00Z",
      protocols: [{ protocol: "golem", fiat: "0.00", unpriced_days: 1, assumption: false }],
    },
  ],
};

describe("FiatHistoryCard", () => {
  it("stacks each protocol per bucket and says which days had no price and what is an assumption", async () => {
    const backend = new FakeBackend({ fiatHistory: (q) => ({ ...HISTORY, bucket: q.bucket }) });
    renderWithBackend(<FiatHistoryCard />, backend);
    expect(await screen.findByTestId("unpriced")).toHaveTextContent("1 day of earnings had no price");
    expect(screen.getByTestId("assumption")).toHaveTextContent("your own stated value per point");
    await userEvent.selectOptions(screen.getByLabelText("Per"), "month");
    const buckets = backend.callsOf("fiatHistory").map((c) => (c[0] as { bucket: string }).bucket);
    expect(buckets).toEqual(["day", "month"]);
  });

  it("turns each bucket into one chart row keyed by protocol", () => {
    expect(chartRows(HISTORY)).toEqual([
      { start: "2026-03-01", golem: 0.5, grass: 0.1 },
      { start: "2026-03-09", golem: 0 },
    ]);
  });
});
