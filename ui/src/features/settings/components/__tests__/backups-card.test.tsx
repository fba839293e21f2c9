import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../../../testing/fake-backend";
import { renderWithBackend } from "../../../../testing/test-utils";
import { BackupsCard } from "../backups-card";
import { SettingsScreen } from "../settings-screen";

describe("backups in Settings", () => {
  it("lists the backups with the schedule and makes one now", async () => {
    const backend = new FakeBackend({
      backups: {
        dir: "/var/lib/orcha/backups",
        interval_hours: 24n,
        retention: 7,
        passphrase_stored: true,
        backups: [
          { name: "orcha-20250601T000000Z.backup", bytes: 2_500_000n, modified_at: "2025-06-01T00:00:00Z" },
        ],
      },
    });
    backend.data.secrets.set("backup:passphrase", true);
    renderWithBackend(<BackupsCard />, backend);
    expect(await screen.findByTestId("backup-schedule")).toHaveTextContent(
      "Every 24 hours, keeping the newest 7.",
    );
    expect(screen.getByTestId("backup-schedule")).toHaveTextContent("/var/lib/orcha/backups");
    const rows = within(screen.getByRole("table", { name: "Backups" })).getAllByTestId("backup-row");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent("orcha-20250601T000000Z.backup");
    expect(rows[0]).toHaveTextContent("2.5 MB");

    await userEvent.click(screen.getByRole("button", { name: "Back up now" }));
    expect(await screen.findByText(/Backup written/)).toHaveTextContent("orcha-20250601T120000Z.backup");
    expect(backend.callsOf("runBackup")).toHaveLength(1);
    expect(await screen.findAllByTestId("backup-row")).toHaveLength(2);
  });

  it("asks for the passphrase first, then allows a backup", async () => {
    const backend = new FakeBackend();
    renderWithBackend(<BackupsCard />, backend);
    expect(await screen.findByText("No backups yet")).toBeInTheDocument();
    expect(screen.getByTestId("backup-schedule")).toHaveTextContent("No scheduled backups");
    const button = screen.getByRole("button", { name: "Back up now" });
    expect(button).toBeDisabled();
    expect(screen.getByText(/Store a backup passphrase first/)).toBeInTheDocument();

    const form = await screen.findByRole("form", { name: "Backup passphrase" });
    await userEvent.type(within(form).getByLabelText("Backup passphrase"), "correct horse");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(backend.callsOf("setSecret")).toEqual([[{ key: "backup:passphrase", value: "correct horse" }]]);
    expect(await within(form).findByText(/Stored in the OS keyring/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Back up now" })).toBeEnabled();
  });

  it("shows why a backup failed", async () => {
    const backend = new FakeBackend();
    backend.data.secrets.set("backup:passphrase", true);
    backend.failures.set("runBackup", {
      code: "internal",
      message: "/var/lib/orcha/backups: No space left on device",
      field: null,
    });
    renderWithBackend(<BackupsCard />, backend);
    await userEvent.click(await screen.findByRole("button", { name: "Back up now" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("No space left on device");
  });
});

describe("backup schedule in Settings", () => {
  it("checks the range, then saves the interval and retention to the config file", async () => {
    const backend = new FakeBackend();
    renderWithBackend(<SettingsScreen />, backend);
    const form = await screen.findByRole("form", { name: "Backup schedule" });
    const every = within(form).getByLabelText("Back up every (hours)");
    await userEvent.clear(every);
    await userEvent.type(every, "9000");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(within(form).getByRole("alert")).toHaveTextContent("from 0 to 8784");
    expect(backend.callsOf("updateSettings")).toHaveLength(0);

    await userEvent.clear(every);
    await userEvent.type(every, "24");
    const keep = within(form).getByLabelText("Keep the newest");
    await userEvent.clear(keep);
    await userEvent.type(keep, "14");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    const saved = backend.callsOf("updateSettings") as Array<[{ backup: unknown }]>;
    expect(saved).toHaveLength(1);
    expect(saved[0]?.[0].backup).toEqual({ interval_hours: 24, retention: 14 });
  });
});
