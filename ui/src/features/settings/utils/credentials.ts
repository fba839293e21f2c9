// Which credentials each protocol's adapter reads from the keyring, and the checks before saving one.

export interface CredentialSpec {
  /** The `<kind>` in `<protocol>:<name>/<kind>`. */
  kind: string;
  label: string;
  hint: string;
}

const BY_PROTOCOL: Record<string, CredentialSpec[]> = {
  golem: [
    {
      kind: "app_key",
      label: "Yagna app key",
      hint: "From `yagna app-key list` (or `yagna app-key create orcha`).",
    },
  ],
  grass: [
    {
      kind: "token",
      label: "Grass session token",
      hint: "The token of your logged-in Grass dashboard session.",
    },
  ],
  streamr: [
    {
      kind: "api_key",
      label: "Node API key",
      hint: "Only if your Streamr node's HTTP API is protected with a key.",
    },
  ],
  storj: [],
};

export function credentialsFor(protocol: string): CredentialSpec[] {
  return BY_PROTOCOL[protocol] ?? [{ kind: "api_key", label: "API key", hint: "" }];
}

export function secretKey(nodeId: string, kind: string): string {
  return `${nodeId}/${kind}`;
}

/** The message to show next to the field, or null when the value may be sent. */
export function validateCredential(value: string): string | null {
  if (value.length === 0) return "Enter a value before saving.";
  if (value.trim().length === 0) return "The value cannot be only spaces.";
  if (value.length > 4096) return "The value is longer than 4096 characters.";
  return null;
}
