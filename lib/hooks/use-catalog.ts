"use client";

import { useQuery } from "@tanstack/react-query";
import { catalogListQuery, checkpointOptionsQuery, type CatalogParams, type CheckpointOptionsParams } from "@/lib/query/catalog";

export function useCatalog(params: CatalogParams) {
  return useQuery(catalogListQuery(params));
}

export function useCheckpointOptions(params: CheckpointOptionsParams, options: { enabled?: boolean } = {}) {
  return useQuery({ ...checkpointOptionsQuery(params), enabled: options.enabled ?? true });
}
