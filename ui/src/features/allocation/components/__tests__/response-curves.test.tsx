import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeResponseCurves } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { formatPerHour } from "../../utils/marginal";
import { AllocationScreen } from "../allocation-screen";

describe("response curves on the Allocation screen", () => {
  it("shows what one more unit earns with its range, and which beliefs are demand-limited or probing", async () => {
    const backend = new FakeBackend({ responseCurves: makeResponseCurves() });
    renderWithBackend(<AllocationScreen />, backend);
    const rows = await screen.findAllByTestId("curve-row");
    expect(rows).toHaveLength(3);
    const cpu = rows[0] as HTMLElement;
    expect(cpu).toHaveTextContent("4 cores");
    expect(within(cpu).getByText("$0.00333")).toBeInTheDocument();
    expect(cpu).toHaveTextContent("p10–p90 $0.00250 – $0.00410");
    expect(within(cpu).getByText("fitted")).toBeInTheDocument();
    // Demand-limited: known to earn nothing more, not "unknown".
    expect(within(rows[1] as HTMLElement).getByTestId("earns-nothing-more")).toHaveTextContent(
      "nothing more now",
    );
    expect(
      within(rows[1] as HTMLElement).getByText("demand-limited: may give down to its use"),
    ).toBeInTheDocument();
    expect(within(rows[1] as HTMLElement).getByTestId("demand-limited")).toHaveTextContent("uses 2.5 GiB");
    expect(within(rows[2] as HTMLElement).getByText("probing")).toBeInTheDocument();
    expect(screen.getByText(/storj:main: no resource has a fitted response yet/)).toBeInTheDocument();
    expect(backend.callsOf("responseCurves")).toHaveLength(1);
  });

  it("never rounds a fraction of a cent to zero", () => {
    expect(formatPerHour("0.00000412", "USD")).toBe("$0.00000412");
    expect(formatPerHour("0.00000000", "USD")).toBe("$0");
    expect(formatPerHour("0.0412", "EUR")).toBe("0.0412 EUR");
    // The config's fiat is lower case ("usd"); the screen shows it the usual way.
    expect(formatPerHour("0.00917", "usd")).toBe("$0.00917");
    expect(formatPerHour("0.0412", "eur")).toBe("0.0412 EUR");
    expect(formatPerHour("nope", "USD")).toBe("—");
  });
});
