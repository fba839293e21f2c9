import { describe, expect, it } from "vitest";
import { makeSettings } from "../../../../testing/fixtures";
import { checkUrl, toInputs, withInputs } from "../fields";

describe("checkUrl", () => {
  it("says what is wrong with a URL as the server does", () => {
    expect(checkUrl("http://127.0.0.1:14002", true)).toBeNull();
    expect(checkUrl("https://[::1]:7465/api", true)).toBeNull();
    expect(checkUrl("", false)).toBeNull();
    expect(checkUrl("", true)).toMatch(/Enter a URL/);
    expect(checkUrl("not a url", true)).toMatch(/spaces/);
    expect(checkUrl("localhost:7465", true)).toMatch(/http:\/\//);
    expect(checkUrl("ftp://x", true)).toMatch(/http:\/\//);
    expect(checkUrl("http://x:0", true)).toMatch(/65535/);
    expect(checkUrl("http://x:65536", true)).toMatch(/65535/);
    expect(checkUrl("http://", true)).toMatch(/Not a valid URL|no host/);
    expect(checkUrl("http://u:p@x", true)).toMatch(/credential/);
    expect(checkUrl("https://x/h?token=1", true)).toMatch(/credential/);
  });
});

describe("inputs", () => {
  it("round-trips every field by its server name, parsing numbers and trimming text", () => {
    const values = makeSettings().values;
    const inputs = toInputs(values);
    expect(inputs["protocols.storj.nodes.disk2.endpoint"]).toBe("http://127.0.0.1:14003");
    expect(inputs["budget.reserve_cpu_cores"]).toBe("1");
    expect(inputs["protocols.streamr.rpc_url"]).toBe("");
    expect(withInputs(values, inputs)).toEqual(values);
    const edited = withInputs(values, {
      "budget.reserve_cpu_cores": "2.5",
      "alerts.smtp_port": " 465 ",
      "protocols.streamr.rpc_url": " https://polygon-rpc.com ",
      "protocols.golem.auto_apply": true,
    });
    expect(edited.budget.reserve_cpu_cores).toBe(2.5);
    expect(edited.alerts.smtp_port).toBe(465);
    expect(edited.protocols[2]?.urls[1]?.value).toBe("https://polygon-rpc.com");
    expect(edited.protocols[1]?.auto_apply).toBe(true);
    expect(values.budget.reserve_cpu_cores).toBe(1);
  });
});
