import type { DetectedNodeDto, SettingsValuesDto } from "../../../bindings";

export interface Applied {
  values: SettingsValuesDto;
  /** Node ids the settings took (the protocol's node gets the detected endpoint). */
  taken: string[];
  /** Node ids that need the config file: a protocol's further nodes (see `config_toml`). */
  left: string[];
}

/**
 * The settings with the chosen detected nodes switched on: each protocol's first chosen node
 * becomes that protocol's node (enabled, with the detected endpoint); the settings cannot add a
 * second node of a protocol, so further ones are left for the config file.
 */
export function applyDetection(values: SettingsValuesDto, chosen: readonly DetectedNodeDto[]): Applied {
  const taken: string[] = [];
  const left: string[] = [];
  const done = new Set<string>();
  const protocols = values.protocols.map((p) => {
    const first = chosen.find((n) => n.protocol === p.protocol && n.endpoint);
    for (const n of chosen.filter((n) => n.protocol === p.protocol)) {
      if (n !== first) left.push(n.id);
    }
    const [own, ...rest] = p.nodes;
    if (!first?.endpoint || p.enabled || !own || done.has(p.protocol)) {
      if (first && p.enabled) left.push(first.id);
      return p;
    }
    done.add(p.protocol);
    taken.push(first.id);
    return { ...p, enabled: true, nodes: [{ ...own, endpoint: first.endpoint }, ...rest] };
  });
  return { values: { ...values, protocols }, taken, left };
}
