import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type {
  EarningsTotalsDto,
  ForecastPointDto,
  MoneyDto,
  NodeEarningsTotalsDto,
  OverallEarningsDto,
  PriceDto,
} from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import {
  makeEarningsTotals,
  makeGolem,
  makeNode,
  makePrice,
  makePrices,
  money,
  NOW,
} from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { OverviewScreen } from "../overview-screen";

const USD = makePrice("usd", "1", { source: "identity" });
const GLM = makePrice("glm", "0.25");
const POINT = makePrice("points", "0.001", { source: "operator-assumption", assumption: true });

const WINDOWS = ["today", "7d", "30d"] as const;

/** One node's three windows: `amounts[i]` with its fiat value at `price` (null: no price). */
function nodeTotals(
  node: string,
  amounts: Array<MoneyDto | null>,
  price: PriceDto | null,
  fiat: Array<string | null>,
): NodeEarningsTotalsDto {
  return {
    node,
    windows: WINDOWS.map((window, i) => {
      const amount = amounts[i] ?? null;
      return {
        window,
        from: NOW,
        amount,
        fiat: amount ? { fiat: "usd", value: fiat[i] ?? null, price: fiat[i] == null ? null : price } : null,
      };
    }),
  };
}

function overall(
  window: string,
  amounts: MoneyDto[],
  value: string | null,
  unpriced: MoneyDto[] = [],
): OverallEarningsDto {
  return { window, from: NOW, amounts, fiat: { fiat: "usd", value, price: null }, unpriced };
}

function totals(nodes: NodeEarningsTotalsDto[], all: OverallEarningsDto[]): EarningsTotalsDto {
  return makeEarningsTotals({ nodes, overall: all });
}

const grass = makeNode({
  id: "grass:laptop",
  protocol: "grass",
  name: "laptop",
  earnings: [{ kind: "lifetime", amount: money("points", "15230", 0), observed_at: NOW }],
});

function hours(token: string, p10: string, p50: string, p90: string, count = 24): ForecastPointDto[] {
  return Array.from({ length: count }, (_, h) => ({
    hour: new Date(Date.parse(NOW) + h * 3_600_000).toISOString(),
    p10: money(token, p10, 6),
    p50: money(token, p50, 6),
    p90: money(token, p90, 6),
  }));
}

