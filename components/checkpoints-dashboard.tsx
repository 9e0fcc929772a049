"use client";

import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useState } from "react";
import type { CheckpointSort } from "@/lib/api/schemas/checkpoints";
import type { CheckpointStatus, SourceType } from "@/lib/checkpoints/kinds";
import { useCursorPages } from "@/lib/hooks/use-cursor-pages";
import { useCanWrite } from "@/lib/hooks/use-me";
import { useCheckpointList } from "@/lib/hooks/use-checkpoints";
import { modelFormats, type ModelFormat } from "@/lib/model-facts/kinds";
import { CheckpointFilters, type CheckpointFilterValues } from "./checkpoint-filters";
import { CheckpointTable, CheckpointTableSkeleton } from "./checkpoint-table";
import { PagedList } from "./paged-list";
import { sourceTypeRegistry } from "./source-types";
import { statusOptions } from "./status-badge";
import { StorageUsage } from "./storage-usage";
import { Button, buttonClasses } from "./ui/button";
import { EmptyState } from "./ui/empty-state";

const PAGE_SIZE = 25;
const DEFAULT_SORT: CheckpointSort = "-createdAt";
const sorts: CheckpointSort[] = ["name", "-name", "size", "-size", "createdAt", "-createdAt"];

function pick<T extends string>(value: string | null, allowed: readonly T[]): T | "" {
  return value && (allowed as readonly string[]).includes(value) ? (value as T) : "";
}

/** Filters and sort live in the URL so a reload or a shared link shows the same view. */
function useDashboardParams() {
  const searchParams = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const filters: CheckpointFilterValues = {
    q: searchParams.get("q") ?? "",
    status: pick<CheckpointStatus>(searchParams.get("status"), statusOptions.map((o) => o.status)),
    sourceType: pick<SourceType>(searchParams.get("sourceType"), sourceTypeRegistry.map((o) => o.type)),
    format: pick<ModelFormat>(searchParams.get("format"), modelFormats),
    architecture: searchParams.get("architecture") ?? "",
  };
  const sort = pick(searchParams.get("sort"), sorts) || DEFAULT_SORT;

  const update = useCallback(
    (changes: Partial<CheckpointFilterValues & { sort: CheckpointSort }>) => {
      const next = new URLSearchParams(searchParams.toString());
      for (const [key, value] of Object.entries(changes)) {
        if (value && !(key === "sort" && value === DEFAULT_SORT)) next.set(key, value);
        else next.delete(key);
      }
      const query = next.toString();
      router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [searchParams, router, pathname],
  );
  return { filters, sort, update };
}

export function CheckpointsDashboard() {
  const { filters, sort, update } = useDashboardParams();
  const canWrite = useCanWrite();
  const [resets, setResets] = useState(0);
  const viewKey = JSON.stringify([filters, sort]);
  // A new filter or sort starts over at page 1.
  const pages = useCursorPages(viewKey);

  const list = useCheckpointList({
    q: filters.q || undefined,
    status: filters.status || undefined,
    sourceType: filters.sourceType || undefined,
    format: filters.format || undefined,
    architecture: filters.architecture || undefined,
    sort,
    limit: PAGE_SIZE,
    cursor: pages.cursor,
  });
  const filtered = Boolean(filters.q || filters.status || filters.sourceType || filters.format || filters.architecture);
  const data = list.data;

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Checkpoints</h1>
          <p className="mt-1 text-sm text-zinc-500" aria-live="polite">
            {data ? `${data.total.toLocaleString()} ${filtered ? "matching" : "in this organization"}` : "\u00a0"}
          </p>
        </div>
        <div className="flex items-center gap-6">
          <StorageUsage />
          {canWrite && (
            <Link href="/checkpoints/new" className={buttonClasses()}>
              Create
            </Link>
          )}
        </div>
      </div>

      {/* Remounted on "Clear filters" so the search box empties too. */}
      <CheckpointFilters key={resets} values={filters} onChange={update} />

      <PagedList
        query={list}
        pages={pages}
        skeleton={<CheckpointTableSkeleton />}
        what="checkpoints"
        empty={
          filtered ? (
            <EmptyState
              title="No checkpoints match"
              description="Nothing matches this search and these filters. Try other words, or clear the filters."
              action={
                <Button
                  variant="secondary"
                  onClick={() => {
                    setResets((n) => n + 1);
                    update({ q: "", status: "", sourceType: "", format: "", architecture: "" });
                  }}
                >
                  Clear filters
                </Button>
              }
            />
          ) : (
            <EmptyState
              title="No checkpoints yet"
              description="Bring in your first checkpoint: upload weights, optimizer state and configs from your computer."
              action={
                canWrite ? (
                  <Link href="/checkpoints/new" className={buttonClasses()}>
                    Create checkpoint
                  </Link>
                ) : (
                  <p className="text-sm text-zinc-500">Your role is read-only; ask a member to add one.</p>
                )
              }
            />
          )
        }
      >
        {(data) => <CheckpointTable items={data.items} sort={sort} onSort={(next) => update({ sort: next })} />}
      </PagedList>
    </div>
  );
}
