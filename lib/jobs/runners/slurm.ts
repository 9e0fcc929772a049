import "server-only";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Job } from "@/lib/db/schema";
import { RunnerRefusal, type AgentLaunch, type EngineState, type JobRunner } from "../runner";
import { engineState, prepareBatchJob, refusedField, sbatchEnvironment, sbatchOptions } from "./slurm-script";

const run = promisify(execFile);

/** sbatch's words without its prefix: "Batch job submission failed: Requested node configuration is not available". */
function slurmWords(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.replace(/^sbatch: error: /, "").trim()).filter(Boolean);
  return lines.at(-1) ?? "sbatch refused the job.";
}

/**
 * Runs each job's agent as a Slurm batch job (`sbatch`), with the job's partition, time limit,
 * CPUs, memory and GPUs (`--gres=gpu:N`). The job directory lives under `CAIRN_SLURM_WORK_DIR`, a
 * path the server and the compute nodes share; the batch script exports only the agent's own
 * variables, and sbatch runs with a clean environment, so none of the server's reaches the cluster.
 */
export class SlurmRunner implements JobRunner {
  readonly kind = "slurm" as const;
  readonly accepts = ["gpus", "cpus", "memoryGb", "timeLimitMinutes", "partition"] as const;
  readonly queuesJobs = false;

  async submit(launch: AgentLaunch): Promise<{ runnerJobId: string }> {
    const { scriptPath, spec } = await prepareBatchJob(launch);
    const options = sbatchOptions(spec);
    try {
      const { stdout } = await run("sbatch", [...options, scriptPath], { timeout: 30_000, env: sbatchEnvironment() });
      const id = stdout.trim().split(";")[0] ?? "";
      if (!/^\d+$/.test(id)) throw new Error(`sbatch answered '${stdout.trim()}'`);
      return { runnerJobId: id };
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stderr?: string };
      if (failure.code === "ENOENT") throw new RunnerRefusal("sbatch is not installed on the Cairn server. Install Slurm's client tools or set CAIRN_JOB_RUNNER.", "resources");
      if (typeof failure.stderr === "string" && failure.stderr.trim()) {
        const words = slurmWords(failure.stderr);
        throw new RunnerRefusal(`Slurm refused the job: ${words}`, refusedField(words, launch.job));
      }
      throw error;
    }
  }

  async cancel(job: Job, { pending }: { pending: boolean }): Promise<void> {
    if (!job.runnerJobId) return;
    // A running job's agent gets SIGTERM (its *Stop*) and ends the job itself after a final capture.
    const args = pending ? [job.runnerJobId] : ["--signal=TERM", "--full", job.runnerJobId];
    await run("scancel", args, { timeout: 30_000 }).catch((error: unknown) => console.error(`scancel ${job.runnerJobId} failed`, error));
  }

  async inspect(jobs: Job[]): Promise<Map<string, EngineState>> {
    const states = new Map<string, EngineState>();
    const ids = jobs.map((j) => j.runnerJobId).filter((id): id is string => Boolean(id));
    if (ids.length === 0) return states;
    const byId = new Map<string, EngineState>();
    try {
      const { stdout } = await run("squeue", ["-h", `--jobs=${ids.join(",")}`, "-o", "%i|%T|%r"], { timeout: 30_000 });
      for (const line of stdout.split("\n")) {
        const [id, state, reason] = line.trim().split("|");
        if (id && state) byId.set(id, engineState(state, reason ?? ""));
      }
    } catch {
      // squeue refuses the whole list when one id has left its memory; ask for each below.
    }
    for (const id of ids.filter((i) => !byId.has(i))) {
      const { stdout } = await run("scontrol", ["show", "job", "-o", id], { timeout: 30_000 }).catch(() => ({ stdout: "" }));
      const state = /JobState=(\S+)/.exec(stdout)?.[1];
      if (state) byId.set(id, engineState(state, /Reason=(\S+)/.exec(stdout)?.[1] ?? ""));
    }
    for (const job of jobs) states.set(job.id, (job.runnerJobId && byId.get(job.runnerJobId)) || { state: "unknown" });
    return states;
  }
}
