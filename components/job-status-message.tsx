import type { ReactNode } from "react";
import type { JobResponse } from "@/lib/api/schemas/jobs";
import { runnerLabels } from "./job-resources";
import { cn } from "./ui/cn";

/** The supervisor's word for a job whose agent went silent (lib/jobs/supervisor.ts). */
export const AGENT_LOST = "agent lost";

/** What the common Slurm pending reasons mean, for people who do not read squeue every day. */
const slurmReasons: Record<string, string> = {
  Resources: "The GPUs, CPUs or memory it asks for are in use by other jobs; it starts when they are free.",
  Priority: "Jobs ahead of it in the queue go first.",
  Dependency: "It waits for another job to finish.",
  ReqNodeNotAvail: "The nodes it needs are down, drained or reserved.",
  PartitionTimeLimit: "Its time limit is longer than the partition allows; it will not start unless the limit is lowered.",
  PartitionDown: "Its partition is down.",
  JobHeldUser: "It is held; release it with scontrol release.",
  JobHeldAdmin: "An administrator is holding it.",
  BeginTime: "It is scheduled to start later.",
};

const tones = {
  neutral: "border-zinc-200 bg-zinc-50 text-zinc-700",
  warning: "border-amber-200 bg-amber-50 text-amber-800",
  danger: "border-red-200 bg-red-50 text-red-800",
};

function Box({ tone, alert, children }: { tone: keyof typeof tones; alert?: boolean; children: ReactNode }) {
  return (
    <div role={alert ? "alert" : "status"} className={cn("rounded-lg border p-4 text-sm", tones[tone])}>
      {children}
    </div>
  );
}

/** The engine's own word (`OOMKilled`, `TIMEOUT`), set apart so it can be searched for. */
function EngineWord({ job }: { job: JobResponse }) {
  return (
    <span
      title={`What ${runnerLabels[job.runner]} says of the job`}
      className="rounded bg-white/70 px-1.5 py-0.5 font-mono text-xs font-medium ring-1 ring-current/20 ring-inset"
    >
      {job.statusMessage}
    </span>
  );
}

/**
 * Why the job is where it is: its place in the engine's queue (Slurm's pending reason), the failure
 * and the engine's word on it, an agent that stopped reporting, or how it stopped.
 */
export function JobStatusMessage({ job }: { job: JobResponse }) {
  const engine = runnerLabels[job.runner];

  if (job.status === "queued" && job.statusMessage) {
    const explained = job.runner === "slurm" ? slurmReasons[job.statusMessage] : undefined;
    return (
      <Box tone="neutral">
        <p className="font-semibold">
          {job.runner === "slurm" ? "Waiting in Slurm's queue: " : "Waiting: "}
          <span className="font-mono">{job.statusMessage}</span>
        </p>
        {explained && <p className="mt-0.5">{explained}</p>}
        {job.message && <p className="mt-0.5">{job.message}</p>}
      </Box>
    );
  }

  if (job.status === "failed" && job.statusMessage === AGENT_LOST) {
    return (
      <Box tone="danger" alert>
        <p className="font-semibold">The job&apos;s agent stopped reporting</p>
        <p className="mt-0.5">
          Cairn heard nothing more from the agent running this job on {job.runner === "local" ? "the Cairn server" : engine}, so it marked the job
          failed. What the job wrote is kept where it ran: checkpoints already captured stay, and failed captures can be retried.
        </p>
        {job.message && <p className="mt-1.5 text-xs text-red-700">{job.message}</p>}
      </Box>
    );
  }

  if (job.status === "failed") {
    return (
      <Box tone="danger" alert>
        <p className="flex flex-wrap items-center gap-2 font-semibold">
          This job failed
          {job.statusMessage && <EngineWord job={job} />}
        </p>
        <p className="mt-0.5">{job.message ?? `It exited with code ${job.exitCode ?? "unknown"}; the logs say why.`}</p>
      </Box>
    );
  }

  if (!job.message && !job.statusMessage) return null;
  return (
    <Box tone={job.status === "stopped" ? "warning" : "neutral"}>
      <p className="flex flex-wrap items-center gap-2">
        {job.message ?? `${engine} says:`}
        {job.statusMessage && <EngineWord job={job} />}
      </p>
    </Box>
  );
}
