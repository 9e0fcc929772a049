"use client";

import Link from "next/link";
import type { AuditEventResponse } from "@/lib/api/schemas/audit";
import { formatBytes } from "@/lib/format";
import { useCursorPages } from "@/lib/hooks/use-cursor-pages";
import { useAuditLog } from "@/lib/hooks/use-storage";
import { PagedList } from "./paged-list";
import { RelativeTime } from "./relative-time";
import { Badge } from "./ui/badge";
import { EmptyState } from "./ui/empty-state";
import { TableSkeleton } from "./ui/table-skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeaderCell, TableRow } from "./ui/table";

const actions: Record<string, string> = {
  "checkpoint.delete": "Deleted checkpoint",
  "retention-policy.create": "Created policy",
  "retention-policy.delete": "Deleted policy",
};

function Actor({ actor }: { actor: AuditEventResponse["actor"] }) {
  if (actor.kind === "policy") {
    return (
      <span className="inline-flex min-w-0 items-center gap-1.5">
        <Badge tone="accent">Policy</Badge>
        <span className="truncate">{actor.name}</span>
      </span>
    );
  }
  return <span className="truncate">{actor.name}</span>;
}

function Details({ event }: { event: AuditEventResponse }) {
  const { details } = event;
  if (event.action === "checkpoint.delete") {
    const freed = Number(details.bytesFreed ?? 0);
    const logical = Number(details.logicalBytes ?? 0);
    return (
      <span className="text-zinc-600">
        <span className="font-medium text-zinc-900 tabular-nums">{formatBytes(freed)}</span> freed
        {logical > freed && <span className="text-zinc-500"> of {formatBytes(logical)}</span>}
        {typeof details.reason === "string" && <span className="block text-xs text-zinc-500">{details.reason}</span>}
      </span>
    );
  }
  return typeof details.summary === "string" ? <span className="text-zinc-600">{details.summary}</span> : null;
}

function Target({ event }: { event: AuditEventResponse }) {
  const { target } = event;
  // A deleted checkpoint's page is gone; its name and id stay here.
  if (target.kind === "checkpoint") {
    return (
      <span className="font-mono text-xs text-zinc-900" title={target.id}>
        {target.name}
      </span>
    );
  }
  return (
    <Link href="/storage" className="text-zinc-900 hover:underline">
      {target.name}
    </Link>
  );
}

const headers = ["When", "Who", "What", "Target", "Details"];

/** The org's audit log, newest first, paged. */
export function AuditLog() {
  const pages = useCursorPages("audit");
  const query = useAuditLog(pages.cursor);
  return (
    <PagedList
      query={query}
      pages={pages}
      what="the audit log"
      skeleton={<TableSkeleton label="Loading the audit log" headers={headers} cells={["h-4 w-12", "h-4 w-40", "h-4 w-28", "h-4 w-32", "h-4 w-24"]} rows={6} />}
      empty={<EmptyState title="Nothing logged yet" description="Deletions of checkpoints, by a person or a retention policy, appear here with the bytes they freed." />}
      summary={(data) => <p className="text-sm text-zinc-500">{data.total.toLocaleString()} {data.total === 1 ? "event" : "events"}</p>}
    >
      {(data) => (
        <>
          {/* Narrow screens: one card per event, the target and the bytes first. */}
          <ul className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 bg-white shadow-sm sm:hidden" aria-label="Audit log">
            {data.items.map((event) => (
              <li key={event.id} className="space-y-1 px-4 py-3 text-sm">
                <p className="flex min-w-0 items-baseline justify-between gap-3">
                  <span className="min-w-0 truncate">
                    <span className="text-zinc-500">{actions[event.action] ?? event.action}</span> <Target event={event} />
                  </span>
                  <span className="shrink-0 text-xs text-zinc-500">
                    <RelativeTime at={event.at} suffix=" ago" />
                  </span>
                </p>
                <p className="flex min-w-0 items-center gap-1 text-xs text-zinc-600">
                  by <Actor actor={event.actor} />
                </p>
                <Details event={event} />
              </li>
            ))}
          </ul>
          <div className="hidden sm:block">
            <Table aria-label="Audit log">
              <TableHead>
                <tr>
                  {headers.map((header) => (
                    <TableHeaderCell key={header}>{header}</TableHeaderCell>
                  ))}
                </tr>
              </TableHead>
              <TableBody>
                {data.items.map((event) => (
                  <TableRow key={event.id}>
                    <TableCell className="whitespace-nowrap text-zinc-500">
                      <RelativeTime at={event.at} suffix=" ago" />
                    </TableCell>
                    <TableCell className="max-w-[14rem]">
                      <Actor actor={event.actor} />
                    </TableCell>
                    <TableCell className="whitespace-nowrap">{actions[event.action] ?? event.action}</TableCell>
                    <TableCell className="max-w-[16rem] truncate">
                      <Target event={event} />
                    </TableCell>
                    <TableCell className="min-w-[12rem]">
                      <Details event={event} />
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </div>
        </>
      )}
    </PagedList>
  );
}
