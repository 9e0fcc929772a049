import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, searchParams } from "@/lib/api/client";
import type { CheckpointList, CheckpointResponse, ListCheckpointsQuery } from "@/lib/api/schemas/checkpoints";
import type { CheckpointStatus } from "@/lib/checkpoints/kinds";
import type { CheckpointDiff } from "@/lib/model-facts/kinds";

export type CheckpointListParams = Partial<Pick<ListCheckpointsQuery, "q" | "status" | "sourceType" | "architecture" | "format" | "sort" | "limit" | "cursor">>;
export type CheckpointLogEntry = { at: string; level: "info" | "warn" | "error"; message: string };

const IN_FLIGHT: readonly CheckpointStatus[] = ["new", "uploading", "downloading", "extracting", "exporting"];
const POLL_MS = 2000;

/** Whether the checkpoint is still changing, so views showing it should poll. */
export function isInFlight(status: CheckpointStatus): boolean {
  return IN_FLIGHT.includes(status);
}

/** Facts are read within seconds of `ready`; a view waits this long for them before it stops asking. */
const FACTS_WAIT_MS = 2 * 60 * 1000;

/** Whether the checkpoint is ready but its model facts are still being read (`status.model` null). */
export function awaitingFacts(checkpoint: CheckpointResponse, now = Date.now()): boolean {
  const { status } = checkpoint;
  if (status.model !== null || (status.status !== "ready" && status.status !== "exporting") || !status.readyAt) return false;
  return now - Date.parse(status.readyAt) < FACTS_WAIT_MS;
}

/** Whether a view showing the checkpoint should poll: it is changing, or its facts are on the way. */
const changing = (checkpoint: CheckpointResponse) => isInFlight(checkpoint.status.status) || awaitingFacts(checkpoint);

/** Path of a checkpoint (or a sub-resource of it) in the API; `ref` is an id or a name. */
export function checkpointPath(ref: string, rest = ""): string {
  return `/api/v1/checkpoints/${encodeURIComponent(ref)}${rest}`;
}

/** Download URL of one file; each path segment is encoded on its own so `/` stays a separator. */
export function fileDownloadPath(checkpointId: string, filePath: string): string {
  return checkpointPath(checkpointId, `/files/${filePath.split("/").map(encodeURIComponent).join("/")}`);
}

export const checkpointKeys = {
  all: ["checkpoints"] as const,
  lists: () => [...checkpointKeys.all, "list"] as const,
  list: (params: CheckpointListParams) => [...checkpointKeys.lists(), params] as const,
  detail: (ref: string) => [...checkpointKeys.all, "detail", ref] as const,
  yaml: (ref: string, version: string) => [...checkpointKeys.all, "yaml", ref, version] as const,
  logs: (ref: string) => [...checkpointKeys.all, "logs", ref] as const,
};

export const checkpointListQuery = (params: CheckpointListParams) =>
  queryOptions({
    queryKey: checkpointKeys.list(params),
    queryFn: ({ signal }) => api.get<CheckpointList>(`/api/v1/checkpoints${searchParams(params)}`, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.items.some(changing) ? POLL_MS : false),
  });

export const checkpointQuery = (ref: string) =>
  queryOptions({
    queryKey: checkpointKeys.detail(ref),
    queryFn: ({ signal }) => api.get<CheckpointResponse>(checkpointPath(ref), { signal }),
    refetchInterval: (query) => (query.state.data && changing(query.state.data) ? POLL_MS : false),
  });

/** `version` (the checkpoint's `updatedAt`) makes a changed checkpoint fetch its YAML again. */
export const checkpointYamlQuery = (ref: string, version: string) =>
  queryOptions({
    queryKey: checkpointKeys.yaml(ref, version),
    queryFn: ({ signal }) => api.text(`${checkpointPath(ref)}?format=yaml`, { signal }),
  });

export const checkpointLogsQuery = (ref: string, live: boolean) =>
  queryOptions({
    queryKey: checkpointKeys.logs(ref),
    queryFn: ({ signal }) => api.get<{ items: CheckpointLogEntry[] }>(checkpointPath(ref, "/logs"), { signal }),
    refetchInterval: live ? POLL_MS : false,
  });

/** The diff of two checkpoints; asked again every 2 s while tensor digests are being computed. */
export const checkpointDiffQuery = (a: string, b: string) =>
  queryOptions({
    queryKey: [...checkpointKeys.all, "diff", a, b] as const,
    queryFn: ({ signal }) => api.get<CheckpointDiff>(checkpointPath(a, `/diff/${encodeURIComponent(b)}`), { signal }),
    refetchInterval: (query) => (query.state.data?.status === "computing" ? POLL_MS : false),
  });
