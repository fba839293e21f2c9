import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../../../api/backend-context";

export const detectKey = ["detect-nodes"] as const;

/** `GET /nodes/detect`: a read-only proposal; nothing is saved and no secret is read. */
export function useDetectNodes(enabled = true) {
  const backend = useBackend();
  return useQuery({ queryKey: detectKey, queryFn: () => backend.detectNodes(), enabled, staleTime: 30_000 });
}
