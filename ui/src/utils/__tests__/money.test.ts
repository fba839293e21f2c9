import { describe, expect, it } from "vitest";
import { money } from "../../testing/fixtures";
import { formatMoney, roundDecimal, subtractMoney, sumByToken } from "../money";

describe("money", () => {
  it("sums base units exactly within a token, never across tokens", () => {
    const totals = sumByToken([money("glm", "0.1"), money("glm", "0.2"), money("usd", "1.05")]);
    expect(totals.map((m) => [m.token, m.decimal])).toEqual([
      ["glm", "0.3"],
      ["usd", "1.05"],
    ]);
    expect(totals[0]?.base_units).toBe("300000000000000000");
  });

  it("sums amounts of one token reported with different decimals", () => {
    const [total] = sumByToken([money("storj", "1.5", 8), money("storj", "0.25", 6)]);
    expect(total?.decimal).toBe("1.75");
    expect(total?.decimals).toBe(8);
  });

  it("subtracts for payouts and refuses mixed tokens", () => {
    expect(subtractMoney(money("usd", "12.34"), money("usd", "2.00"))?.decimal).toBe("10.34");
    expect(subtractMoney(money("usd", "1"), money("glm", "1"))).toBeNull();
  });

  it("rounds decimal strings half up without floats", () => {
    expect(roundDecimal("1.23456789", 4)).toBe("1.2346");
    expect(roundDecimal("0.99999", 2)).toBe("1");
    expect(roundDecimal("123456789012345678901.5", 0)).toBe("123456789012345678902");
  });

  it("formats per token: dollars, tokens, and points that are not money", () => {
    expect(formatMoney(money("usd", "1234.5"))).toBe("$1,234.50");
    expect(formatMoney(money("glm", "12.345678"))).toBe("12.3457 GLM");
    expect(formatMoney(money("points", "1250", 0))).toBe("1,250 pts");
  });
});
