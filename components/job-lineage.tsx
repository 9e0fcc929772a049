"use client";

import { LineagePanel } from "./lineage-panel";

/** The job page's lineage: the checkpoints it used and produced, and onward. */
export function JobLineage({ jobId }: { jobId: string }) {
  return (
    <section aria-labelledby="job-lineage-heading" className="rounded-lg border border-zinc-200 bg-white p-4 shadow-sm">
      <h2 id="job-lineage-heading" className="text-sm font-semibold text-zinc-900">
        Lineage
      </h2>
      <div className="mt-2">
        <LineagePanel kind="job" entityRef={jobId} />
      </div>
    </section>
  );
}
