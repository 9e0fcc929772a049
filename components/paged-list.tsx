"use client";

import type { ReactNode } from "react";
import type { UseQueryResult } from "@tanstack/react-query";
import type { CursorPages } from "@/lib/hooks/use-cursor-pages";
import { Pagination } from "./pagination";
import { ErrorState } from "./ui/error-state";

type Page = { items: unknown[]; nextCursor: string | null };

/**
 * One cursor-paged list in every state: loading (the table's skeleton), failed before anything
 * loaded, empty on its first page, and loaded — with a refresh failure shown above the rows kept
 * on screen, the rows faded while the next page loads, and Previous/Next below.
 */
export function PagedList<P extends Page>({
  query,
  pages,
  skeleton,
  what,
  empty,
  summary,
  children,
}: {
  query: UseQueryResult<P>;
  /** The list's cursor stack (useCursorPages). */
  pages: CursorPages;
  skeleton: ReactNode;
  /** What the list holds, for the error titles ("Could not load jobs"). */
  what: string;
  /** Shown when the first page has no rows. */
  empty: ReactNode;
  /** Above the rows, e.g. a count. */
  summary?: (data: P) => ReactNode;
  children: (data: P) => ReactNode;
}) {
  const { data } = query;
  if (query.isPending) return skeleton;
  if (query.isError && !data) return <ErrorState title={`Could not load ${what}`} error={query.error} onRetry={() => void query.refetch()} />;
  if (!data) return null;
  if (data.items.length === 0 && pages.page === 1) return empty;
  return (
    <>
      {query.isError && <ErrorState title={`Could not refresh ${what}`} error={query.error} onRetry={() => void query.refetch()} />}
      {summary?.(data)}
      <div className={query.isPlaceholderData ? "opacity-60 transition-opacity" : undefined}>{children(data)}</div>
      <div className="flex justify-end">
        <Pagination
          page={pages.page}
          hasPrevious={pages.page > 1}
          hasNext={Boolean(data.nextCursor)}
          busy={query.isPlaceholderData}
          onPrevious={pages.previous}
          onNext={() => data.nextCursor && pages.next(data.nextCursor)}
        />
      </div>
    </>
  );
}
