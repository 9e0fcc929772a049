import Link from "next/link";
import type { CheckpointResponse, CheckpointSort } from "@/lib/api/schemas/checkpoints";
import { formatBytes } from "@/lib/format";
import { formatParameters } from "@/lib/model-facts/kinds";
import { isInFlight } from "@/lib/query/checkpoints";
import { CheckpointProgress } from "./checkpoint-progress";
import { RelativeTime } from "./relative-time";
import { StatusBadge } from "./status-badge";
import { sourceTypeLabel } from "./source-types";
import { TableSkeleton } from "./ui/table-skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeaderCell, TableRow } from "./ui/table";

type SortField = "name" | "size" | "createdAt";

/** The first click sorts names A→Z but sizes and dates largest/newest first. */
const firstDirection: Record<SortField, CheckpointSort> = { name: "name", size: "-size", createdAt: "-createdAt" };

function nextSort(current: CheckpointSort, field: SortField): CheckpointSort {
  if (current === field) return `-${field}` as CheckpointSort;
  if (current === `-${field}`) return field;
  return firstDirection[field];
}

function SortHeader({ field, label, sort, onSort, className }: { field: SortField; label: string; sort: CheckpointSort; onSort: (sort: CheckpointSort) => void; className?: string }) {
  const direction = sort === field ? "ascending" : sort === `-${field}` ? "descending" : "none";
  return (
    <TableHeaderCell aria-sort={direction} className={className}>
      <button
        type="button"
        onClick={() => onSort(nextSort(sort, field))}
        className="group inline-flex items-center gap-1 uppercase hover:text-zinc-900"
      >
        {label}
        <span aria-hidden className={direction === "none" ? "text-zinc-300 group-hover:text-zinc-400" : "text-zinc-700"}>
          {direction === "ascending" ? "↑" : direction === "descending" ? "↓" : "↕"}
        </span>
      </button>
    </TableHeaderCell>
  );
}

function CheckpointRow({ checkpoint }: { checkpoint: CheckpointResponse }) {
  const { metadata, spec, status } = checkpoint;
  return (
    <TableRow>
      <TableCell className="max-w-80">
        <Link href={`/checkpoints/${encodeURIComponent(metadata.name)}`} className="block truncate font-medium text-zinc-900 hover:text-accent-600 hover:underline">
          {metadata.name}
        </Link>
        <span className="text-xs text-zinc-500">{sourceTypeLabel(spec.sourceType)}</span>
      </TableCell>
      <TableCell className="text-right tabular-nums" title={status.model?.parameters != null ? `${status.model.parameters.toLocaleString()} parameters` : undefined}>
        {status.model?.parameters != null ? formatParameters(status.model.parameters) : <span className="text-zinc-300">—</span>}
      </TableCell>
      <TableCell className="text-right tabular-nums">
        {(status.model?.step ?? status.step) != null ? (status.model?.step ?? status.step)!.toLocaleString() : <span className="text-zinc-300">—</span>}
      </TableCell>
      <TableCell className="text-right tabular-nums">{status.fileCount.toLocaleString()}</TableCell>
      <TableCell className="text-right tabular-nums" title={`${status.size.toLocaleString()} bytes`}>
        {formatBytes(status.size)}
      </TableCell>
      <TableCell>
        <StatusBadge status={status.status} sourceType={spec.sourceType} />
        {isInFlight(status.status) && <CheckpointProgress checkpoint={checkpoint} />}
        {status.status === "failed" && status.message && <p className="mt-1 max-w-56 truncate text-xs text-red-600" title={status.message}>{status.message}</p>}
      </TableCell>
      <TableCell className="text-zinc-500">
        <RelativeTime at={status.createdAt} suffix=" ago" />
      </TableCell>
    </TableRow>
  );
}

export function CheckpointTable({ items, sort, onSort }: { items: CheckpointResponse[]; sort: CheckpointSort; onSort: (sort: CheckpointSort) => void }) {
  return (
    <Table>
      <TableHead>
        <tr>
          <SortHeader field="name" label="Name" sort={sort} onSort={onSort} />
          <TableHeaderCell className="text-right">Parameters</TableHeaderCell>
          <TableHeaderCell className="text-right">Step</TableHeaderCell>
          <TableHeaderCell className="text-right">Files</TableHeaderCell>
          <SortHeader field="size" label="Total size" sort={sort} onSort={onSort} className="text-right" />
          <TableHeaderCell>Status</TableHeaderCell>
          <SortHeader field="createdAt" label="Created" sort={sort} onSort={onSort} className="w-32" />
        </tr>
      </TableHead>
      <TableBody>
        {items.map((checkpoint) => (
          <CheckpointRow key={checkpoint.metadata.id} checkpoint={checkpoint} />
        ))}
      </TableBody>
    </Table>
  );
}

export function CheckpointTableSkeleton({ rows = 6 }: { rows?: number }) {
  return (
    <TableSkeleton
      label="Loading checkpoints"
      headers={["Name", "Parameters", "Step", "Files", "Total size", "Status", "Created"]}
      cells={[["h-4 w-44", "h-3 w-20"], "ml-auto h-4 w-12", "ml-auto h-4 w-8", "ml-auto h-4 w-8", "ml-auto h-4 w-16", "h-5 w-20 rounded-full", "h-4 w-12"]}
      rows={rows}
    />
  );
}