describe("Overview Earned card", () => {
  it("shows today, 7 and 30 days in fiat with every token's exact amount beneath", async () => {
    const backend = new FakeBackend({
      nodes: [makeNode(), makeGolem(), grass],
      prices: makePrices({ prices: [GLM, POINT] }),
      earningsTotals: totals(
        [
          nodeTotals(
            "storj:main",
            [money("usd", "1.20", 2), money("usd", "8.40", 2), money("usd", "36.00", 2)],
            USD,
            ["1.2", "8.4", "36"],
          ),
          nodeTotals("golem:main", [money("glm", "0.4"), money("glm", "3.2"), money("glm", "12")], GLM, [
            "0.1",
            "0.8",
            "3",
          ]),
          nodeTotals(
            "grass:laptop",
            [money("points", "120", 0), money("points", "900", 0), money("points", "3000", 0)],
            POINT,
            ["0.12", "0.9", "3"],
          ),
        ],
        [
          overall("today", [money("usd", "1.20", 2), money("glm", "0.4"), money("points", "120", 0)], "1.42"),
          overall("7d", [money("usd", "8.40", 2), money("glm", "3.2"), money("points", "900", 0)], "10.1"),
          overall("30d", [money("usd", "36.00", 2), money("glm", "12"), money("points", "3000", 0)], "1042"),
        ],
      ),
    });
    renderWithBackend(<OverviewScreen />, backend);

    const card = await screen.findByRole("region", { name: "Earned" });
    const today = await within(card).findByTestId("earned-today");
    expect(within(today).getByText("$1.42")).toHaveAttribute("data-state", "valued");
    expect(within(within(card).getByTestId("earned-7d")).getByText("$10.10")).toBeInTheDocument();
    expect(within(within(card).getByTestId("earned-30d")).getByText("$1,042.00")).toBeInTheDocument();

    // The exact amounts per token, beneath the fiat sums.
    const glm = card.querySelector('tr[data-token="glm"]') as HTMLElement;
    expect(within(glm).getByText("0.4 GLM")).toHaveAttribute("title", "0.4 GLM");
    expect(within(glm).getByText("12 GLM")).toBeInTheDocument();
    expect(within(glm).getByText(/1 GLM = \$0\.25/)).toBeInTheDocument();
    // The Grass point value is the operator's assumption, not a market price.
    const points = card.querySelector('tr[data-token="points"]') as HTMLElement;
    expect(within(points).getByText("120 pts")).toBeInTheDocument();
    expect(within(points).getByText(/1 pt = \$0\.001/)).toBeInTheDocument();
    expect(within(points).getByTestId("price-assumption")).toHaveTextContent("your assumption");
    expect(within(card).queryByTestId("stale-price")).not.toBeInTheDocument();

    // Each protocol card shows its nodes' fiat of today.
    const storj = screen.getByRole("region", { name: "Storj summary" });
    expect(within(storj).getByTestId("protocol-today")).toHaveTextContent("today $1.20");
    const golem = screen.getByRole("region", { name: "Golem summary" });
    expect(within(golem).getByTestId("protocol-today")).toHaveTextContent("today $0.10");
  });

  it("keeps a real zero, no price and not enough readings apart", async () => {
    const backend = new FakeBackend({
      nodes: [makeNode(), makeGolem()],
      prices: makePrices({ prices: [makePrice("glm", null)] }),
      earningsTotals: totals(
        [
          nodeTotals("storj:main", [null, money("usd", "0", 2), null], USD, [null, "0", null]),
          nodeTotals("golem:main", [null, null, money("glm", "2.5")], null, [null, null, null]),
        ],
        [
          overall("today", [], null),
          overall("7d", [money("usd", "0", 2)], "0"),
          overall("30d", [money("glm", "2.5")], null, [money("glm", "2.5")]),
        ],
      ),
    });
    renderWithBackend(<OverviewScreen />, backend);

    const card = await screen.findByRole("region", { name: "Earned" });
    const today = await within(card).findByTestId("earned-today");
    expect(within(today).getByText("not enough readings yet")).toHaveAttribute("data-state", "no-readings");
    const zero = within(within(card).getByTestId("earned-7d")).getByText("$0.00");
    expect(zero).toHaveAttribute("data-state", "zero");
    expect(zero).toHaveClass("money-zero");
    const noPrice = within(within(card).getByTestId("earned-30d")).getByText("no price");
    expect(noPrice).toHaveAttribute("data-state", "no-price");
    // The unpriced token is still shown, exactly, in its own unit.
    const glm = card.querySelector('tr[data-token="glm"]') as HTMLElement;
    expect(within(glm).getByText("no price — shown in GLM")).toBeInTheDocument();
    expect(within(glm).getByText("2.5 GLM")).toBeInTheDocument();

    // Per protocol: no price for Golem, a zero for Storj would be "$0.00" (today has no readings).
    const golem = screen.getByRole("region", { name: "Golem summary" });
    expect(within(golem).getByTestId("protocol-today")).toHaveTextContent("no readings yet");
  });

  it("names tokens left out of a partly priced sum", async () => {
    const backend = new FakeBackend({
      nodes: [makeNode(), makeGolem()],
      earningsTotals: totals(
        [],
        WINDOWS.map((w) =>
          overall(w, [money("usd", "2.00", 2), money("glm", "1")], "2", [money("glm", "1")]),
        ),
      ),
    });
    renderWithBackend(<OverviewScreen />, backend);
    const today = await screen.findByTestId("earned-today");
    expect(within(today).getByText("$2.00")).toHaveAttribute("data-state", "valued");
    expect(within(today).getByText("without GLM (no price)")).toBeInTheDocument();
  });

  it("marks a total computed with a stale price", async () => {
    const stale = makePrice("glm", "0.25", { state: "stale", observed_at: "2025-06-01T09:00:00Z" });
    const backend = new FakeBackend({
      nodes: [makeGolem()],
      prices: makePrices({ prices: [stale], last_error: "coingecko answered 429" }),
      earningsTotals: totals(
        [
          nodeTotals("golem:main", [money("glm", "4"), money("glm", "4"), money("glm", "4")], stale, [
            "1",
            "1",
            "1",
          ]),
        ],
        WINDOWS.map((w) => overall(w, [money("glm", "4")], "1")),
      ),
    });
    renderWithBackend(<OverviewScreen />, backend);
    const today = await screen.findByTestId("earned-today");
    expect(within(today).getByText("$1.00")).toBeInTheDocument();
    expect(within(today).getByTestId("stale-price")).toHaveAttribute(
      "title",
      expect.stringContaining("GLM has not been refreshed"),
    );
    const card = screen.getByRole("region", { name: "Earned" });
    expect(within(card).getAllByTestId("stale-price")).toHaveLength(4); // three windows and the GLM row
    expect(await within(card).findByText(/Price feed: coingecko answered 429/)).toBeInTheDocument();
    const golem = screen.getByRole("region", { name: "Golem summary" });
    expect(within(golem).getByTestId("stale-price")).toBeInTheDocument();
  });

  it("refreshes the totals when earnings arrive", async () => {
    const backend = new FakeBackend({
      nodes: [makeNode()],
      earningsTotals: totals(
        [],
        WINDOWS.map((w) => overall(w, [money("usd", "1.00", 2)], "1")),
      ),
    });
    renderWithBackend(<OverviewScreen />, backend);
    const today = await screen.findByTestId("earned-today");
    expect(within(today).getByText("$1.00")).toBeInTheDocument();
    backend.data.earningsTotals = totals(
      [],
      WINDOWS.map((w) => overall(w, [money("usd", "1.50", 2)], "1.5")),
    );
    const before = backend.callsOf("earningsTotals").length;
    act(() =>
      backend.emit({
        event: "earnings",
        payload: {
          node: "storj:main",
          figures: [
            { kind: "lifetime", amount: money("usd", "250.60"), observed_at: "2025-06-01T12:01:00Z" },
          ],
        },
      }),
    );
    await waitFor(() => expect(backend.callsOf("earningsTotals").length).toBeGreaterThan(before));
    expect(await within(screen.getByTestId("earned-today")).findByText("$1.50")).toBeInTheDocument();
  });
});

