import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { DetectedNodeDto, SettingsValuesDto } from "../../../../bindings";
import { FakeBackend } from "../../../../testing/fake-backend";
import { makeSettings, makeStatus } from "../../../../testing/fixtures";
import { renderWithBackend } from "../../../../testing/test-utils";
import { FirstRunGate } from "../first-run-gate";

function found(over: Partial<DetectedNodeDto>): DetectedNodeDto {
  return {
    id: "streamr:streamr",
    protocol: "streamr",
    name: "streamr",
    endpoint: "http://127.0.0.1:7171",
    target: "process streamr-node",
    process: null,
    unit: null,
    container: null,
    storage_path: null,
    config_yaml: null,
    evidence: ["port 7171 on 127.0.0.1 answers (pid 812)"],
    already_configured: false,
    credential_hint: null,
    ...over,
  };
}

describe("first run", () => {
  it("offers the nodes found on this machine and saves the chosen ones through the settings", async () => {
    const backend = new FakeBackend({
      nodes: [],
      detection: {
        nodes: [
          found({}),
          found({
            id: "grass:grass",
            protocol: "grass",
            name: "grass",
            endpoint: "https://api.getgrass.io",
            target: "process grass",
            evidence: ["process 901: /usr/bin/grass"],
            credential_hint: "Grass needs your dashboard session token",
          }),
        ],
        notes: ["docker: no Docker Engine at /var/run/docker.sock"],
        config_toml: '[protocols.streamr]\nenabled = true\nname = "streamr"\n',
      },
      saveSettings: () => ({ changed: ["protocols.streamr.enabled"], applied_live: [], needs_restart: [] }),
    });
    renderWithBackend(
      <FirstRunGate>
        <p>overview</p>
      </FirstRunGate>,
      backend,
    );
    expect(await screen.findByTestId("onboarding")).toBeInTheDocument();
    const streamr = await screen.findByTestId("found-streamr:streamr");
    expect(within(streamr).getByText("port 7171 on 127.0.0.1 answers (pid 812)")).toBeInTheDocument();
    expect(screen.getByText(/Grass needs your dashboard session token/)).toBeInTheDocument();
    expect(screen.getByText(/no Docker Engine/)).toBeInTheDocument();
    // Nothing is saved before the operator says so.
    expect(backend.callsOf("updateSettings")).toHaveLength(0);
    // Leave Grass out.
    await userEvent.click(within(screen.getByTestId("found-grass:grass")).getByRole("checkbox"));
    await userEvent.click(screen.getByRole("button", { name: "Add 1 node" }));
    expect(await screen.findByText(/Added streamr:streamr to your settings/)).toBeInTheDocument();
    const saved = backend.callsOf("updateSettings")[0]?.[0] as SettingsValuesDto;
    const streamrSettings = saved.protocols.find((p) => p.protocol === "streamr");
    expect(streamrSettings?.enabled).toBe(true);
    expect(streamrSettings?.nodes[0]?.endpoint).toBe("http://127.0.0.1:7171");
    expect(saved.protocols.find((p) => p.protocol === "grass")?.enabled).toBe(false);
    expect(screen.getByRole("status")).toHaveTextContent(
      "Restart the server (orcha serve) to start polling them.",
    );
  });

  it("shows the screen behind it once nodes exist, and never in the demo", async () => {
    const withNodes = new FakeBackend({ settings: makeSettings() });
    withNodes.data.nodes = [(await import("../../../../testing/fixtures")).makeNode()];
    const { unmount } = renderWithBackend(
      <FirstRunGate>
        <p>overview</p>
      </FirstRunGate>,
      withNodes,
    );
    expect(await screen.findByText("overview")).toBeInTheDocument();
    unmount();
    renderWithBackend(
      <FirstRunGate>
        <p>overview</p>
      </FirstRunGate>,
      new FakeBackend({ nodes: [], status: makeStatus({ demo: true }) }),
    );
    expect(await screen.findByText("overview")).toBeInTheDocument();
    expect(screen.queryByTestId("onboarding")).toBeNull();
  });
});
