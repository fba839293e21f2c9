import { act, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../testing/fake-backend";
import { makeAlert, makeCycle, makeStep } from "../../testing/fixtures";
import { renderWithBackend } from "../../testing/test-utils";
import { applyStep, upsertAlert } from "../live-cache";
import { useStatus } from "../use-status";

function Paused() {
  const status = useStatus();
  return <p>{status.data ? (status.data.paused ? "paused" : "running") : "…"}</p>;
}

describe("live events", () => {
  it("reads everything again after the event stream reconnects", async () => {
    const backend = new FakeBackend();
    renderWithBackend(<Paused />, backend);
    expect(await screen.findByText("running")).toBeInTheDocument();
    const before = backend.callsOf("status").length;
    backend.data.status = { ...backend.data.status, paused: true };
    act(() => backend.setConnection("reconnecting"));
    expect(backend.callsOf("status").length).toBe(before);
    act(() => backend.setConnection("open"));
    expect(await screen.findByText("paused")).toBeInTheDocument();
    expect(backend.callsOf("status").length).toBe(before + 1);
  });

  it("merges cycle steps and alerts", () => {
    const cycle = applyStep(
      makeCycle(),
      makeStep({ step: "collect", status: "failed", detail: "db locked" }),
    );
    expect(cycle.steps.filter((s) => s.step === "collect")).toEqual([
      expect.objectContaining({ status: "failed" }),
    ]);
    expect(applyStep(cycle, makeStep({ cycle: 6 }))).toBe(cycle);
    expect(applyStep(cycle, makeStep({ step: "monitor" })).finished_at).toBe("2025-06-01T11:45:01Z");

    const older = makeAlert({ id: 1, opened_at: "2025-06-01T10:00:00Z" });
    const newer = makeAlert({ id: 2, opened_at: "2025-06-01T11:00:00Z" });
    expect(upsertAlert([older], newer, false).map((a) => a.id)).toEqual([2, 1]);
    const cleared = { ...older, cleared_at: "2025-06-01T12:00:00Z" };
    expect(upsertAlert([newer, older], cleared, false).map((a) => a.id)).toEqual([2]);
    expect(upsertAlert([newer, older], cleared, true).map((a) => a.id)).toEqual([2, 1]);
  });
});
