import { fireEvent, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../testing/fake-backend";
import { renderWithBackend } from "../../testing/test-utils";
import { DemoSwitch } from "../demo-switch";
import { NoNodesState } from "../state-views";

describe("DemoSwitch", () => {
  it("restarts the desktop app into the demo from the empty state", async () => {
    const backend = new FakeBackend();
    backend.transport = "tauri";
    renderWithBackend(<NoNodesState />, backend);
    fireEvent.click(screen.getByRole("button", { name: "Try the demo" }));
    expect(await screen.findByRole("button", { name: "Restarting…" })).toBeDisabled();
    expect(backend.callsOf("switchDemo")).toEqual([[true]]);
  });

  it("leaves the demo, and shows why when the app cannot", async () => {
    const backend = new FakeBackend();
    backend.transport = "tauri";
    backend.failures.set("switchDemo", {
      code: "conflict",
      message: "the app was started with --demo (or ORCHA_DEMO=1); start it without that to leave the demo",
      field: null,
    });
    renderWithBackend(<DemoSwitch to="nodes" />, backend);
    fireEvent.click(screen.getByRole("button", { name: "Leave the demo" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("started with --demo");
    expect(backend.callsOf("switchDemo")).toEqual([[false]]);
    expect(screen.getByRole("button", { name: "Leave the demo" })).toBeEnabled();
  });

  it("in a browser names the command instead of offering a button", () => {
    const backend = new FakeBackend();
    renderWithBackend(<NoNodesState />, backend);
    expect(screen.queryByRole("button", { name: "Try the demo" })).toBeNull();
    expect(screen.getByText("orcha serve --demo")).toBeInTheDocument();
    expect(backend.callsOf("switchDemo")).toEqual([]);
  });
});
