"use client";

import Link from "next/link";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import { useCheckpoint } from "@/lib/hooks/use-checkpoints";
import { useJob, useJobList } from "@/lib/hooks/use-jobs";
import { JobStatusBadge } from "./job-status-badge";
import { LineagePanel } from "./lineage-panel";
import type { JobStatus } from "@/lib/api/schemas/jobs";
import { jobStatuses } from "@/lib/api/schemas/jobs";
import { RelativeTime } from "./relative-time";
import { Skeleton } from "./ui/skeleton";

/** The job a managed checkpoint was captured from: `spec.producedBy`, else its `job://<job-id>/<sub-directory>` URI. */
export function producingJob(checkpoint: CheckpointResponse): { jobId: string; jobName: string | null; path: string } | null {
  if (checkpoint.spec.sourceType !== "job") return null;
  const match = /^job:\/\/([^/]+)\/?(.*)$/.exec(checkpoint.spec.sourceUri ?? "");
  const jobId = checkpoint.spec.producedBy?.jobId ?? match?.[1];
  return jobId ? { jobId, jobName: checkpoint.spec.producedBy?.jobName ?? null, path: match?.[2] ?? "" } : null;
}

const asJobStatus = (status: string): JobStatus | null => ((jobStatuses as readonly string[]).includes(status) ? (status as JobStatus) : null);

function ProducedBy({ jobId, jobName, path, step }: { jobId: string; jobName: string | null; path: string; step: number | null }) {
  const job = useJob(jobId);
  return (
    <p className="text-sm text-zinc-700">
      Produced by job{" "}
      <Link href={`/jobs/${encodeURIComponent(jobId)}`} className="font-mono font-medium text-zinc-900 hover:text-accent-600 hover:underline">
        {job.data?.name ?? jobName ?? jobId}
      </Link>
      {path && (
        <>
          {" "}
          from <span className="font-mono text-xs">{path}</span>
        </>
      )}
      {step !== null && <span className="ml-1.5 text-zinc-500">at step {step.toLocaleString()}</span>}
      {job.data && (
        <span className="ml-2 align-middle">
          <JobStatusBadge status={job.data.status} />
        </span>
      )}
    </p>
  );
}

/** The checkpoint a derived one shares its files with; once that one is deleted, its id. */
function DerivedFrom({ sourceId }: { sourceId: string }) {
  const source = useCheckpoint(sourceId);
  return (
    <p className="text-sm text-zinc-700">
      Derived from{" "}
      {source.isError ? (
        <span className="font-mono text-xs text-zinc-500">a checkpoint no longer here ({sourceId})</span>
      ) : (
        <Link href={`/checkpoints/${encodeURIComponent(source.data?.metadata.name ?? sourceId)}`} className="font-mono font-medium text-zinc-900 hover:text-accent-600 hover:underline">
          {source.data?.metadata.name ?? sourceId}
        </Link>
      )}
      <span className="ml-1.5 text-zinc-500">— it shares that checkpoint&apos;s bytes, none copied</span>
    </p>
  );
}

/** The lineage on a checkpoint's page: where it came from, the jobs that use it, and the graph around it. */
export function CheckpointLineage({ checkpoint }: { checkpoint: CheckpointResponse }) {
  const produced = producingJob(checkpoint);
  const jobs = useJobList({ checkpoint: checkpoint.metadata.id, limit: 20 });
  const listed = new Set(jobs.data?.items.map((job) => job.id));
  // Active users the list does not show: jobs of other organizations attaching a public checkpoint.
  const elsewhere = checkpoint.status.usedBy.filter((use) => !listed.has(use.jobId));

  return (
    <section aria-labelledby="lineage-heading" className="rounded-lg border border-zinc-200 bg-white p-4 shadow-sm">
      <h2 id="lineage-heading" className="text-sm font-semibold text-zinc-900">
        Lineage
      </h2>
      <div className="mt-2 space-y-3">
        {produced ? <ProducedBy {...produced} step={checkpoint.status.step ?? null} /> : null}
        {checkpoint.spec.derivedFrom ? <DerivedFrom sourceId={checkpoint.spec.derivedFrom} /> : null}
        <div>
          <h3 className="text-xs font-medium text-zinc-500">Used by</h3>
          {jobs.isPending ? (
            <Skeleton className="mt-1.5 h-4 w-48" />
          ) : jobs.isError ? (
            <p className="mt-1 text-sm text-red-700">Could not load the jobs that use it: {jobs.error.message}</p>
          ) : (jobs.data?.items.length ?? 0) === 0 && elsewhere.length === 0 ? (
            <p className="mt-1 text-sm text-zinc-500">No job has attached this checkpoint yet.</p>
          ) : (
            <ul aria-label="Jobs using this checkpoint" className="mt-1 divide-y divide-zinc-100">
              {jobs.data?.items.map((job) => (
                <li key={job.id} className="flex items-center justify-between gap-3 py-1.5">
                  <Link href={`/jobs/${encodeURIComponent(job.name)}`} className="truncate font-mono text-sm text-zinc-900 hover:text-accent-600 hover:underline">
                    {job.name}
                  </Link>
                  <span className="flex shrink-0 items-center gap-2 text-xs text-zinc-500">
                    <JobStatusBadge status={job.status} />
                    <RelativeTime at={job.createdAt} suffix=" ago" />
                  </span>
                </li>
              ))}
              {elsewhere.map((use) => {
                const status = asJobStatus(use.status);
                return (
                  <li key={use.jobId} className="flex items-center justify-between gap-3 py-1.5 text-sm text-zinc-600">
                    <span className="truncate font-mono">{use.jobName}</span>
                    <span className="flex shrink-0 items-center gap-2 text-xs text-zinc-500">
                      another organization
                      {status && <JobStatusBadge status={status} />}
                    </span>
                  </li>
                );
              })}
            </ul>
          )}
        </div>
        <div>
          <h3 className="mb-1.5 text-xs font-medium text-zinc-500">Graph</h3>
          <LineagePanel kind="checkpoint" entityRef={checkpoint.metadata.id} />
        </div>
      </div>
    </section>
  );
}
