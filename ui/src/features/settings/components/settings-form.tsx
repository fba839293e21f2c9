import { type FormEvent, type ReactNode, useMemo, useRef, useState } from "react";
import { BackendError } from "../../../api/backend";
import type { SettingsDto, SettingsSavedDto } from "../../../bindings";
import { useUpdateSettings } from "../api/use-settings";
import { checkField, type FieldSpec, type FieldValue, toInputs, withInputs } from "../utils/fields";
import { SettingsField } from "./settings-field";

export type Inputs = Record<string, FieldValue>;
export type FieldErrors = Record<string, string>;

interface SettingsFormProps {
  /** The form's accessible name, e.g. "Storj settings". */
  label: string;
  fields: FieldSpec[];
  settings: SettingsDto;
  /** Rules over several fields, given every input as it would be saved and the changed names. */
  crossCheck?: (inputs: Inputs, changed: ReadonlySet<string>) => FieldErrors;
  /** Fields shown outside this form (credentials); their messages go to `onOutsideErrors`. */
  outsideFields?: readonly string[];
  onOutsideErrors?: (errors: FieldErrors) => void;
}

function SavedNotice({ result, scratch }: { result: SettingsSavedDto; scratch: boolean }) {
  if (result.changed.length === 0)
    return (
      <p className="field-ok" role="status">
        Nothing changed.
      </p>
    );
  const restart = result.needs_restart.length > 0;
  return (
    <p className={restart ? "settings-saved settings-saved-restart" : "settings-saved"} role="status">
      <strong>
        {!restart
          ? "Saved — in effect now."
          : scratch
            ? "Saved to the demo's scratch file — a real Orcha uses it after a restart."
            : "Saved — takes effect after a restart."}
      </strong>
      {restart && result.applied_live.length > 0 && " Auto-apply is in effect now."}
      {scratch && restart && " The simulated nodes keep running as they are."}
    </p>
  );
}

/**
 * One settings form: its fields with their values as saved, edits kept until saved, the checks
 * before sending, the server's `ApiError` next to the field it names, and what the save did.
 */
export function SettingsForm({
  label,
  fields,
  settings,
  crossCheck,
  outsideFields = [],
  onOutsideErrors,
}: SettingsFormProps) {
  const save = useUpdateSettings();
  const base = useMemo(() => toInputs(settings.values), [settings.values]);
  const [edits, setEdits] = useState<Inputs>({});
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [result, setResult] = useState<SettingsSavedDto | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const names = new Set(fields.map((f) => f.name));
  const inputOf = (name: string): FieldValue => edits[name] ?? base[name] ?? "";
  const changed = new Set(fields.map((f) => f.name).filter((n) => n in edits && edits[n] !== base[n]));

  const report = (all: FieldErrors) => {
    const inside: FieldErrors = {};
    const outside: FieldErrors = {};
    for (const [field, message] of Object.entries(all)) {
      if (names.has(field)) inside[field] = message;
      else if (outsideFields.includes(field)) outside[field] = message;
    }
    setErrors(inside);
    onOutsideErrors?.(outside);
    return inside;
  };

  const onChange = (name: string, value: FieldValue) => {
    setEdits((e) => ({ ...e, [name]: value }));
    setErrors(({ [name]: _, ...rest }) => rest);
    setFormError(null);
    setResult(null);
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    setResult(null);
    // Like the server, only what changed is judged: a value the app started with stays as it is.
    const found: FieldErrors = {};
    for (const f of fields) {
      if (!changed.has(f.name)) continue;
      const problem = checkField(f, inputOf(f.name));
      if (problem) found[f.name] = problem;
    }
    const inputs: Inputs = { ...base, ...edits };
    for (const [field, message] of Object.entries(crossCheck?.(inputs, changed) ?? {}))
      found[field] ??= message;
    const inside = report(found);
    if (Object.keys(found).length > 0) {
      const first = fields.find((f) => inside[f.name]);
      const el = first ? formRef.current?.elements.namedItem(first.name) : null;
      if (el instanceof HTMLElement) el.focus();
      return;
    }
    const mine = Object.fromEntries(Object.entries(edits).filter(([name]) => changed.has(name)));
    save.mutate(withInputs(settings.values, mine), {
      onSuccess: (saved) => {
        setEdits({});
        setResult(saved);
      },
      onError: (err) => {
        const field = err instanceof BackendError ? err.field : null;
        if (field && (names.has(field) || outsideFields.includes(field))) report({ [field]: err.message });
        else setFormError(err.message);
      },
    });
  };

  return (
    <form ref={formRef} className="settings-form" aria-label={label} noValidate onSubmit={onSubmit}>
      <div className="settings-grid">
        {fields.map((f) => (
          <SettingsField
            key={f.name}
            spec={f}
            value={inputOf(f.name)}
            error={errors[f.name] ?? null}
            onChange={(v) => onChange(f.name, v)}
          />
        ))}
      </div>
      <div className="settings-actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={save.isPending || changed.size === 0}
        >
          {save.isPending ? "Saving…" : "Save"}
        </button>
        {changed.size > 0 && !save.isPending && (
          <button
            type="button"
            className="button"
            onClick={() => {
              setEdits({});
              report({});
              setFormError(null);
            }}
          >
            Discard changes
          </button>
        )}
        {result && <SavedNotice result={result} scratch={settings.scratch} />}
      </div>
      {formError && (
        <p className="field-error" role="alert">
          {formError}
        </p>
      )}
    </form>
  );
}

/** A titled group inside a card (credentials under a node's settings, channel status, …). */
export function SettingsGroup({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="settings-group">
      <h3>{title}</h3>
      {children}
    </div>
  );
}
