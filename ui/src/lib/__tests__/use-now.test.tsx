import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../testing/fake-backend";
import { makeStatus } from "../../testing/fixtures";
import { renderWithBackend } from "../../testing/test-utils";
import { useNow } from "../use-now";

function Now() {
  return <output>{useNow(50)}</output>;
}

const DAY = 86_400_000;

describe("useNow", () => {
  it("is this browser's clock on a real install", async () => {
    const before = Date.now();
    renderWithBackend(<Now />, new FakeBackend({ status: makeStatus({ demo: false }) }));
    const shown = Number((await screen.findByRole("status")).textContent);
    expect(shown).toBeGreaterThanOrEqual(before);
    expect(shown).toBeLessThan(before + 60_000);
  });

  it("follows the server's simulated clock in the demo", async () => {
    // The simulated world is four days behind this browser and runs a day a minute.
    const serverNow = Date.now() - 4 * DAY;
    const backend = new FakeBackend({
      status: makeStatus({ demo: true, now: new Date(serverNow).toISOString(), clock_speed: 1440 }),
    });
    renderWithBackend(<Now />, backend);
    await screen.findByRole("status");
    // Once the status is in, "now" is the server's, not four days later.
    await expect
      .poll(() => Number(screen.getByRole("status").textContent), { timeout: 2000 })
      .toBeLessThan(serverNow + DAY);
    const shown = Number(screen.getByRole("status").textContent);
    expect(shown).toBeGreaterThanOrEqual(serverNow);
  });
});
