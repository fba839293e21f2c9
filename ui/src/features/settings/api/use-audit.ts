// The audit log and its hash-chain verdict, for the Settings screen.
import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";

const auditKey = ["audit"] as const;

/** One page of the audit log, newest first; `before` is the previous page's `next_before`. */
export function useAuditLog(before: bigint | null, limit = 25) {
  const backend = useBackend();
  return useQuery({
    queryKey: [...auditKey, "log", before === null ? null : String(before), limit],
    queryFn: () => backend.auditLog(before === null ? { limit } : { limit, before }),
  });
}

/** Recomputes the chain on the server: intact, or the first edited or deleted row. */
export function useAuditVerdict() {
  const backend = useBackend();
  return useQuery({ queryKey: [...auditKey, "verify"], queryFn: () => backend.auditVerify() });
}
