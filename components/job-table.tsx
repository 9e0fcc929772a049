import Link from "next/link";
import type { JobResponse } from "@/lib/api/schemas/jobs";
import { JobCheckpointLink } from "./job-checkpoint-link";
import { JobDuration } from "./job-duration";
import { runnerLabels } from "./job-resources";
import { JobStatusBadge } from "./job-status-badge";
import { jobTypeLabels } from "./job-type-picker";
import { RelativeTime } from "./relative-time";
import { TableSkeleton } from "./ui/table-skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeaderCell, TableRow } from "./ui/table";

const headers = ["Name", "Type", "Status", "Checkpoints", "Started", "Duration"];

function JobRow({ job, orgId }: { job: JobResponse; orgId: string | undefined }) {
  return (
    <TableRow>
      <TableCell className="max-w-72">
        <Link href={`/jobs/${encodeURIComponent(job.name)}`} className="block truncate font-medium text-zinc-900 hover:text-accent-600 hover:underline">
          {job.name}
        </Link>
        <span className="block truncate font-mono text-xs text-zinc-500" title={job.command.join(" ")}>
          {job.command.join(" ")}
        </span>
      </TableCell>
      <TableCell className="whitespace-nowrap">{jobTypeLabels[job.type].label}</TableCell>
      <TableCell>
        <JobStatusBadge status={job.status} />
        {job.status === "failed" && job.message && (
          <p className="mt-1 max-w-56 truncate text-xs text-red-600" title={job.message}>
            {job.message}
          </p>
        )}
        {job.status === "queued" && job.statusMessage && (
          <p className="mt-1 max-w-56 truncate text-xs text-zinc-500" title={`Why ${runnerLabels[job.runner]} has not started it yet`}>
            {job.runner === "slurm" ? "Slurm: " : ""}
            {job.statusMessage}
          </p>
        )}
        {job.exitCode !== null && job.status !== "running" && <p className="mt-0.5 text-xs text-zinc-500 tabular-nums">exit {job.exitCode}</p>}
      </TableCell>
      <TableCell className="max-w-64">
        {job.checkpoints.length === 0 ? (
          <span className="text-zinc-400">—</span>
        ) : (
          <ul className="space-y-0.5">
            {job.checkpoints.map((attachment) => (
              <li key={attachment.id} className="truncate">
                <JobCheckpointLink attachment={attachment} orgId={orgId} />
              </li>
            ))}
          </ul>
        )}
        {job.outputs.length > 0 && <p className="mt-0.5 text-xs text-zinc-500">→ {job.outputs.length} captured</p>}
      </TableCell>
      <TableCell className="whitespace-nowrap text-zinc-500">
        {job.startedAt ? <RelativeTime at={job.startedAt} suffix=" ago" /> : <span className="text-zinc-400">not yet</span>}
      </TableCell>
      <TableCell className="whitespace-nowrap text-zinc-700">
        <JobDuration startedAt={job.startedAt} finishedAt={job.finishedAt} />
      </TableCell>
    </TableRow>
  );
}

export function JobTable({ items, orgId }: { items: JobResponse[]; orgId: string | undefined }) {
  return (
    <Table aria-label="Jobs">
      <TableHead>
        <tr>
          {headers.map((label) => (
            <TableHeaderCell key={label}>{label}</TableHeaderCell>
          ))}
        </tr>
      </TableHead>
      <TableBody>
        {items.map((job) => (
          <JobRow key={job.id} job={job} orgId={orgId} />
        ))}
      </TableBody>
    </Table>
  );
}

export function JobTableSkeleton({ rows = 5 }: { rows?: number }) {
  return (
    <TableSkeleton
      label="Loading jobs"
      headers={headers}
      cells={[["h-4 w-40", "h-3 w-56"], "h-4 w-16", "h-5 w-20 rounded-full", "h-3.5 w-32", "h-4 w-14", "h-4 w-12"]}
      rows={rows}
    />
  );
}
