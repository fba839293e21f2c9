import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeGolem, makeNode, makeSettings } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { SettingsScreen } from "../settings-screen";

async function golemForm() {
  return screen.findByRole("form", { name: "Yagna app key for golem:main" });
}

describe("SettingsScreen credentials", () => {
  it("refuses empty and whitespace-only values without calling the backend", async () => {
    const backend = new FakeBackend({ nodes: [makeNode(), makeGolem()] });
    renderWithBackend(<SettingsScreen />, backend);
    const form = await golemForm();
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(within(form).getByRole("alert")).toHaveTextContent("Enter a value before saving.");
    await userEvent.type(within(form).getByLabelText("Yagna app key"), "   ");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(within(form).getByRole("alert")).toHaveTextContent("The value cannot be only spaces.");
    expect(within(form).getByLabelText("Yagna app key")).toHaveAttribute("aria-invalid", "true");
    expect(backend.callsOf("setSecret")).toHaveLength(0);
    expect(screen.getByText(/No credential needed/)).toBeInTheDocument();
  });

  it("stores a value, then shows 'Stored' without echoing it, and deletes it", async () => {
    const backend = new FakeBackend({ nodes: [makeGolem()] });
    renderWithBackend(<SettingsScreen />, backend);
    const form = await golemForm();
    expect(await within(form).findByTestId("secret-state")).toHaveTextContent("Not stored");
    const input = within(form).getByLabelText("Yagna app key");
    await userEvent.type(input, "s3cret-app-key");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByTestId("secret-state")).toHaveTextContent("Stored");
    expect(backend.callsOf("setSecret")).toEqual([[{ key: "golem:main/app_key", value: "s3cret-app-key" }]]);
    expect(input).toHaveValue("");
    expect(document.body.textContent).not.toContain("s3cret-app-key");

    await userEvent.click(within(form).getByRole("button", { name: "Delete" }));
    expect(await within(form).findByText("Deleted from the keyring.")).toBeInTheDocument();
    expect(within(form).getByTestId("secret-state")).toHaveTextContent("Not stored");
    expect(backend.callsOf("deleteSecret")).toEqual([["golem:main/app_key"]]);
  });

  it("shows the server's ApiError next to the field", async () => {
    const backend = new FakeBackend({ nodes: [makeGolem()] });
    backend.failures.set("setSecret", {
      code: "bad_request",
      message: "the credential must be at most 4096 printable characters",
      field: "value",
    });
    renderWithBackend(<SettingsScreen />, backend);
    const form = await golemForm();
    await userEvent.type(within(form).getByLabelText("Yagna app key"), "bad value");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent(
      "the credential must be at most 4096 printable characters",
    );
    expect(within(form).getByLabelText("Yagna app key")).toHaveAttribute("aria-invalid", "true");
  });
});

describe("SettingsScreen automation", () => {
  it("pauses, resumes and runs a cycle", async () => {
    const backend = new FakeBackend({ nodes: [] });
    renderWithBackend(<SettingsScreen />, backend);
    expect(await screen.findByTestId("automation-state")).toHaveTextContent("running");
    await userEvent.click(screen.getByRole("button", { name: "Pause automation" }));
    expect(await screen.findByTestId("automation-state")).toHaveTextContent("paused");
    await userEvent.click(screen.getByRole("button", { name: "Resume automation" }));
    expect(await screen.findByText("running")).toBeInTheDocument();
    expect(backend.callsOf("setPaused")).toEqual([[{ paused: true }], [{ paused: false }]]);
    await userEvent.click(screen.getByRole("button", { name: "Run cycle now" }));
    expect(await screen.findByText(/A cycle was started/)).toBeInTheDocument();
    expect(screen.queryByTestId("not-available")).not.toBeInTheDocument();
  });
});

describe("SettingsScreen states", () => {
  it("shows a designed error with retry when the settings cannot be read, then the forms", async () => {
    const backend = new FakeBackend();
    backend.failures.set("settings", {
      code: "unavailable",
      message: "the server is restarting",
      field: null,
    });
    renderWithBackend(<SettingsScreen />, backend);
    expect(await screen.findByText("the server is restarting")).toBeInTheDocument();
    backend.failures.delete("settings");
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("form", { name: "Storj settings" })).toBeInTheDocument();
    expect(screen.getByTestId("settings-file")).toHaveTextContent("/home/op/.config/depin-orcha/config.toml");
  });

  it("says which saved settings wait for a restart, and that the demo saves to a scratch file", async () => {
    const backend = new FakeBackend({
      settings: makeSettings({
        scratch: true,
        file: "/tmp/demo/settings.toml",
        restart_required: ["budget.reserve_cpu_cores", "protocols.storj.nodes.main.endpoint"],
      }),
    });
    renderWithBackend(<SettingsScreen />, backend);
    const notice = await screen.findByTestId("restart-required");
    expect(notice).toHaveTextContent(
      "2 changes saved to the demo's scratch file; a real Orcha would use them after a restart",
    );
    expect(notice).toHaveTextContent("protocols.storj.nodes.main.endpoint");
    expect(screen.getByTestId("settings-file")).toHaveTextContent(/Demo mode: .*scratch file/);
    // Restarting would not make the demo read its scratch file, so it is not offered there.
    expect(within(notice).queryByRole("button", { name: "Restart now" })).toBeNull();
  });

  it("offers the desktop app's restart for saved settings, and a server's hint in a browser", async () => {
    const pending = { restart_required: ["budget.reserve_cpu_cores"] };
    const desktop = new FakeBackend({ settings: makeSettings(pending) });
    desktop.transport = "tauri";
    const { unmount } = renderWithBackend(<SettingsScreen />, desktop);
    const notice = await screen.findByTestId("restart-required");
    await userEvent.click(within(notice).getByRole("button", { name: "Restart now" }));
    expect(desktop.callsOf("restartApp")).toEqual([[]]);
    expect(within(notice).getByRole("button", { name: "Restarting…" })).toBeDisabled();
    unmount();

    const browser = new FakeBackend({ settings: makeSettings(pending) });
    renderWithBackend(<SettingsScreen />, browser);
    const hint = await screen.findByTestId("restart-required");
    expect(hint).toHaveTextContent("Restart the Orcha service to use them.");
    expect(within(hint).queryByRole("button")).toBeNull();
  });
});
