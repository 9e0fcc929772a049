import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, searchParams } from "@/lib/api/client";
import type { Lineage, LineageNodeKind } from "@/lib/api/schemas/lineage";
import { checkpointPath } from "./checkpoints";
import { jobPath } from "./jobs";

export const lineageKeys = {
  all: ["lineage"] as const,
  graph: (kind: LineageNodeKind, ref: string, depth: number) => [...lineageKeys.all, kind, ref, depth] as const,
};

/** The graph around a checkpoint or a job; the previous depth's graph stays on screen while the next loads. */
export const lineageQuery = (kind: LineageNodeKind, ref: string, depth: number) =>
  queryOptions({
    queryKey: lineageKeys.graph(kind, ref, depth),
    queryFn: ({ signal }) => api.get<Lineage>((kind === "job" ? jobPath : checkpointPath)(ref, `/lineage${searchParams({ depth })}`), { signal }),
    placeholderData: keepPreviousData,
    staleTime: 15_000,
  });