describe("Overview forecast card", () => {
  it("shows each node's next 24 h (p50 and the p10–p90 range), in fiat when priced", async () => {
    const backend = new FakeBackend({
      nodes: [makeNode(), makeGolem(), grass],
      prices: makePrices({ prices: [GLM, makePrice("points", null)] }),
      forecast: (q) => ({
        node: q.node,
        made_at: NOW,
        model: "ets",
        model_version: null,
        estimate: true,
        points:
          q.node === "storj:main"
            ? hours("usd", "0.1", "0.5", "0.9")
            : q.node === "golem:main"
              ? hours("glm", "0", "0.25", "1")
              : hours("points", "1", "2", "3"),
        note: "",
      }),
    });
    renderWithBackend(<OverviewScreen />, backend);
    const card = await screen.findByRole("region", { name: "Earnings forecast" });
    const row = (node: string) => card.querySelector(`tr[data-node="${node}"]`) as HTMLElement;

    await within(row("storj:main")).findByTestId("forecast-p50");
    expect(within(row("storj:main")).getByTestId("forecast-p50")).toHaveTextContent("$12.00");
    expect(within(row("storj:main")).getByText("$2.40")).toBeInTheDocument();
    expect(within(row("storj:main")).getByText("$21.60")).toBeInTheDocument();
    expect(within(row("storj:main")).getByText("$12.00", { selector: "[data-state]" })).toHaveAttribute(
      "data-state",
      "valued",
    );

    // 24 × 0.25 GLM = 6 GLM, at $0.25 = $1.50.
    expect(within(row("golem:main")).getByTestId("forecast-p50")).toHaveTextContent("6 GLM");
    expect(within(row("golem:main")).getByText("$1.50")).toHaveAttribute("data-state", "valued");
    // Points without a value: the forecast in points, and no price rather than zero.
    expect(within(row("grass:laptop")).getByTestId("forecast-p50")).toHaveTextContent("48 pts");
    expect(within(row("grass:laptop")).getByText("no price")).toHaveAttribute("data-state", "no-price");
    expect(backend.callsOf("forecast")).toContainEqual([{ node: "golem:main", hours: 24 }]);
  });

  it("says so when a node has no forecast yet, whether empty or not found", async () => {
    const backend = new FakeBackend({ nodes: [makeNode(), makeGolem()] });
    renderWithBackend(<OverviewScreen />, backend);
    const card = await screen.findByRole("region", { name: "Earnings forecast" });
    const none = await within(card).findAllByTestId("no-forecast");
    expect(none).toHaveLength(2);
    expect(none[0]).toHaveTextContent("no forecast yet (the ML engine needs more history)");
    expect(within(card).queryByTestId("forecast-p50")).not.toBeInTheDocument();
  });

  it("treats a not-found answer as no forecast, and other failures as unavailable", async () => {
    const backend = new FakeBackend({ nodes: [makeNode()] });
    backend.failures.set("forecast", {
      code: "not_found",
      message: "no forecast for storj:main",
      field: null,
    });
    const { unmount } = renderWithBackend(<OverviewScreen />, backend);
    const card = await screen.findByRole("region", { name: "Earnings forecast" });
    expect(await within(card).findByTestId("no-forecast")).toBeInTheDocument();
    unmount();

    backend.failures.set("forecast", { code: "unavailable", message: "database is locked", field: null });
    renderWithBackend(<OverviewScreen />, backend);
    const again = await screen.findByRole("region", { name: "Earnings forecast" });
    expect(await within(again).findByText("forecast unavailable")).toBeInTheDocument();
    expect(within(again).getByText("database is locked")).toBeInTheDocument();
  });
});
