import Link from "next/link";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import { formatBytes } from "@/lib/format";
import { launchFromCheckpointHref } from "./checkpoint-job-actions";
import { RelativeTime } from "./relative-time";
import { sourceTypeLabel } from "./source-types";
import { buttonClasses } from "./ui/button";
import { TableSkeleton } from "./ui/table-skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeaderCell, TableRow } from "./ui/table";

export type OrgNames = { currentOrgId: string | undefined; names: Map<string, string> };

/** The owning organization as the reader knows it: theirs, one they belong to, or just "another". */
export function orgLabel(ownerOrgId: string, orgs: OrgNames): string {
  if (ownerOrgId === orgs.currentOrgId) return "This organization";
  return orgs.names.get(ownerOrgId) ?? "Another organization";
}

const headers = ["Name", "Organization", "Size", "Files", "Created", ""];

function CatalogRow({ checkpoint, orgs, canLaunch }: { checkpoint: CheckpointResponse; orgs: OrgNames; canLaunch: boolean }) {
  const { metadata, spec, status } = checkpoint;
  return (
    <TableRow>
      <TableCell className="max-w-80">
        <Link href={`/catalog/${encodeURIComponent(metadata.id)}`} className="block truncate font-medium text-zinc-900 hover:text-accent-600 hover:underline">
          {metadata.name}
        </Link>
        <span className="text-xs text-zinc-500">{sourceTypeLabel(spec.sourceType)}</span>
      </TableCell>
      <TableCell className="text-zinc-600">{orgLabel(metadata.ownerOrgID, orgs)}</TableCell>
      <TableCell className="text-right whitespace-nowrap tabular-nums" title={`${status.size.toLocaleString()} bytes`}>
        {formatBytes(status.size)}
      </TableCell>
      <TableCell className="text-right tabular-nums">{status.fileCount.toLocaleString()}</TableCell>
      <TableCell className="whitespace-nowrap text-zinc-500">
        <RelativeTime at={status.createdAt} suffix=" ago" />
      </TableCell>
      <TableCell className="text-right">
        {canLaunch && (
          <Link
            href={launchFromCheckpointHref(metadata.id, "training", true)}
            className={buttonClasses({ variant: "secondary", size: "sm" })}
            aria-label={`Use ${metadata.name} in a job`}
          >
            Use in a job
          </Link>
        )}
      </TableCell>
    </TableRow>
  );
}

export function CatalogTable({ items, orgs, canLaunch }: { items: CheckpointResponse[]; orgs: OrgNames; canLaunch: boolean }) {
  return (
    <Table aria-label="Public checkpoints">
      <TableHead>
        <tr>
          {headers.map((label, i) => (
            <TableHeaderCell key={i} className={label === "Size" || label === "Files" ? "text-right" : undefined}>
              {label || <span className="sr-only">Actions</span>}
            </TableHeaderCell>
          ))}
        </tr>
      </TableHead>
      <TableBody>
        {items.map((checkpoint) => (
          <CatalogRow key={checkpoint.metadata.id} checkpoint={checkpoint} orgs={orgs} canLaunch={canLaunch} />
        ))}
      </TableBody>
    </Table>
  );
}

export function CatalogTableSkeleton({ rows = 6 }: { rows?: number }) {
  return (
    <TableSkeleton
      label="Loading the catalog"
      headers={headers}
      cells={[["h-4 w-44", "h-3 w-20"], "h-4 w-28", "ml-auto h-4 w-16", "ml-auto h-4 w-8", "h-4 w-12", "ml-auto h-7 w-24"]}
      rows={rows}
    />
  );
}
