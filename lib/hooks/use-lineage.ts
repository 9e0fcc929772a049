"use client";

import { useQuery } from "@tanstack/react-query";
import type { LineageNodeKind } from "@/lib/api/schemas/lineage";
import { lineageQuery } from "@/lib/query/lineage";

export function useLineage(kind: LineageNodeKind, ref: string, depth: number) {
  return useQuery(lineageQuery(kind, ref, depth));
}
