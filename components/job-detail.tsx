"use client";

import Link from "next/link";
import { ApiClientError } from "@/lib/api/client";
import type { JobResponse } from "@/lib/api/schemas/jobs";
import { useJob } from "@/lib/hooks/use-jobs";
import { useCanWrite, useMe } from "@/lib/hooks/use-me";
import { isJobActive, isJobChanging } from "@/lib/query/jobs";
import { JobCaptures } from "./job-captures";
import { JobCheckpointLink } from "./job-checkpoint-link";
import { joinCommand } from "./job-command-words";
import { JobDuration } from "./job-duration";
import { JobLineage } from "./job-lineage";
import { factDash as dash, JobFact as Fact } from "./job-fact";
import { JobLogView } from "./job-log-view";
import { JobRunnerFacts } from "./job-runner-facts";
import { JobStatusBadge } from "./job-status-badge";
import { JobStatusMessage } from "./job-status-message";
import { JobStopDialog } from "./job-stop-dialog";
import { jobTypeLabels } from "./job-type-picker";
import { RelativeTime } from "./relative-time";
import { buttonClasses } from "./ui/button";
import { CopyButton } from "./ui/copy-button";
import { EmptyState } from "./ui/empty-state";
import { ErrorState } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";

const backLink = (
  <Link href="/jobs" className="text-sm text-zinc-500 hover:text-zinc-800">
    ← Jobs
  </Link>
);

function DetailSkeleton() {
  return (
    <div className="space-y-6" aria-busy="true" aria-label="Loading job">
      <Skeleton className="h-4 w-16" />
      <Skeleton className="h-7 w-72" />
      <div className="grid grid-cols-2 gap-4 sm:grid-cols-6">
        {Array.from({ length: 10 }, (_, i) => (
          <Skeleton key={i} className="h-10" />
        ))}
      </div>
      <Skeleton className="h-96 w-full" />
    </div>
  );
}

function Attachments({ job, orgId }: { job: JobResponse; orgId: string | undefined }) {
  return (
    <section aria-labelledby="attached-heading" className="rounded-lg border border-zinc-200 bg-white shadow-sm">
      <h2 id="attached-heading" className="border-b border-zinc-200 px-4 py-2.5 text-sm font-semibold text-zinc-900">
        Attached checkpoints <span className="font-normal text-zinc-500">({job.checkpoints.length})</span>
      </h2>
      {job.checkpoints.length === 0 ? (
        <p className="px-4 py-3 text-sm text-zinc-500">None: the job started without input checkpoints.</p>
      ) : (
        <ul aria-label="Attached checkpoints" className="divide-y divide-zinc-100">
          {job.checkpoints.map((attachment, index) => (
            <li key={attachment.id} className="px-4 py-2.5">
              <JobCheckpointLink attachment={attachment} orgId={orgId} />
              <p className="mt-0.5 font-mono text-xs break-all text-zinc-500">
                {attachment.mountPath}
                {index === 0 && <span className="ml-2 font-sans text-zinc-400">($TRAINML_CHECKPOINT_PATH)</span>}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function JobDetail({ jobRef }: { jobRef: string }) {
  const query = useJob(jobRef);
  const me = useMe();
  const canWrite = useCanWrite();

  if (query.isPending) return <DetailSkeleton />;
  if (query.isError) {
    const missing = query.error instanceof ApiClientError && query.error.status === 404;
    return (
      <div className="space-y-4">
        {backLink}
        {missing ? (
          <EmptyState
            title="Job not found"
            description={`There is no job '${jobRef}' in this organization.`}
            action={
              <Link href="/jobs" className={buttonClasses({ variant: "secondary" })}>
                Back to jobs
              </Link>
            }
          />
        ) : (
          <ErrorState title="Could not load the job" error={query.error} onRetry={() => void query.refetch()} />
        )}
      </div>
    );
  }

  const job = query.data;
  const live = isJobActive(job.status);
  // Captures may still go up (or be retried) after the job ended; the log says how they fare.
  // Judged as of the last fetch, which re-renders the page even when the job did not change.
  const changing = isJobChanging(job, jobRef, query.dataUpdatedAt);
  const commandLine = joinCommand(job.command);

  return (
    <div className="space-y-6">
      {backLink}
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="truncate font-mono text-xl font-semibold tracking-tight text-zinc-900">{job.name}</h1>
            <JobStatusBadge status={job.status} />
          </div>
          <p className="mt-1 font-mono text-xs text-zinc-500">{job.id}</p>
        </div>
        {canWrite && live && <JobStopDialog jobId={job.id} name={job.name} />}
      </header>

      <div className="rounded-lg border border-zinc-200 bg-white shadow-sm">
      <dl className="grid grid-cols-2 gap-4 p-4 sm:grid-cols-3 lg:grid-cols-6">
        <Fact label="Type">{jobTypeLabels[job.type].label}</Fact>
        <Fact label="Status">{job.status[0]?.toUpperCase() + job.status.slice(1)}</Fact>
        <Fact label="Exit code">{job.exitCode === null ? dash : <span className="font-mono tabular-nums">{job.exitCode}</span>}</Fact>
        <Fact label="Started">{job.startedAt ? <RelativeTime at={job.startedAt} suffix=" ago" /> : live ? "Waiting in the queue" : dash}</Fact>
        <Fact label="Duration">
          <JobDuration startedAt={job.startedAt} finishedAt={job.finishedAt} />
        </Fact>
        <Fact label="Created">
          <RelativeTime at={job.createdAt} suffix=" ago" />
        </Fact>
      </dl>
      <JobRunnerFacts job={job} />
      </div>

      <JobStatusMessage job={job} />

      <section aria-labelledby="command-heading" className="space-y-1.5">
        <div className="flex items-center justify-between">
          <h2 id="command-heading" className="text-sm font-semibold text-zinc-900">
            Command
          </h2>
          <CopyButton value={commandLine} variant="ghost" label="Copy" aria-label="Copy command" />
        </div>
        <pre className="overflow-x-auto rounded-md border border-zinc-200 bg-white px-3 py-2 font-mono text-xs text-zinc-800">{commandLine}</pre>
        {job.envKeys.length > 0 && (
          <p className="text-xs text-zinc-500">
            Environment: <span className="font-mono">{job.envKeys.join(", ")}</span> (values are not shown)
          </p>
        )}
      </section>

      <JobLogView jobRef={job.id} live={changing} />

      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-2">
        <Attachments job={job} orgId={me.data?.org.id} />
        <JobCaptures jobRef={jobRef} captures={job.captures} captureOutputs={job.captureOutputs} live={live} canWrite={canWrite} />
      </div>

      <JobLineage jobId={job.id} />
    </div>
  );
}
