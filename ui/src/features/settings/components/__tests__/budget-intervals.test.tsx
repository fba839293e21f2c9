import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { SettingsValuesDto } from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import { renderWithBackend } from "../../../../testing/test-utils";
import { SettingsScreen } from "../settings-screen";

async function replace(form: HTMLElement, label: string, text: string) {
  const input = within(form).getByLabelText(label);
  await userEvent.clear(input);
  await userEvent.type(input, text);
  return input;
}

describe("machine budget form", () => {
  it("checks numbers and their ranges before saving", async () => {
    const backend = new FakeBackend();
    renderWithBackend(<SettingsScreen />, backend);
    const form = await screen.findByRole("form", { name: "Machine budget" });
    await replace(form, "Reserved CPU cores", "two");
    await replace(form, "Uplink to hand out (Mbit/s)", "500000");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(
      within(form)
        .getAllByRole("alert")
        .map((a) => a.textContent),
    ).toEqual(["Enter a number of cores from 0 to 4096.", "Enter a whole number from 0 to 400000."]);
    expect(backend.callsOf("updateSettings")).toHaveLength(0);
  });

  it("sends numbers, and shows the server's field message", async () => {
    const backend = new FakeBackend();
    backend.failures.set("updateSettings", {
      code: "bad_request",
      message: "Enter MiB from 0 to 67108864.",
      field: "budget.reserve_memory_mib",
    });
    renderWithBackend(<SettingsScreen />, backend);
    const form = await screen.findByRole("form", { name: "Machine budget" });
    await replace(form, "Reserved CPU cores", "1.5");
    const mem = await replace(form, "Reserved memory (MiB)", "4096");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("Enter MiB from 0 to 67108864.");
    expect(mem).toHaveAttribute("aria-invalid", "true");
    const [[req]] = backend.callsOf("updateSettings") as [[SettingsValuesDto]];
    expect(req.budget.reserve_cpu_cores).toBe(1.5);
    expect(req.budget.reserve_memory_mib).toBe(4096);
  });
});

describe("intervals and currency forms", () => {
  it("refuses a zero timeout and saves a good cycle interval", async () => {
    const backend = new FakeBackend();
    backend.data.saveSettings = (req) => ({
      changed: [`intervals.optimization_interval_secs=${req.intervals.optimization_interval_secs}`],
      applied_live: [],
      needs_restart: ["intervals.optimization_interval_secs"],
    });
    renderWithBackend(<SettingsScreen />, backend);
    const form = await screen.findByRole("form", { name: "Intervals" });
    await replace(form, "Poll timeout (seconds)", "0");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(within(form).getByRole("alert")).toHaveTextContent("Enter a whole number from 1 to 600.");
    await replace(form, "Poll timeout (seconds)", "10");
    await replace(form, "Optimization cycle (seconds)", "600");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByRole("status")).toHaveTextContent(
      "Saved — takes effect after a restart.",
    );
    expect(backend.data.settings.values.intervals.optimization_interval_secs).toBe(600);
  });

  it("asks for a lower-case currency code, then saves it", async () => {
    const backend = new FakeBackend();
    backend.data.saveSettings = () => ({
      changed: ["prices.fiat"],
      applied_live: [],
      needs_restart: ["prices.fiat"],
    });
    renderWithBackend(<SettingsScreen />, backend);
    const form = await screen.findByRole("form", { name: "Currency" });
    await replace(form, "Fiat currency", "EUR");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(within(form).getByRole("alert")).toHaveTextContent("lower-case currency code");
    await replace(form, "Fiat currency", "eur");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByRole("status")).toHaveTextContent("Saved");
    expect(backend.data.settings.values.fiat).toBe("eur");
  });
});
