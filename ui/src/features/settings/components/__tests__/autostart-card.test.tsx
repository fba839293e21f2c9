import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../../../testing/fake-backend";
import { renderWithBackend } from "../../../../testing/test-utils";
import { AutostartCard } from "../autostart-card";

function desktop(): FakeBackend {
  const b = new FakeBackend();
  b.transport = "tauri";
  return b;
}

describe("AutostartCard", () => {
  it("is off until the operator turns it on, and back off", async () => {
    const backend = desktop();
    renderWithBackend(<AutostartCard />, backend);
    const box = await screen.findByRole("switch", { name: /minimised to the tray/ });
    expect(box).not.toBeChecked();
    await userEvent.click(box);
    expect(await screen.findByRole("switch", { checked: true })).toBeInTheDocument();
    expect(backend.autostart).toBe(true);
    await userEvent.click(screen.getByRole("switch"));
    expect(await screen.findByRole("switch", { checked: false })).toBeInTheDocument();
    expect(backend.callsOf("setAutostart")).toEqual([[true], [false]]);
  });

  it("shows why a change failed and keeps the old state", async () => {
    const backend = desktop();
    backend.failures.set("setAutostart", {
      code: "internal",
      message: "cannot change the session autostart entry: permission denied",
      field: null,
    });
    renderWithBackend(<AutostartCard />, backend);
    await userEvent.click(await screen.findByRole("switch"));
    expect(await screen.findByRole("alert")).toHaveTextContent("permission denied");
    expect(screen.getByRole("switch")).not.toBeChecked();
  });

  it("is not offered by a server in a browser", () => {
    const backend = new FakeBackend();
    const { container } = renderWithBackend(<AutostartCard />, backend);
    expect(container).toBeEmptyDOMElement();
    expect(backend.callsOf("autostartEnabled")).toEqual([]);
  });
});
