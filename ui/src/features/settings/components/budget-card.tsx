import type { SettingsDto } from "../../../bindings";
import { Card } from "../../../components/card";
import type { FieldSpec } from "../utils/fields";
import { SettingsForm } from "./settings-form";

const MIB_MAX = 64 * 1024 * 1024;
const GIB_MAX = 1024 * 1024;

const FIELDS: FieldSpec[] = [
  {
    name: "budget.grant_cpu_cores",
    label: "Granted CPU cores",
    kind: "cores",
    hint: "0 = the detected cores minus the reserve.",
  },
  {
    name: "budget.grant_memory_mib",
    label: "Granted memory (MiB)",
    kind: "number",
    max: MIB_MAX,
    hint: "0 = detected memory minus the reserve.",
  },
  {
    name: "budget.grant_disk_gib",
    label: "Granted disk (GiB)",
    kind: "number",
    max: GIB_MAX,
    hint: "0 = free space of every disk minus the reserve.",
  },
  {
    name: "budget.reserve_cpu_cores",
    label: "Reserved CPU cores",
    kind: "cores",
    hint: "Kept back for the desktop.",
  },
  { name: "budget.reserve_memory_mib", label: "Reserved memory (MiB)", kind: "number", max: MIB_MAX },
  {
    name: "budget.reserve_disk_gib",
    label: "Reserved disk per disk (GiB)",
    kind: "number",
    max: GIB_MAX,
  },
  {
    name: "budget.bandwidth_up_mbps",
    label: "Uplink to hand out (Mbit/s)",
    kind: "number",
    max: 400_000,
    hint: "0 = bandwidth is not allocated.",
  },
  { name: "budget.bandwidth_down_mbps", label: "Downlink (Mbit/s)", kind: "number", max: 400_000 },
];

/** What Orcha may divide between the nodes: grants replace detection, reserves are kept back. */
export function BudgetCard({ settings }: { settings: SettingsDto }) {
  return (
    <Card
      title="Machine budget"
      subtitle="What Orcha may hand out: the machine minus the reserves, or exactly what you grant."
    >
      <SettingsForm label="Machine budget" fields={FIELDS} settings={settings} />
    </Card>
  );
}
