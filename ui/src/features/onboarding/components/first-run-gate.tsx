import type { ReactNode } from "react";
import { useNodes } from "../../../api/use-nodes";
import { useStatus } from "../../../api/use-status";
import { DemoSwitch } from "../../../components/demo-switch";
import { PageHeader } from "../../../components/page-header";
import { NodeFinder } from "./node-finder";

/** The first-run screen: what Orcha found on this machine, and the demo for a look around first. */
export function OnboardingScreen() {
  return (
    <div className="screen" data-testid="onboarding">
      <PageHeader
        title="Welcome to Orcha"
        description="No node is configured yet. These are the nodes running on this machine; add the ones Orcha should watch."
      />
      <NodeFinder />
      <DemoSwitch to="demo" />
    </div>
  );
}

/** Shows the first-run screen instead of `children` while no node is configured (not in the demo). */
export function FirstRunGate({ children }: { children: ReactNode }) {
  const nodes = useNodes();
  const status = useStatus();
  if (nodes.data && nodes.data.length === 0 && status.data && !status.data.demo) return <OnboardingScreen />;
  return <>{children}</>;
}
