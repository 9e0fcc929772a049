import type { JobResponse } from "@/lib/api/schemas/jobs";
import { isJobActive } from "@/lib/query/jobs";
import { JobFact } from "./job-fact";
import { JobHeartbeat } from "./job-heartbeat";
import { formatResources, runnerJobLabel } from "./job-resources";

/** Where the job runs: the runner and its id for the job, what it asked for, the image, the agent's last heartbeat. */
export function JobRunnerFacts({ job }: { job: JobResponse }) {
  const resources = formatResources(job.resources, job.partition);
  return (
    <dl aria-label="Where it runs" className="grid grid-cols-2 gap-4 border-t border-zinc-200 p-4 sm:grid-cols-3 lg:grid-cols-6">
      <JobFact label="Runner">
        {runnerJobLabel(job)}
        {!job.runnerJobId && job.runner !== "local" && isJobActive(job.status) && <span className="text-zinc-500"> · not submitted yet</span>}
      </JobFact>
      <JobFact label="Agent">
        <JobHeartbeat at={job.lastHeartbeatAt} status={job.status} />
      </JobFact>
      <JobFact label="Resources" className="col-span-2">
        {resources || <span className="text-zinc-500">{job.runner === "local" ? "Shares the Cairn server" : `${job.runner === "slurm" ? "Slurm" : "Cluster"} defaults`}</span>}
      </JobFact>
      {job.image && (
        <JobFact label="Image" className="col-span-2">
          <span className="font-mono text-xs break-all">{job.image}</span>
        </JobFact>
      )}
    </dl>
  );
}
