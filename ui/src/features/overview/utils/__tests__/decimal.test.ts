import { describe, expect, it } from "vitest";
import { addDecimals, formatFiatValue, isZeroDecimal, multiplyDecimals } from "../decimal";

describe("fiat decimals", () => {
  it("adds and multiplies exactly, without floats", () => {
    expect(addDecimals("0.1", "0.2")).toBe("0.3");
    expect(addDecimals("0.076792454568225", "0.0405017806884032")).toBe("0.1172942352566282");
    expect(multiplyDecimals("0.307169818272900000", "0.25")).toBe("0.076792454568225");
    expect(multiplyDecimals("12", "0.001")).toBe("0.012");
    expect(addDecimals("x", "1")).toBeNull();
  });

  it("formats two decimals, never letting a small amount look like zero", () => {
    expect(formatFiatValue("1042", "usd")).toBe("$1,042.00");
    expect(formatFiatValue("0.1172942352566282", "usd")).toBe("$0.12");
    expect(formatFiatValue("0.004", "usd")).toBe("<$0.01");
    expect(formatFiatValue("0", "usd")).toBe("$0.00");
    expect(formatFiatValue("3.5", "eur")).toBe("€3.50");
    expect(formatFiatValue("3.5", "chf")).toBe("3.50 CHF");
    expect(formatFiatValue("0.001", "usd", 3)).toBe("$0.001");
    expect(isZeroDecimal("0.000000")).toBe(true);
    expect(isZeroDecimal("0.000001")).toBe(false);
  });
});
