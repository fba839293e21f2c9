import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ForecastDto, ForecastPointDto } from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeNode, money } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { EarningsScreen } from "../earnings-screen";
import { comparedToNaive, ForecastCard, formatMase, modelName } from "../forecast-card";

function hour(h: number, p10: string, p50: string, p90: string): ForecastPointDto {
  const at = new Date(Date.parse("2025-06-01T12:00:00Z") + h * 3_600_000).toISOString();
  return { hour: at, p10: money("usd", p10, 6), p50: money("usd", p50, 6), p90: money("usd", p90, 6) };
}

const POINTS = [
  hour(0, "0.05", "0.10", "0.20"),
  hour(1, "0.04", "0.15", "0.25"),
  hour(2, "0", "0.05", "0.3"),
];

function forecast(over: Partial<ForecastDto> = {}): ForecastDto {
  return {
    node: "storj:main",
    made_at: "2025-06-01T11:05:00Z",
    model: "ensemble_mean",
    model_version: "0.1.0",
    estimate: true,
    points: POINTS,
    note: "",
    series_kind: "rate",
    backtest_mase: 0.52,
    seasonal_naive_mase: 0.8,
    interval_coverage: 0.7917,
    backtest_origins: 7,
    ...over,
  };
}

function show(answer?: () => ForecastDto) {
  const backend = new FakeBackend({ nodes: [makeNode()], ...(answer ? { forecast: answer } : {}) });
  renderWithBackend(<ForecastCard node={makeNode()} />, backend);
  return backend;
}

describe("ForecastCard", () => {
  it("draws the band and names the model, its backtest score against seasonal naive and the coverage", async () => {
    const backend = show(() => forecast());
    const card = await screen.findByTestId("forecast-card");
    expect(within(card).getByRole("figure", { name: "Forecast band, next hours" })).toBeInTheDocument();
    // 0.10 + 0.15 + 0.05 = 0.30 at p50; 0.05 + 0.04 + 0 = 0.09 at p10; 0.2 + 0.25 + 0.3 = 0.75 at p90.
    expect(screen.getByTestId("forecast-card-total")).toHaveTextContent(
      "Next 3 h: about +$0.30, between +$0.09 and +$0.75.",
    );
    expect(screen.getByTestId("forecast-model")).toHaveTextContent(
      "mean of the models weighted hour by hour by backtest error",
    );
    expect(screen.getByTestId("forecast-model")).toHaveTextContent("ensemble_mean · 0.1.0 · hourly earnings");
    // 0.52 / 0.8 = 0.65: 35 % less error than the best seasonal naive.
    const mase = screen.getByTestId("forecast-mase");
    expect(mase).toHaveTextContent("0.52");
    expect(mase).toHaveTextContent(
      "seasonal naive 0.80 · 35 % less error than seasonal naive · 7 daily origins",
    );
    expect(screen.getByTestId("forecast-coverage")).toHaveTextContent("79 %");
    expect(screen.getByText("estimate")).toBeInTheDocument();
    expect(backend.callsOf("forecast")[0]).toEqual([{ node: "storj:main", hours: 24 }]);
  });

  it("says what is not known for a run stored before the engine reported scores", async () => {
    show(() =>
      forecast({
        model: "seasonal_naive_24",
        series_kind: undefined,
        backtest_mase: undefined,
        seasonal_naive_mase: undefined,
        interval_coverage: undefined,
        backtest_origins: undefined,
      }),
    );
    expect(await screen.findByTestId("forecast-model")).toHaveTextContent("same hour yesterday");
    expect(screen.getByTestId("forecast-mase")).toHaveTextContent("not scored");
    expect(screen.getByTestId("forecast-coverage")).toHaveTextContent("not measured");
    expect(screen.queryByTestId("forecast-engine-note")).not.toBeInTheDocument();
  });

  it("says why in the engine's words when it answered with a short-history baseline", async () => {
    const why = "baseline: only 36 h of history (< 72 h), so the other models are refused";
    show(() =>
      forecast({
        model: "seasonal_naive_24",
        backtest_mase: undefined,
        seasonal_naive_mase: undefined,
        interval_coverage: undefined,
        backtest_origins: undefined,
        engine_note: why,
      }),
    );
    expect(await screen.findByTestId("forecast-engine-note")).toHaveTextContent(`The engine says: ${why}`);
    expect(screen.getByTestId("forecast-mase")).toHaveTextContent("not scored");
  });

  it("counts one backtest origin in the singular (a demo's first days)", async () => {
    show(() => forecast({ backtest_origins: 1 }));
    const mase = await screen.findByTestId("forecast-mase");
    expect(mase).toHaveTextContent("· 1 daily origin");
    expect(mase).not.toHaveTextContent("origins");
  });

  it("shows the engine's note when there is no forecast", async () => {
    show();
    expect(await screen.findByTestId("forecast-card-note")).toHaveTextContent(
      "no forecast yet: the ML engine forecasts a node once it has 24 h of earnings history",
    );
    expect(screen.queryByTestId("forecast-card")).not.toBeInTheDocument();
  });

  it("says the forecast is unavailable when it cannot be read", async () => {
    const backend = new FakeBackend({ nodes: [makeNode()] });
    backend.failures.set("forecast", { code: "unavailable", message: "the ML engine is down", field: null });
    renderWithBackend(<ForecastCard node={makeNode()} />, backend);
    const note = await screen.findByTestId("forecast-card-note");
    expect(note).toHaveTextContent("forecast unavailable");
    expect(note).toHaveTextContent("the ML engine is down");
  });

  it("is on the Earnings screen for the selected node", async () => {
    const backend = new FakeBackend({ nodes: [makeNode()], forecast: () => forecast() });
    renderWithBackend(<EarningsScreen />, backend);
    expect(await screen.findByTestId("forecast-card")).toBeInTheDocument();
    expect(screen.getByTestId("forecast-coverage")).toHaveTextContent("79 %");
  });
});

describe("forecast card wording", () => {
  it("compares the backtest score with seasonal naive in words", () => {
    expect(comparedToNaive(0.52, 0.8)).toBe("35 % less error than seasonal naive");
    expect(comparedToNaive(1.1, 1.0)).toBe("10 % more error than seasonal naive");
    expect(comparedToNaive(0.8, 0.8)).toBe("as good as seasonal naive");
    expect(comparedToNaive(undefined, 0.8)).toBeNull();
    expect(comparedToNaive(0.5, 0)).toBeNull();
    expect(modelName("mstl")).toBe("daily + weekly decomposition (MSTL)");
    expect(modelName("seasonal_median")).toBe("median of each hour over recent days");
    expect(modelName("something_new")).toBe("something_new");
    expect(formatMase(0.5213)).toBe("0.52");
    expect(formatMase(1.25)).toBe("1.25");
    expect(formatMase(0.003475)).toBe("0.0035");
    expect(formatMase(0.0999)).toBe("0.10");
    expect(formatMase(0)).toBe("0.00");
  });
});
