import type { BackupsDto, SettingsDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { EmptyState, ErrorState, LoadingState } from "../../../components/state-views";
import { formatDateTime } from "../../../utils/format";
import { useBackups, useRunBackup } from "../api/use-backups";
import { useSecretStatus } from "../api/use-settings";
import type { FieldSpec } from "../utils/fields";
import { CredentialField } from "./credential-field";
import { SettingsForm } from "./settings-form";

const SCHEDULE: FieldSpec[] = [
  {
    name: "backup.interval_hours",
    label: "Back up every (hours)",
    kind: "number",
    min: 0,
    max: 24 * 366,
    hint: "0: no scheduled backups. 24: daily.",
  },
  {
    name: "backup.retention",
    label: "Keep the newest",
    kind: "number",
    min: 1,
    max: 1000,
    hint: "Older backups are deleted after each new one.",
  },
];

const PASSPHRASE_KEY = "backup:passphrase";

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

function Schedule({ b }: { b: BackupsDto }) {
  const every = Number(b.interval_hours);
  return (
    <p className="muted small" data-testid="backup-schedule">
      {every === 0 ? (
        <>
          No scheduled backups (<code>[backup] interval_hours = 0</code>).
        </>
      ) : (
        <>
          Every {every === 1 ? "hour" : `${every} hours`}, keeping the newest {b.retention}.
        </>
      )}{" "}
      Encrypted with age to the passphrase below; written to <code>{b.dir}</code>. Restore one with{" "}
      <code>orcha restore FILE</code>.
    </p>
  );
}

/** Encrypted backups of the database and config: schedule, files, "Back up now", passphrase.
 * The schedule form appears once the settings are loaded. */
export function BackupsCard({ settings }: { settings?: SettingsDto }) {
  const backups = useBackups();
  const run = useRunBackup();
  // The keyring's own answer, updated as soon as the passphrase is stored below.
  const passphrase = useSecretStatus(PASSPHRASE_KEY);
  const stored = passphrase.data?.stored ?? backups.data?.passphrase_stored ?? false;
  return (
    <Card
      title="Backups"
      subtitle="Online copies of the database and config file, encrypted with a passphrase kept in the OS keyring."
    >
      {backups.isPending ? (
        <LoadingState label="Listing the backups…" />
      ) : !backups.data ? (
        <ErrorState error={backups.error} onRetry={() => void backups.refetch()} compact />
      ) : (
        <>
          <Schedule b={backups.data} />
          {backups.data.backups.length === 0 ? (
            <EmptyState title="No backups yet" />
          ) : (
            <table className="table" aria-label="Backups">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Made</th>
                  <th scope="col">Size</th>
                </tr>
              </thead>
              <tbody>
                {backups.data.backups.map((f) => (
                  <tr key={f.name} data-testid="backup-row">
                    <td>
                      <code>{f.name}</code>
                    </td>
                    <td>{formatDateTime(f.modified_at)}</td>
                    <td>{size(Number(f.bytes))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="button-row">
            <button
              type="button"
              className="button button-primary"
              disabled={run.isPending || !stored}
              onClick={() => run.mutate()}
            >
              {run.isPending ? "Backing up…" : "Back up now"}
            </button>
          </div>
          {!stored && (
            <p className="field-error" role="status">
              Store a backup passphrase first; without it no backup can be made.
            </p>
          )}
          {run.isError && (
            <p className="field-error" role="alert">
              {run.error.message}
            </p>
          )}
          {run.isSuccess && (
            <p className="field-ok" role="status">
              Backup written: <code>{run.data.name}</code>
            </p>
          )}
        </>
      )}
      {settings && <SettingsForm label="Backup schedule" fields={SCHEDULE} settings={settings} />}
      <div className="credential-nodes settings-credential-grid">
        <CredentialField
          secretKey={PASSPHRASE_KEY}
          label="Backup passphrase"
          formLabel="Backup passphrase"
          hint="Keep a copy elsewhere: a backup cannot be restored without it."
        />
      </div>
    </Card>
  );
}
