import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { AuditRowDto } from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import { renderWithBackend } from "../../../../testing/test-utils";
import { AuditCard } from "../audit-card";
import { SettingsScreen } from "../settings-screen";

function row(id: number, over: Partial<AuditRowDto> = {}): AuditRowDto {
  return {
    id: BigInt(id),
    at: "2025-06-01T12:00:00Z",
    actor: "api",
    key: `setting:${id}`,
    old: "a",
    new: "b",
    hash: `h${id}`,
    ...over,
  };
}

describe("audit log in Settings", () => {
  it("lists who changed what, newest first, with the chain's verdict", async () => {
    const backend = new FakeBackend({
      audit: [
        row(3, { actor: "cli", key: "allocation:storj:main", old: '{"cpu":500}', new: '{"cpu":1000}' }),
        row(2, { actor: "desktop", key: "paused", old: "false", new: "true" }),
        row(1, { actor: "orchestrator", key: "apply_journal:7", old: "started", new: "reconciled" }),
      ],
      auditVerdict: { intact: true, rows: 3n, broken_at: null },
    });
    renderWithBackend(<SettingsScreen />, backend);
    expect(await screen.findByTestId("audit-verdict")).toHaveTextContent(
      "Hash chain intact: 3 rows checked.",
    );
    const table = await screen.findByRole("table", { name: "Audit log" });
    const rows = within(table).getAllByTestId("audit-row");
    expect(rows.map((r) => within(r).getAllByRole("cell")[1]?.textContent)).toEqual([
      "Command line",
      "Desktop app",
      "Orchestrator",
    ]);
    expect(rows[0]).toHaveTextContent("allocation:storj:main");
    expect(rows[0]).toHaveTextContent('{"cpu":500}');
    expect(rows[0]).toHaveTextContent('{"cpu":1000}');
    expect(rows[2]).toHaveTextContent("reconciled");
  });

  it("says loudly where the chain is broken", async () => {
    const backend = new FakeBackend({
      audit: [row(2), row(1)],
      auditVerdict: { intact: false, rows: 0n, broken_at: 2n },
    });
    renderWithBackend(<AuditCard />, backend);
    const verdict = await screen.findByTestId("audit-verdict");
    expect(verdict).toHaveAttribute("role", "alert");
    expect(verdict).toHaveTextContent("Hash chain broken at row 2");
  });

  it("pages to older rows and back", async () => {
    const audit = Array.from({ length: 30 }, (_, i) => row(30 - i));
    renderWithBackend(<AuditCard />, new FakeBackend({ audit }));
    const first = await screen.findAllByTestId("audit-row");
    expect(first).toHaveLength(25);
    expect(first[0]).toHaveTextContent("setting:30");
    await userEvent.click(screen.getByRole("button", { name: "Older" }));
    expect(await screen.findByText("setting:5")).toBeInTheDocument();
    expect(screen.getAllByTestId("audit-row")).toHaveLength(5);
    expect(screen.queryByRole("button", { name: "Older" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Newer" }));
    expect(await screen.findByText("setting:30")).toBeInTheDocument();
  });

  it("shows an empty log and a failed verification as such", async () => {
    const backend = new FakeBackend();
    backend.failures.set("auditVerify", { code: "internal", message: "database is locked", field: null });
    renderWithBackend(<AuditCard />, backend);
    expect(await screen.findByText("No changes recorded yet")).toBeInTheDocument();
    expect(await screen.findByText(/database is locked/)).toBeInTheDocument();
  });
});
