"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { CreateExportBody } from "@/lib/api/schemas/exports";
import { checkpointKeys, checkpointPath } from "@/lib/query/checkpoints";
import { checkpointExportsQuery, exportKeys, exportTargetsQuery } from "@/lib/query/exports";

export function useCheckpointExports(ref: string) {
  return useQuery(checkpointExportsQuery(ref));
}

export function useExportTargets(enabled: boolean) {
  return useQuery({ ...exportTargetsQuery(), enabled });
}

/** Starts an export; the checkpoint (now `exporting`), its log and its exports refresh. */
export function useStartExport(ref: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateExportBody) => api.post<{ id: string; status: string }>(checkpointPath(ref, "/export"), body),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: exportKeys.list(ref) }),
        queryClient.invalidateQueries({ queryKey: checkpointKeys.all }),
      ]),
  });
}
