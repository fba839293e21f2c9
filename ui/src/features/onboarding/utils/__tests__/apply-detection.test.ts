import { describe, expect, it } from "vitest";
import type { DetectedNodeDto } from "../../../../bindings";
import { makeSettings } from "../../../../testing/fixtures";
import { applyDetection } from "../apply-detection";

function found(over: Partial<DetectedNodeDto>): DetectedNodeDto {
  return {
    id: "streamr:streamr",
    protocol: "streamr",
    name: "streamr",
    endpoint: "http://127.0.0.1:7172",
    target: null,
    process: null,
    unit: null,
    container: null,
    storage_path: null,
    config_yaml: null,
    evidence: [],
    already_configured: false,
    credential_hint: null,
    ...over,
  };
}

describe("applyDetection", () => {
  it("switches on a disabled protocol with the detected endpoint and leaves the rest to the file", () => {
    const values = makeSettings().values;
    const second = found({ id: "streamr:streamr-2", name: "streamr-2", endpoint: "http://127.0.0.1:7173" });
    const golem = found({ id: "golem:golem", protocol: "golem", endpoint: "http://127.0.0.1:7466" });
    const out = applyDetection(values, [found({}), second, golem]);
    const streamr = out.values.protocols.find((p) => p.protocol === "streamr");
    expect(streamr?.enabled).toBe(true);
    expect(streamr?.nodes[0]).toEqual({
      id: "streamr:main",
      name: "main",
      endpoint: "http://127.0.0.1:7172",
    });
    expect(out.taken).toEqual(["streamr:streamr"]);
    // Golem already has its node; a second Streamr node cannot be added through the settings.
    expect(out.left.sort()).toEqual(["golem:golem", "streamr:streamr-2"]);
    expect(out.values.protocols.find((p) => p.protocol === "golem")).toEqual(
      values.protocols.find((p) => p.protocol === "golem"),
    );
  });
});
