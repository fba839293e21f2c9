import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useBackend } from "../../../api/backend-context";
import type { ExportFileDto } from "../../../bindings";
import { Card } from "../../../components/card";
import { ErrorState } from "../../../components/state-views";

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function download(file: ExportFileDto) {
  const url = URL.createObjectURL(new Blob([file.content], { type: file.media_type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = file.file_name;
  a.click();
  URL.revokeObjectURL(url);
}

/**
 * The export a spreadsheet or a tax tool reads: one row per node and day earned and per payout,
 * amounts exact, each valued at a price recorded near its own time ("no price" otherwise).
 */
export function ExportCard() {
  const backend = useBackend();
  const today = new Date();
  const [from, setFrom] = useState(`${today.getUTCFullYear()}-01-01`);
  const [to, setTo] = useState(isoDay(today));
  const [format, setFormat] = useState("csv");
  const run = useMutation({
    mutationFn: () => backend.exportEarnings({ from, to, format }),
    onSuccess: download,
  });
  return (
    <Card
      title="Export"
      subtitle="Same as `orcha export`: CSV, JSON, or Koinly's CSV template (earned rows as mining income)."
      actions={
        <div className="controls">
          <label>
            From
            <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label>
            To
            <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <label>
            Format
            <select value={format} onChange={(e) => setFormat(e.target.value)}>
              <option value="csv">CSV</option>
              <option value="json">JSON</option>
              <option value="koinly">Koinly CSV</option>
            </select>
          </label>
          <button type="button" className="button" onClick={() => run.mutate()} disabled={run.isPending}>
            {run.isPending ? "Exporting…" : "Export"}
          </button>
        </div>
      }
    >
      {run.data && (
        <p className="muted" role="status">
          {run.data.file_name}: {run.data.rows} rows.
        </p>
      )}
      {run.isError && <ErrorState error={run.error} compact />}
    </Card>
  );
}
