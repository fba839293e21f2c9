import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeAlertChannel } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { SettingsScreen } from "../settings-screen";

async function alertsForm() {
  return screen.findByRole("form", { name: "Alert channel settings" });
}

async function replace(form: HTMLElement, label: string, text: string) {
  const input = within(form).getByLabelText(label);
  await userEvent.clear(input);
  if (text !== "") await userEvent.type(input, text);
  return input;
}

describe("alert channel form", () => {
  it("checks the SMTP port range and the required sender and recipients", async () => {
    const backend = new FakeBackend();
    renderWithBackend(<SettingsScreen />, backend);
    const form = await alertsForm();
    await replace(form, "SMTP port", "70000");
    await replace(form, "SMTP server", "smtp.example.com");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(
      within(form)
        .getAllByRole("alert")
        .map((a) => a.textContent),
    ).toEqual([
      "Enter a whole number from 1 to 65535.",
      "Required when an SMTP server is set.",
      "Required when an SMTP server is set.",
    ]);
    expect(backend.callsOf("updateSettings")).toHaveLength(0);
  });

  it("asks for the Telegram bot token next to the token field before a chat id is saved", async () => {
    const backend = new FakeBackend();
    renderWithBackend(<SettingsScreen />, backend);
    const form = await alertsForm();
    const token = await screen.findByRole("form", { name: "Telegram bot token" });
    expect(await within(token).findByTestId("secret-state")).toHaveTextContent("Not stored");
    await replace(form, "Telegram chat id", "-1001234567890");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(within(token).getByRole("alert")).toHaveTextContent(
      "Store the Telegram bot token before setting a chat id.",
    );
    expect(backend.callsOf("updateSettings")).toHaveLength(0);

    await userEvent.type(within(token).getByLabelText("Telegram bot token"), "123:abc");
    await userEvent.click(within(token).getByRole("button", { name: "Save" }));
    expect(await within(token).findByText(/Stored in the OS keyring/)).toBeInTheDocument();
    expect(backend.callsOf("setAlertSecret")).toEqual([[{ key: "alerts:telegram/token", value: "123:abc" }]]);
    expect(within(token).queryByRole("alert")).not.toBeInTheDocument();
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(backend.callsOf("updateSettings")).toHaveLength(1);
  });

  it("shows the server's error about a credential at that credential's field", async () => {
    const backend = new FakeBackend();
    backend.data.secrets.set("alerts:discord/url", true);
    backend.failures.set("updateSettings", {
      code: "bad_request",
      message: "Store the Discord webhook URL before switching Discord on.",
      field: "alerts:discord/url",
    });
    renderWithBackend(<SettingsScreen />, backend);
    const form = await alertsForm();
    const discord = await screen.findByRole("form", { name: "Discord webhook URL" });
    expect(await within(discord).findByTestId("secret-state")).toHaveTextContent("Stored");
    await userEvent.click(within(form).getByLabelText("Discord"));
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(discord).findByRole("alert")).toHaveTextContent("Store the Discord webhook URL");
    expect(within(form).queryByRole("alert")).not.toBeInTheDocument();
  });

  it("sends a test alert and shows each channel's result, or why nothing was sent", async () => {
    const backend = new FakeBackend({
      alertChannels: [
        makeAlertChannel({ channel: "ntfy", configured: true }),
        makeAlertChannel({
          channel: "telegram",
          configured: true,
          last_error: "the receiver answered HTTP 401: Unauthorized",
          last_error_at: "2025-06-01T11:00:00Z",
        }),
        makeAlertChannel({ channel: "email" }),
      ],
    });
    renderWithBackend(<SettingsScreen />, backend);
    expect(await screen.findByTestId("channel-ntfy")).toHaveTextContent("Nothing sent yet");
    expect(screen.getByTestId("channel-telegram")).toHaveTextContent("HTTP 401: Unauthorized");
    expect(screen.getByTestId("channel-email")).toHaveTextContent("Off");
    await userEvent.click(screen.getByRole("button", { name: "Send test alert" }));
    expect(await within(screen.getByTestId("channel-ntfy")).findByText(/^Sent /)).toBeInTheDocument();
    expect(screen.getByText(/Test alert sent to every configured channel/)).toBeInTheDocument();

    backend.failures.set("sendTestAlert", {
      code: "bad_request",
      message: "no alert channel is configured (see the [alerts] settings)",
      field: null,
    });
    await userEvent.click(screen.getByRole("button", { name: "Send test alert" }));
    expect(
      await screen.findByText("no alert channel is configured (see the [alerts] settings)"),
    ).toBeInTheDocument();
  });
});
