import type { JobResources, JobResponse, ResourceField, RunnerKind } from "@/lib/api/schemas/jobs";

export const runnerLabels: Record<RunnerKind, string> = { local: "Local", slurm: "Slurm", kubernetes: "Kubernetes" };

/** The engine's handle on the job: "Slurm job 42", "Kubernetes Job cairn-train-1", "Local agent pid 4242". */
export function runnerJobLabel(job: Pick<JobResponse, "runner" | "runnerJobId">): string {
  const runner = runnerLabels[job.runner];
  if (!job.runnerJobId) return runner;
  if (job.runner === "slurm") return `Slurm job ${job.runnerJobId}`;
  if (job.runner === "kubernetes") return `Kubernetes Job ${job.runnerJobId}`;
  return `Local agent pid ${job.runnerJobId}`;
}

const plural = (count: number, one: string, many = `${one}s`) => `${count.toLocaleString()} ${count === 1 ? one : many}`;

/** `45 min`, `2 h`, `1 h 30 min`, `3 d`: how a time limit reads. */
export function formatTimeLimit(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  if (minutes % 1440 === 0) return `${minutes / 1440} d`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** What the job asked of its runner in one line: "1 GPU · 4 CPUs · 16 GiB · 2 h limit · partition gpu". */
export function formatResources(resources: JobResources, partition: string | null): string {
  return [
    resources.gpus !== undefined && plural(resources.gpus, "GPU"),
    resources.cpus !== undefined && plural(resources.cpus, "CPU"),
    resources.memoryGb !== undefined && `${resources.memoryGb.toLocaleString()} GiB`,
    resources.timeLimitMinutes !== undefined && `${formatTimeLimit(resources.timeLimitMinutes)} limit`,
    partition && `partition ${partition}`,
  ]
    .filter(Boolean)
    .join(" · ");
}

/** The launch form's words for each field a runner may honour. */
export const resourceFieldLabels: Record<ResourceField, { label: string; unit?: string }> = {
  gpus: { label: "GPUs" },
  cpus: { label: "CPUs" },
  memoryGb: { label: "Memory", unit: "GiB" },
  timeLimitMinutes: { label: "Time limit", unit: "minutes" },
  partition: { label: "Partition" },
  image: { label: "Image" },
};
