import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, searchParams } from "@/lib/api/client";
import type { CheckpointList, CheckpointSort } from "@/lib/api/schemas/checkpoints";

export type CatalogParams = { q?: string; sort?: CheckpointSort; limit?: number; cursor?: string };

/** What the job form's checkpoint selector searches: the org's ready checkpoints, or the public catalog. */
export type CheckpointOptionsParams = { q: string; catalog: boolean };

const OPTIONS_LIMIT = 20;

export const catalogKeys = {
  all: ["catalog"] as const,
  list: (params: CatalogParams) => [...catalogKeys.all, "list", params] as const,
  options: (params: CheckpointOptionsParams) => [...catalogKeys.all, "options", params] as const,
};

/** Public checkpoints of every organization that are ready to use. */
export const catalogListQuery = (params: CatalogParams) =>
  queryOptions({
    queryKey: catalogKeys.list(params),
    queryFn: ({ signal }) =>
      api.get<CheckpointList>(`/api/v1/checkpoints${searchParams({ ...params, visibility: "public", status: "ready" })}`, { signal }),
    placeholderData: keepPreviousData,
  });

/** Server-side search for the checkpoint selector; only `ready` checkpoints can be attached. */
export const checkpointOptionsQuery = (params: CheckpointOptionsParams) =>
  queryOptions({
    queryKey: catalogKeys.options(params),
    queryFn: ({ signal }) =>
      api.get<CheckpointList>(
        `/api/v1/checkpoints${searchParams({
          q: params.q,
          status: "ready",
          visibility: params.catalog ? "public" : undefined,
          sort: params.q ? "name" : "-createdAt",
          limit: OPTIONS_LIMIT,
        })}`,
        { signal },
      ),
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
