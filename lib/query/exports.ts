import { queryOptions } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { ConnectionResponse } from "@/lib/api/schemas/connections";
import { exportProviders, type ExportListResponse, type ExportStatus } from "@/lib/api/schemas/exports";
import { checkpointPath } from "./checkpoints";

const POLL_MS = 1500;
const ACTIVE: readonly ExportStatus[] = ["queued", "running"];

export const isExportActive = (status: ExportStatus) => ACTIVE.includes(status);

export const exportKeys = {
  all: ["exports"] as const,
  list: (ref: string) => [...exportKeys.all, "list", ref] as const,
  // Under "connections" so that anything refreshing connections refreshes this list too.
  targets: () => ["connections", "list", { purpose: "export" }] as const,
};

/** Past and running exports of a checkpoint, polled while one is queued or running. */
export const checkpointExportsQuery = (ref: string) =>
  queryOptions({
    queryKey: exportKeys.list(ref),
    queryFn: ({ signal }) => api.get<ExportListResponse>(checkpointPath(ref, "/exports"), { signal }),
    refetchInterval: (query) => (query.state.data?.items.some((item) => isExportActive(item.status)) ? POLL_MS : false),
  });

/** The organization's connections a checkpoint can be exported to (S3, GCS, Azure). */
export const exportTargetsQuery = () =>
  queryOptions({
    queryKey: exportKeys.targets(),
    queryFn: async ({ signal }) => {
      const { items } = await api.get<{ items: ConnectionResponse[] }>("/api/v1/connections?limit=200", { signal });
      return items.filter((c) => (exportProviders as readonly string[]).includes(c.provider));
    },
  });

/** URL of the whole checkpoint as one archive. */
export const archivePath = (ref: string, format: "tar" | "zip") => checkpointPath(ref, `/archive?format=${format}`);
