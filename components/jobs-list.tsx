"use client";

import Link from "next/link";
import { useState } from "react";
import type { JobStatus } from "@/lib/api/schemas/jobs";
import { useCursorPages } from "@/lib/hooks/use-cursor-pages";
import { useJobList } from "@/lib/hooks/use-jobs";
import { useCanWrite, useMe } from "@/lib/hooks/use-me";
import { jobStatusOptions } from "./job-status-badge";
import { JobTable, JobTableSkeleton } from "./job-table";
import { PagedList } from "./paged-list";
import { Button, buttonClasses } from "./ui/button";
import { EmptyState } from "./ui/empty-state";
import { Select } from "./ui/input";

const PAGE_SIZE = 25;

export function JobsList() {
  const canWrite = useCanWrite();
  const me = useMe();
  const [status, setStatus] = useState<JobStatus | "">("");
  const pages = useCursorPages(status);
  const list = useJobList({ status: status || undefined, limit: PAGE_SIZE, cursor: pages.cursor });
  const data = list.data;
  const active = data?.items.filter((job) => job.status === "running" || job.status === "queued").length ?? 0;

  const launch = canWrite && (
    <Link href="/jobs/new" className={buttonClasses()}>
      Launch job
    </Link>
  );

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Jobs</h1>
          <p className="mt-1 flex items-center gap-2 text-sm text-zinc-500" aria-live="polite">
            {data ? `${data.total.toLocaleString()} ${status ? "matching" : "in this organization"}` : "\u00a0"}
            {active > 0 && <span className="text-accent-700">· {active} active, updating live</span>}
          </p>
        </div>
        {launch}
      </div>

      <div className="flex items-center gap-2">
        <label htmlFor="job-status-filter" className="sr-only">
          Status
        </label>
        <Select
          id="job-status-filter"
          value={status}
          onChange={(event) => setStatus(event.target.value as JobStatus | "")}
          className="w-auto"
        >
          <option value="">All statuses</option>
          {jobStatusOptions.map((option) => (
            <option key={option.status} value={option.status}>
              {option.label}
            </option>
          ))}
        </Select>
      </div>

      <PagedList
        query={list}
        pages={pages}
        skeleton={<JobTableSkeleton />}
        what="jobs"
        empty={
          status ? (
            <EmptyState
              title="No jobs with this status"
              description="Nothing matches this filter."
              action={
                <Button variant="secondary" onClick={() => setStatus("")}>
                  Show all jobs
                </Button>
              }
            />
          ) : (
            <EmptyState
              title="No jobs yet"
              description="Launch a job to train, fine-tune or run inference from your checkpoints. What it writes to its output directory becomes new checkpoints."
              action={launch || <p className="text-sm text-zinc-500">Your role is read-only; ask a member to launch one.</p>}
            />
          )
        }
      >
        {(data) => <JobTable items={data.items} orgId={me.data?.org.id} />}
      </PagedList>
    </div>
  );
}
