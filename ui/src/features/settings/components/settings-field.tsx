import { type ReactNode, useId } from "react";
import type { FieldSpec, FieldValue } from "../utils/fields";

const INPUT_MODE: Partial<Record<FieldSpec["kind"], "numeric" | "decimal" | "url" | "email">> = {
  number: "numeric",
  cores: "decimal",
  url: "url",
  "optional-url": "url",
  email: "email",
  emails: "email",
};

/** One input with its label, hint and the message (client check or server `ApiError`) next to it. */
export function SettingsField({
  spec,
  value,
  error,
  onChange,
}: {
  spec: FieldSpec;
  value: FieldValue;
  error: string | null;
  onChange: (value: FieldValue) => void;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy =
    [error ? errorId : null, spec.hint ? hintId : null].filter(Boolean).join(" ") || undefined;
  const className = `settings-field${spec.wide ? " settings-field-wide" : ""}${
    spec.kind === "bool" ? " settings-field-check" : ""
  }`;

  let control: ReactNode;
  if (spec.kind === "bool") {
    control = (
      <input
        id={id}
        name={spec.name}
        type="checkbox"
        checked={value === true}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.checked)}
      />
    );
  } else if (spec.kind === "choice") {
    control = (
      <select
        id={id}
        name={spec.name}
        value={String(value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value)}
      >
        {spec.options?.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else {
    control = (
      <input
        id={id}
        name={spec.name}
        type="text"
        inputMode={INPUT_MODE[spec.kind]}
        autoComplete="off"
        spellCheck={false}
        placeholder={spec.placeholder}
        value={String(value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }

  return (
    <div className={className}>
      {spec.kind === "bool" ? (
        <span className="settings-check-row">
          {control}
          <label htmlFor={id}>{spec.label}</label>
        </span>
      ) : (
        <>
          <label htmlFor={id}>{spec.label}</label>
          {control}
        </>
      )}
      {error && (
        <p className="field-error" id={errorId} role="alert">
          {error}
        </p>
      )}
      {spec.hint && (
        <p className="muted small" id={hintId}>
          {spec.hint}
        </p>
      )}
    </div>
  );
}
