import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { config } from "@/lib/config";
import type { Job } from "@/lib/db/schema";
import { AGENT_LOOP, agentEnvironment, fenceDataDir, prepareJobDir } from "../agent-launch";
import { RunnerRefusal, type AgentLaunch, type EngineState, type JobRunner } from "../runner";

const run = promisify(execFile);

/** Slurm's job states that mean the job is over (`squeue -o %T`, `scontrol show job`). */
const ENDED = new Set(["COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "SPECIAL_EXIT", "REVOKED"]);
const PENDING = new Set(["PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"]);

/** A value in single quotes for the batch script. */
const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** sbatch's words without its prefix: "Batch job submission failed: Requested node configuration is not available". */
function slurmWords(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.replace(/^sbatch: error: /, "").trim()).filter(Boolean);
  return lines.at(-1) ?? "sbatch refused the job.";
}

/** Slurm's view of a state and reason as Cairn's. */
function engineState(state: string, reason: string): EngineState {
  const words = reason && reason !== "None" && reason !== "(null)" ? reason : null;
  if (PENDING.has(state)) return { state: "pending", reason: words };
  if (ENDED.has(state)) return { state: "ended", reason: state };
  return { state: "running", reason: null };
}

/**
 * Runs each job's agent as a Slurm batch job (`sbatch`), with the job's partition, time limit,
 * CPUs, memory and GPUs (`--gres=gpu:N`). The job directory lives under `CAIRN_SLURM_WORK_DIR`, a
 * path the server and the compute nodes share; the batch script exports only the agent's own
 * variables (`--export=NONE`), so none of the server's environment reaches the cluster.
 */
export class SlurmRunner implements JobRunner {
  readonly kind = "slurm" as const;
  readonly accepts = ["gpus", "cpus", "memoryGb", "timeLimitMinutes", "partition"] as const;
  readonly queuesJobs = false;

  async submit(launch: AgentLaunch): Promise<{ runnerJobId: string }> {
    const cfg = config();
    const job = await prepareJobDir(cfg.slurm.workDir, launch);
    if (cfg.jobUid !== null && cfg.jobUid !== 0) fenceDataDir(cfg.dataDir, cfg.slurm.workDir);
    const env = agentEnvironment(launch, job);
    const [command, ...args] = cfg.agentCommand;
    const script = path.join(job.stateDir, "job.sbatch");
    writeFileSync(
      script,
      [
        "#!/bin/sh",
        "# Written by Cairn: starts the job's agent, which runs the command and reports to Cairn.",
        ...Object.entries(env).map(([key, value]) => `export ${key}=${quote(value)}`),
        `exec /bin/sh -c ${quote(AGENT_LOOP)} cairn-agent ${[command ?? process.execPath, ...args, "job", "agent"].map(quote).join(" ")}`,
        "",
      ].join("\n"),
      { mode: 0o700 },
    );
    const { job: row } = launch;
    const options = [
      "--parsable",
      `--job-name=cairn-${row.name}`,
      `--output=${path.join(job.stateDir, "slurm-%j.out")}`,
      `--chdir=${job.dir}`,
      "--export=NONE",
      ...(row.partition || cfg.slurm.partition ? [`--partition=${row.partition ?? cfg.slurm.partition}`] : []),
      ...(row.resources.timeLimitMinutes ? [`--time=${row.resources.timeLimitMinutes}`] : []),
      ...(row.resources.cpus ? [`--cpus-per-task=${row.resources.cpus}`] : []),
      ...(row.resources.memoryGb ? [`--mem=${Math.ceil(row.resources.memoryGb * 1024)}M`] : []),
      ...(row.resources.gpus ? [`--gres=gpu:${row.resources.gpus}`] : []),
    ];
    try {
      const { stdout } = await run("sbatch", [...options, script], { timeout: 30_000 });
      const id = stdout.trim().split(";")[0] ?? "";
      if (!/^\d+$/.test(id)) throw new Error(`sbatch answered '${stdout.trim()}'`);
      return { runnerJobId: id };
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stderr?: string };
      if (failure.code === "ENOENT") throw new RunnerRefusal("sbatch is not installed on the Cairn server. Install Slurm's client tools or set CAIRN_JOB_RUNNER.", "resources");
      if (typeof failure.stderr === "string" && failure.stderr.trim()) {
        const words = slurmWords(failure.stderr);
        throw new RunnerRefusal(`Slurm refused the job: ${words}`, /partition/i.test(words) && row.partition ? "partition" : "resources");
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
