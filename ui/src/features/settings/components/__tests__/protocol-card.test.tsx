import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { SettingsValuesDto } from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeSettings } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { SettingsScreen } from "../settings-screen";

async function storjForm() {
  return screen.findByRole("form", { name: "Storj settings" });
}

async function typeInto(form: HTMLElement, label: string, text: string) {
  const input = within(form).getByLabelText(label);
  await userEvent.clear(input);
  if (text !== "") await userEvent.type(input, text);
  return input;
}

describe("node settings form", () => {
  it("refuses a bad URL and an out-of-range port next to the field, without calling the server", async () => {
    const backend = new FakeBackend();
    renderWithBackend(<SettingsScreen />, backend);
    const form = await storjForm();
    const main = await typeInto(form, "API endpoint (main)", "localhost:14002");
    const disk2 = await typeInto(form, "API endpoint (disk2)", "http://127.0.0.1:99999");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    const alerts = within(form).getAllByRole("alert");
    expect(alerts.map((a) => a.textContent)).toEqual([
      "The URL must start with http:// or https://.",
      "The port must be a number from 1 to 65535.",
    ]);
    expect(main).toHaveAttribute("aria-invalid", "true");
    expect(main).toHaveAccessibleDescription(/must start with http/);
    expect(disk2).toHaveAttribute("aria-invalid", "true");
    expect(main).toHaveFocus();
    expect(backend.callsOf("updateSettings")).toHaveLength(0);

    // Editing the field clears its message.
    await typeInto(form, "API endpoint (main)", "http://127.0.0.1:14002");
    expect(within(form).getAllByRole("alert")).toHaveLength(1);
  });

  it("shows the server's ApiError next to the field it names", async () => {
    const backend = new FakeBackend();
    backend.failures.set("updateSettings", {
      code: "bad_request",
      message: "This URL carries a credential; credentials are never written to the config file.",
      field: "protocols.storj.nodes.disk2.endpoint",
    });
    renderWithBackend(<SettingsScreen />, backend);
    const form = await storjForm();
    const disk2 = await typeInto(form, "API endpoint (disk2)", "http://10.0.0.9:14003/");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("This URL carries a credential");
    expect(disk2).toHaveAttribute("aria-invalid", "true");
    expect(backend.callsOf("updateSettings")).toHaveLength(1);
  });

  it("saves only this form's change and says honestly that it needs a restart", async () => {
    const backend = new FakeBackend();
    backend.data.saveSettings = () => ({
      changed: ["protocols.storj.auto_apply", "protocols.storj.nodes.disk2.endpoint"],
      applied_live: ["protocols.storj.auto_apply"],
      needs_restart: ["protocols.storj.nodes.disk2.endpoint"],
    });
    renderWithBackend(<SettingsScreen />, backend);
    const form = await storjForm();
    expect(within(form).getByRole("button", { name: "Save" })).toBeDisabled();
    await typeInto(form, "API endpoint (disk2)", "  http://192.168.1.20:14003  ");
    await userEvent.click(within(form).getByLabelText("Auto-apply allocations"));
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));

    expect(await within(form).findByRole("status")).toHaveTextContent(
      "Saved — takes effect after a restart. Auto-apply is in effect now.",
    );
    const [[req]] = backend.callsOf("updateSettings") as [[SettingsValuesDto]];
    const storj = req.protocols.find((p) => p.protocol === "storj");
    expect(storj?.auto_apply).toBe(true);
    expect(storj?.nodes[1]?.endpoint).toBe("http://192.168.1.20:14003");
    expect(req.budget).toEqual(makeSettings().values.budget);
    const banner = await screen.findByTestId("restart-required");
    expect(banner).toHaveTextContent("1 change saved; it takes effect after a restart of Orcha");
    expect(banner).toHaveTextContent("protocols.storj.nodes.disk2.endpoint");
    expect(within(form).getByLabelText("API endpoint (disk2)")).toHaveValue("http://192.168.1.20:14003");
  });

  it("keeps Grass at one poll per 300 seconds once it is switched on", async () => {
    const backend = new FakeBackend();
    renderWithBackend(<SettingsScreen />, backend);
    const form = await screen.findByRole("form", { name: "Grass settings" });
    await userEvent.click(within(form).getByLabelText("Enabled"));
    await typeInto(form, "Poll interval (seconds)", "60");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(within(form).getByRole("alert")).toHaveTextContent("at most every 300 seconds");
    expect(backend.callsOf("updateSettings")).toHaveLength(0);
  });
});
