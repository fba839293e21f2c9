import "@testing-library/jest-dom/vitest";
import { notifyManager } from "@tanstack/react-query";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// Recharts' ResponsiveContainer measures its parent; jsdom has no layout, so give it a size.
class FakeResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= FakeResizeObserver as unknown as typeof ResizeObserver;

// Query notifications are batched on a timer by default; inside act() they must land at once.
notifyManager.setScheduler((callback) => callback());

afterEach(() => {
  cleanup();
  window.location.hash = "";
});
