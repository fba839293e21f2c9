import { type FormEvent, useId, useState } from "react";
import { BackendError } from "../../../api/backend";
import { type SecretScope, useDeleteSecret, useSecretStatus, useSetSecret } from "../api/use-settings";
import { validateCredential } from "../utils/credentials";

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface CredentialFieldProps {
  /** The keyring entry, e.g. `golem:main/app_key` or `alerts:telegram/token`. */
  secretKey: string;
  label: string;
  hint?: string;
  /** The form's accessible name. */
  formLabel: string;
  scope?: SecretScope;
  /** A message about this credential from another form (a settings save that needs it). */
  externalError?: string | null;
}

export function CredentialField({
  secretKey: key,
  label,
  hint,
  formLabel,
  scope = "node",
  externalError = null,
}: CredentialFieldProps) {
  const status = useSecretStatus(key, scope);
  const save = useSetSecret(key, scope);
  const remove = useDeleteSecret(key, scope);
  const [value, setValue] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const [saved, setSaved] = useState<"stored" | "deleted" | null>(null);
  const inputId = useId();
  const errorId = `${inputId}-error`;

  // The server names the field its error is about; anything else is shown under the form.
  const serverError = save.error ?? remove.error;
  const fieldError =
    localError ??
    (save.isSuccess ? null : externalError) ??
    (serverError instanceof BackendError && (serverError.field === "value" || serverError.field === "key")
      ? serverError.message
      : null);
  const formError = serverError && !fieldError ? errorMessage(serverError) : null;

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const problem = validateCredential(value);
    setLocalError(problem);
    setSaved(null);
    remove.reset();
    if (problem) return;
    save.mutate(value, {
      onSuccess: () => {
        setValue("");
        setSaved("stored");
      },
    });
  };

  const onDelete = () => {
    setLocalError(null);
    setSaved(null);
    save.reset();
    remove.mutate(undefined, { onSuccess: () => setSaved("deleted") });
  };

  const stored = status.data?.stored;
  return (
    <form className="credential" onSubmit={onSubmit} noValidate aria-label={formLabel}>
      <div className="credential-head">
        <label htmlFor={inputId}>{label}</label>
        {status.isPending ? (
          <span className="tag tag-muted">checking…</span>
        ) : status.isError ? (
          <span className="tag tag-danger" title={errorMessage(status.error)}>
            keyring unavailable
          </span>
        ) : stored ? (
          <span className="tag tag-ok" data-testid="secret-state">
            Stored
          </span>
        ) : (
          <span className="tag tag-muted" data-testid="secret-state">
            Not stored
          </span>
        )}
      </div>
      <p className="muted small mono">{key}</p>
      <div className="credential-row">
        <input
          id={inputId}
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={value}
          placeholder={stored ? "•••••••• (stored — type to replace)" : "Paste the value"}
          aria-invalid={fieldError ? true : undefined}
          aria-describedby={fieldError ? errorId : undefined}
          onChange={(e) => {
            setValue(e.target.value);
            setLocalError(null);
            setSaved(null);
          }}
        />
        <button type="submit" className="button button-primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : stored ? "Replace" : "Save"}
        </button>
        {stored && (
          <button
            type="button"
            className="button button-danger"
            disabled={remove.isPending}
            onClick={onDelete}
          >
            {remove.isPending ? "Deleting…" : "Delete"}
          </button>
        )}
      </div>
      {fieldError && (
        <p className="field-error" id={errorId} role="alert">
          {fieldError}
        </p>
      )}
      {formError && (
        <p className="field-error" role="alert">
          {formError}
        </p>
      )}
      {saved === "stored" && (
        <p className="field-ok" role="status">
          Stored in the OS keyring. The value is never shown again.
        </p>
      )}
      {saved === "deleted" && (
        <p className="field-ok" role="status">
          Deleted from the keyring.
        </p>
      )}
      {hint && (
        <p className="muted small">
          {hint.split("`").map((part, i) =>
            // Odd parts were between backticks: commands to type.
            // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string never reorder
            i % 2 === 1 ? <code key={i}>{part}</code> : <span key={i}>{part}</span>,
          )}
        </p>
      )}
    </form>
  );
}
