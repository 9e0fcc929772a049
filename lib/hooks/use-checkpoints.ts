"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { CheckpointResponse, CreateCheckpointBody, PatchCheckpointBody } from "@/lib/api/schemas/checkpoints";
import {
  checkpointKeys,
  checkpointDiffQuery,
  checkpointListQuery,
  checkpointLogsQuery,
  checkpointPath,
  checkpointQuery,
  checkpointYamlQuery,
  type CheckpointListParams,
} from "@/lib/query/checkpoints";
import { meKeys } from "@/lib/query/me";

export function useCheckpointList(params: CheckpointListParams) {
  return useQuery(checkpointListQuery(params));
}

export function useCheckpoint(ref: string, options: { enabled?: boolean } = {}) {
  return useQuery({ ...checkpointQuery(ref), enabled: options.enabled ?? true });
}

export function useCheckpointDiff(a: string, b: string) {
  return useQuery(checkpointDiffQuery(a, b));
}

export function useCheckpointYaml(ref: string, version: string, enabled: boolean) {
  return useQuery({ ...checkpointYamlQuery(ref, version), enabled, placeholderData: (previous) => previous });
}

export function useCheckpointLogs(ref: string, live: boolean) {
  return useQuery(checkpointLogsQuery(ref, live));
}

export function useCreateCheckpoint() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateCheckpointBody) => api.post<CheckpointResponse>("/api/v1/checkpoints", body),
    onSuccess: (checkpoint) => {
      queryClient.setQueryData(checkpointKeys.detail(checkpoint.metadata.name), checkpoint);
      return queryClient.invalidateQueries({ queryKey: checkpointKeys.lists() });
    },
  });
}

export function useCommitCheckpoint(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<CheckpointResponse>(checkpointPath(id, "/commit")),
    onSuccess: (checkpoint) => {
      queryClient.setQueryData(checkpointKeys.detail(checkpoint.metadata.name), checkpoint);
      void queryClient.invalidateQueries({ queryKey: checkpointKeys.lists() });
      void queryClient.invalidateQueries({ queryKey: meKeys.all });
    },
  });
}

export function useUpdateCheckpoint(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: PatchCheckpointBody) => api.patch<CheckpointResponse>(checkpointPath(id), body),
    onSuccess: (checkpoint) => {
      queryClient.setQueryData(checkpointKeys.detail(checkpoint.metadata.name), checkpoint);
      // Not the detail under the old name: it would answer 404 while the page moves to the new URL.
      void queryClient.invalidateQueries({ queryKey: checkpointKeys.lists() });
    },
  });
}

export function useDeleteCheckpoint(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.delete(checkpointPath(id)),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: checkpointKeys.all, type: "inactive" });
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: checkpointKeys.lists() }),
        queryClient.invalidateQueries({ queryKey: meKeys.all }),
      ]);
    },
  });
}

/** `POST …/cancel`: stops the checkpoint's ingest; the answer is the checkpoint, now `failed`. */
export function useCancelCheckpoint(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<CheckpointResponse>(checkpointPath(id, "/cancel")),
    onSuccess: (checkpoint) => {
      queryClient.setQueryData(checkpointKeys.detail(checkpoint.metadata.name), checkpoint);
      void queryClient.invalidateQueries({ queryKey: checkpointKeys.all });
    },
  });
}
