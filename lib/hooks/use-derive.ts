"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { DeriveCheckpointBody, DerivePreviewBody } from "@/lib/api/schemas/derive";
import { checkpointKeys, checkpointPath } from "@/lib/query/checkpoints";
import { derivePreviewQuery } from "@/lib/query/derive";
import { lineageKeys } from "@/lib/query/lineage";
import { meKeys } from "@/lib/query/me";

export function useDerivePreview(ref: string, body: DerivePreviewBody, options: { enabled?: boolean } = {}) {
  return useQuery({ ...derivePreviewQuery(ref, body), enabled: options.enabled ?? true });
}

/** `POST …/derive`: the new checkpoint is ready at once; lists and lineages now include it. */
export function useDeriveCheckpoint(ref: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: DeriveCheckpointBody) => api.post<CheckpointResponse>(checkpointPath(ref, "/derive"), body),
    onSuccess: (checkpoint) => {
      queryClient.setQueryData(checkpointKeys.detail(checkpoint.metadata.name), checkpoint);
      void queryClient.invalidateQueries({ queryKey: checkpointKeys.lists() });
      void queryClient.invalidateQueries({ queryKey: lineageKeys.all });
      void queryClient.invalidateQueries({ queryKey: meKeys.all });
    },
  });
}
