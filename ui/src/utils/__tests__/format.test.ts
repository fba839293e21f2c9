import { describe, expect, it } from "vitest";
import {
  formatBps,
  formatBytes,
  formatCores,
  formatCountdown,
  formatMetric,
  formatRelative,
} from "../format";

describe("format", () => {
  it("shows bytes in GB, millicores in cores and bits per second in Mbps", () => {
    expect(formatBytes(2_147_483_648)).toBe("2.15 GB");
    expect(formatBytes(1_200_000_000_000)).toBe("1.2 TB");
    expect(formatCores(1500)).toBe("1.5 cores");
    expect(formatCores(1000)).toBe("1 core");
    expect(formatBps(25_500_000)).toBe("25.5 Mbps");
    expect(formatMetric("bandwidth_down_bps", 0)).toBe("0 Mbps");
  });

  it("counts down and describes past times", () => {
    expect(formatCountdown(250_000)).toBe("4:10");
    expect(formatCountdown(3_723_000)).toBe("1:02:03");
    expect(formatCountdown(-5)).toBe("now");
    const now = Date.parse("2025-06-01T12:00:00Z");
    expect(formatRelative("2025-06-01T11:55:00Z", now)).toBe("5 min ago");
    expect(formatRelative("2025-06-01T14:00:00Z", now)).toBe("in 2 h");
  });
});
