import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeAlert } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { AlertsScreen } from "../alerts-screen";

const CLEARED = makeAlert({
  id: 2,
  severity: "warning",
  message: "storj:main audit score dipped",
  cleared_at: "2025-06-01T11:55:00Z",
});

describe("AlertsScreen", () => {
  it("shows open alerts and acknowledges one", async () => {
    const backend = new FakeBackend({ alerts: [makeAlert(), CLEARED] });
    renderWithBackend(<AlertsScreen />, backend);
    const rows = await screen.findAllByTestId("alert-row");
    expect(rows).toHaveLength(1);
    const row = rows[0] as HTMLElement;
    expect(within(row).getByText("Critical")).toBeInTheDocument();
    await userEvent.click(within(row).getByRole("button", { name: /Acknowledge/ }));
    expect(await within(row).findByText("Acknowledged")).toBeInTheDocument();
    expect(backend.callsOf("acknowledgeAlert")).toEqual([[1]]);
  });

  it("lists cleared alerts on their own tab", async () => {
    renderWithBackend(<AlertsScreen />, new FakeBackend({ alerts: [makeAlert(), CLEARED] }));
    await screen.findAllByTestId("alert-row");
    await userEvent.click(screen.getByRole("tab", { name: "Cleared" }));
    expect(await screen.findByText("storj:main audit score dipped")).toBeInTheDocument();
    expect(screen.getAllByTestId("alert-row")).toHaveLength(1);
  });

  it("adds and clears alerts live", async () => {
    const backend = new FakeBackend({ alerts: [] });
    renderWithBackend(<AlertsScreen />, backend);
    expect(await screen.findByText("No open alerts")).toBeInTheDocument();
    act(() => backend.emit({ event: "alert", payload: makeAlert({ id: 5, message: "disk almost full" }) }));
    expect(screen.getByText("disk almost full")).toBeInTheDocument();
    act(() =>
      backend.emit({
        event: "alert",
        payload: makeAlert({ id: 5, message: "disk almost full", cleared_at: "2025-06-01T12:01:00Z" }),
      }),
    );
    expect(screen.queryByText("disk almost full")).not.toBeInTheDocument();
  });

  it("shows the error state", async () => {
    const backend = new FakeBackend();
    backend.failures.set("alerts", { code: "internal", message: "database is locked", field: null });
    renderWithBackend(<AlertsScreen />, backend);
    expect(await screen.findByRole("alert")).toHaveTextContent("database is locked");
  });
});
