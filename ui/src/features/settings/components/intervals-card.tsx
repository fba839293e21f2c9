import type { SettingsDto } from "../../../bindings";
import { Card } from "../../../components/card";
import type { FieldSpec } from "../utils/fields";
import { SettingsForm } from "./settings-form";

const INTERVALS: FieldSpec[] = [
  {
    name: "intervals.optimization_interval_secs",
    label: "Optimization cycle (seconds)",
    kind: "number",
    min: 10,
    max: 7 * 86_400,
    hint: "Collect → predict → optimize → evaluate → apply → monitor.",
  },
  {
    name: "intervals.poll_interval_secs",
    label: "Default poll interval (seconds)",
    kind: "number",
    min: 1,
    max: 86_400,
    hint: "Each protocol may poll at its own interval.",
  },
  {
    name: "intervals.poll_timeout_secs",
    label: "Poll timeout (seconds)",
    kind: "number",
    min: 1,
    max: 600,
    hint: "A slower answer counts as a timeout.",
  },
];

const CURRENCY: FieldSpec[] = [
  {
    name: "prices.fiat",
    label: "Fiat currency",
    kind: "currency",
    placeholder: "usd",
    hint: "A lower-case code such as usd, eur or chf; prices and fiat figures use it.",
  },
];

export function IntervalsCard({ settings }: { settings: SettingsDto }) {
  return (
    <Card title="Intervals" subtitle="How often Orcha optimizes and polls the nodes.">
      <SettingsForm label="Intervals" fields={INTERVALS} settings={settings} />
    </Card>
  );
}

export function CurrencyCard({ settings }: { settings: SettingsDto }) {
  return (
    <Card title="Currency" subtitle="The fiat currency earnings are valued in.">
      <SettingsForm label="Currency" fields={CURRENCY} settings={settings} />
    </Card>
  );
}
