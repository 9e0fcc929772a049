import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { DerivePreview, DerivePreviewBody } from "@/lib/api/schemas/derive";
import { checkpointPath } from "./checkpoints";

export const deriveKeys = {
  preview: (ref: string, body: DerivePreviewBody) => ["derive-preview", ref, body] as const,
};

/** What deriving from `ref` with this selection keeps and drops (`POST …/derive/preview`). */
export const derivePreviewQuery = (ref: string, body: DerivePreviewBody) =>
  queryOptions({
    queryKey: deriveKeys.preview(ref, body),
    queryFn: () => api.post<DerivePreview>(checkpointPath(ref, "/derive/preview"), body),
    placeholderData: keepPreviousData,
    // A ready checkpoint's files never change, so neither does the answer.
    staleTime: Infinity,
    retry: false,
  });
