import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { EarningsHistoryQuery, ForecastDto, ForecastPointDto } from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeNode, money } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { formatMoney } from "../../../../utils/money";
import { cumulativeBand, forecastTotals } from "../../utils/forecast";
import { EarningsScreen } from "../earnings-screen";

const LIFETIME = [
  { at: "2025-05-30T00:00:00Z", amount: money("usd", "248.00") },
  { at: "2025-06-01T11:00:00Z", amount: money("usd", "250.10") },
];

function hour(h: number, p10: string, p50: string, p90: string): ForecastPointDto {
  const at = new Date(Date.parse("2025-06-01T11:00:00Z") + h * 3_600_000).toISOString();
  return { hour: at, p10: money("usd", p10, 6), p50: money("usd", p50, 6), p90: money("usd", p90, 6) };
}

const POINTS = [
  hour(0, "0.05", "0.10", "0.20"),
  hour(1, "0.05", "0.10", "0.20"),
  hour(2, "0.000001", "0.1", "0.3"),
];

function forecast(over: Partial<ForecastDto> = {}): ForecastDto {
  return {
    node: "storj:main",
    made_at: "2025-06-01T11:05:00Z",
    model: "ets",
    model_version: null,
    estimate: true,
    points: POINTS,
    note: "",
    ...over,
  };
}

function history(q: EarningsHistoryQuery) {
  return { node: q.node, kind: q.kind, points: q.kind === "lifetime" || q.kind === "unpaid" ? LIFETIME : [] };
}

async function showLifetime(backend: FakeBackend) {
  renderWithBackend(<EarningsScreen />, backend);
  await screen.findByLabelText("Figure");
  await userEvent.selectOptions(screen.getByLabelText("Figure"), "lifetime");
}

describe("forecast band", () => {
  it("adds the hours up exactly after the last reading", () => {
    const last = LIFETIME[1];
    if (!last) throw new Error("fixture");
    const band = cumulativeBand(last, POINTS, formatMoney);
    expect(band).toHaveLength(4);
    expect(band[0]).toMatchObject({ t: Date.parse(last.at), p10: 250.1, p50: 250.1, p90: 250.1 });
    expect(band[3]).toMatchObject({ p10: 250.200001, p50: 250.4, p90: 250.8 });
    expect(band[3]?.t).toBe(Date.parse("2025-06-01T14:00:00Z"));
    expect(forecastTotals(POINTS)?.p50.decimal).toBe("0.3");
    // A forecast in another token is never drawn on this figure.
    expect(
      cumulativeBand(last, [{ ...hour(0, "1", "1", "1"), p50: money("glm", "1") }], formatMoney),
    ).toEqual([]);
  });
});

describe("Earnings forecast", () => {
  it("draws the band after the lifetime history and sums the next hours", async () => {
    const backend = new FakeBackend({ nodes: [makeNode()], earnings: history, forecast: () => forecast() });
    await showLifetime(backend);
    expect(
      await screen.findByRole("figure", { name: "Lifetime earned in USD, with forecast" }),
    ).toBeInTheDocument();
    const summary = await screen.findByTestId("forecast-summary");
    expect(summary).toHaveTextContent("Next 3 h: about +$0.30 (p50), between +$0.10 and +$0.70");
    expect(summary).toHaveTextContent("estimate");
    expect(summary).toHaveTextContent("Model ets");
    expect(screen.getByRole("figure", { name: "Forecast earnings per hour" })).toBeInTheDocument();
    expect(backend.callsOf("forecast")[0]).toEqual([{ node: "storj:main", hours: 24 }]);
  });

  it("says why there is no forecast, and draws the history alone", async () => {
    const backend = new FakeBackend({ nodes: [makeNode()], earnings: history });
    await showLifetime(backend);
    expect(await screen.findByTestId("forecast-note")).toHaveTextContent("24 h of earnings history");
    expect(screen.getByRole("figure", { name: "Lifetime earned in USD" })).toBeInTheDocument();
  });

  it("keeps the history when the forecast cannot be read", async () => {
    const backend = new FakeBackend({ nodes: [makeNode()], earnings: history });
    backend.failures.set("forecast", { code: "unavailable", message: "the ML engine is down", field: null });
    await showLifetime(backend);
    expect(await screen.findByTestId("forecast-note")).toHaveTextContent("the ML engine is down");
    expect(screen.getByRole("figure", { name: "Lifetime earned in USD" })).toBeInTheDocument();
  });

  it("does not draw a forecast on the unpaid balance", async () => {
    const backend = new FakeBackend({ nodes: [makeNode()], earnings: history, forecast: () => forecast() });
    renderWithBackend(<EarningsScreen />, backend);
    expect(await screen.findByText(/forecast is drawn on the lifetime figure/)).toBeInTheDocument();
    // The forecast card (#17) still shows the node's rate forecast on its own.
    expect(await screen.findByTestId("forecast-card")).toBeInTheDocument();
    expect(screen.queryByRole("figure", { name: /with forecast/ })).not.toBeInTheDocument();
  });
});
