"use client";

import Link from "next/link";
import type { StorageResponse } from "@/lib/api/schemas/storage";
import { formatBytes } from "@/lib/format";
import { RelativeTime } from "./relative-time";
import { Table, TableBody, TableCell, TableHead, TableHeaderCell, TableRow } from "./ui/table";

/** Per checkpoint, what deleting it frees (exclusive) against what it shares with others. */
export function StorageConsumersTable({ checkpoints, total }: { checkpoints: StorageResponse["checkpoints"]; total: number }) {
  return (
    <section aria-labelledby="consumers-table-heading" className="space-y-2">
      <h2 id="consumers-table-heading" className="text-sm font-semibold text-zinc-900">
        Checkpoints by what deleting them frees{" "}
        <span className="font-normal text-zinc-500">
          ({checkpoints.length < total ? `the ${checkpoints.length} largest of ${total.toLocaleString()}` : total.toLocaleString()})
        </span>
      </h2>
      <Table aria-label="Checkpoints by exclusive bytes">
        <TableHead>
          <tr>
            <TableHeaderCell>Checkpoint</TableHeaderCell>
            <TableHeaderCell className="text-right">Size</TableHeaderCell>
            <TableHeaderCell className="text-right">Exclusive</TableHeaderCell>
            <TableHeaderCell className="hidden text-right sm:table-cell">Shared</TableHeaderCell>
            <TableHeaderCell className="hidden md:table-cell">Created</TableHeaderCell>
          </tr>
        </TableHead>
        <TableBody>
          {checkpoints.map((c) => (
            <TableRow key={c.id}>
              <TableCell className="max-w-[8rem] font-mono text-xs font-medium break-all text-zinc-900 sm:max-w-none sm:break-normal">
                <Link href={`/checkpoints/${encodeURIComponent(c.name)}`} title={c.name} className="hover:underline">
                  {c.name}
                </Link>
              </TableCell>
              <TableCell className="text-right whitespace-nowrap tabular-nums">{formatBytes(c.logicalBytes)}</TableCell>
              <TableCell className="text-right font-medium whitespace-nowrap text-zinc-900 tabular-nums">{formatBytes(c.exclusiveBytes)}</TableCell>
              <TableCell className="hidden text-right whitespace-nowrap text-zinc-500 tabular-nums sm:table-cell">{formatBytes(c.sharedBytes)}</TableCell>
              <TableCell className="hidden text-zinc-500 md:table-cell">
                <RelativeTime at={c.createdAt} suffix=" ago" />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </section>
  );
}
