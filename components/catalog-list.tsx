"use client";

import { useMemo, useState } from "react";
import { useCursorPages } from "@/lib/hooks/use-cursor-pages";
import { useCatalog } from "@/lib/hooks/use-catalog";
import { useDebouncedValue } from "@/lib/hooks/use-debounced-value";
import { useCanWrite, useMe } from "@/lib/hooks/use-me";
import { CatalogTable, CatalogTableSkeleton, type OrgNames } from "./catalog-table";
import { PagedList } from "./paged-list";
import { Button } from "./ui/button";
import { EmptyState } from "./ui/empty-state";
import { Input } from "./ui/input";

const PAGE_SIZE = 25;

/** The public catalog: ready public checkpoints of every organization, read-only. */
export function CatalogList() {
  const me = useMe();
  const canWrite = useCanWrite();
  const [text, setText] = useState("");
  const q = useDebouncedValue(text.trim(), 300);
  const pages = useCursorPages(q);
  const list = useCatalog({ q: q || undefined, sort: q ? "name" : "-createdAt", limit: PAGE_SIZE, cursor: pages.cursor });
  const orgs: OrgNames = useMemo(
    () => ({ currentOrgId: me.data?.org.id, names: new Map(me.data?.orgs.map((org) => [org.id, org.name])) }),
    [me.data],
  );

  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Public catalog</h1>
        <p className="mt-1 text-sm text-zinc-500">
          Checkpoints that organizations on this Cairn have made public. Anyone can download them and attach them to jobs; only their owners can
          change them.
        </p>
      </div>

      <div role="search" className="relative w-full sm:w-72">
        <label htmlFor="catalog-search" className="sr-only">
          Search the catalog by name
        </label>
        <Input id="catalog-search" type="search" placeholder="Search by name…" value={text} onChange={(event) => setText(event.target.value)} />
      </div>

      <PagedList
        query={list}
        pages={pages}
        skeleton={<CatalogTableSkeleton />}
        what="the catalog"
        empty={
          q ? (
            <EmptyState
              title="Nothing in the catalog matches"
              description={`No public checkpoint has '${q}' in its name.`}
              action={
                <Button variant="secondary" onClick={() => setText("")}>
                  Clear search
                </Button>
              }
            />
          ) : (
            <EmptyState
              title="The catalog is empty"
              description="No organization has made a checkpoint public yet. Owners and admins can make one public from its page with “Make public”."
            />
          )
        }
        summary={(data) => (
          <p className="text-sm text-zinc-500 tabular-nums" aria-live="polite">
            {data.total.toLocaleString()} public {data.total === 1 ? "checkpoint" : "checkpoints"}
            {q ? " matching" : ""}
          </p>
        )}
      >
        {(data) => <CatalogTable items={data.items} orgs={orgs} canLaunch={canWrite} />}
      </PagedList>
    </div>
  );
}
