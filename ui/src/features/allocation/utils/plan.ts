// Decision fields are free text from the backend; some are JSON. Render either as readable rows.

export interface PlanRow {
  label: string;
  value: string;
}

function flatten(value: unknown, prefix: string, out: PlanRow[]): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix} · ${k}` : k, out);
    return;
  }
  const text = Array.isArray(value) ? value.map(String).join(", ") : String(value);
  out.push({ label: prefix || "value", value: text });
}

/** JSON objects become label/value rows; anything else is one row of text (null when empty). */
export function readPlan(text: string | null): PlanRow[] | string | null {
  if (!text || text.trim() === "") return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object") {
      const rows: PlanRow[] = [];
      flatten(parsed, "", rows);
      return rows;
    }
  } catch {
    // Plain text, shown as such.
  }
  return text;
}
