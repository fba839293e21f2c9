import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makePrice, makePrices } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { PricesCard } from "../prices-card";

describe("PricesCard", () => {
  it("lists each price with its source, keeps 'no price' apart and marks stale and assumed values", async () => {
    const backend = new FakeBackend({
      prices: makePrices({
        last_error: "CoinGecko answered 429 (rate limited)",
        prices: [
          makePrice("glm", "0.25"),
          makePrice("data", "0.02", { state: "stale" }),
          makePrice("points", "0.001", { source: "operator-assumption", assumption: true }),
          makePrice("storj", null),
        ],
      }),
    });
    renderWithBackend(<PricesCard />, backend);
    const table = await screen.findByTestId("prices");
    const row = (name: string) => within(table).getByText(name).closest("tr") as HTMLElement;
    expect(row("GLM")).toHaveTextContent("0.25 USD");
    expect(row("GLM")).toHaveTextContent("coingecko");
    expect(row("DATA")).toHaveTextContent("stale");
    expect(row("1 Grass point")).toHaveTextContent("your assumption");
    expect(row("STORJ")).toHaveTextContent("no price");
    expect(row("STORJ")).not.toHaveTextContent("0 USD");
    expect(screen.getByRole("alert")).toHaveTextContent("429");
  });

  it("shows the error state when prices cannot be read", async () => {
    const backend = new FakeBackend();
    backend.failures.set("prices", { code: "internal", message: "database is locked", field: null });
    renderWithBackend(<PricesCard />, backend);
    expect(await screen.findByText(/database is locked/)).toBeInTheDocument();
  });
});
