import "server-only";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { config } from "@/lib/config";
import type { Job } from "@/lib/db/schema";
import { AGENT_LOOP, agentEnvironment, fenceDataDir, prepareJobDir } from "../agent-launch";
import type { AgentLaunch, EngineState } from "../runner";

/**
 * What the two Slurm runners share (`sbatch` in slurm.ts, slurmrestd in slurm-rest.ts): the job
 * directory and batch script, the job's Slurm options, and how Slurm's states read as Cairn's.
 */

/** Slurm's job states that mean the job is over (`squeue -o %T`, `scontrol show job`, REST `job_state`). */
const ENDED = new Set(["COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "SPECIAL_EXIT", "REVOKED"]);
const PENDING = new Set(["PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"]);

/** A value in single quotes for the batch script. */
const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** Slurm's view of a state and reason as Cairn's. */
export function engineState(state: string, reason: string): EngineState {
  const words = reason && reason !== "None" && reason !== "(null)" ? reason : null;
  if (PENDING.has(state)) return { state: "pending", reason: words };
  if (ENDED.has(state)) return { state: "ended", reason: state };
  return { state: "running", reason: null };
}

/** The job field Slurm's refusal is about: its partition when the words name one, else its resources. */
export function refusedField(words: string, job: Job): "partition" | "resources" {
  return /partition/i.test(words) && job.partition ? "partition" : "resources";
}

/** The job's Slurm options, whichever way they reach Slurm (sbatch flags, REST fields). */
export type SlurmJobSpec = {
  /** `cairn-<job name>`. */
  name: string;
  partition: string | null;
  timeLimitMinutes: number | null;
  cpusPerTask: number | null;
  /** Memory per node in MiB (the job asks in GB). */
  memoryMb: number | null;
  /** GPUs per node, as `gres` `gpu:N`. */
  gpus: number | null;
  /** The job's directory, the batch script's working directory. */
  workDir: string;
  /** Slurm's own output for the batch script (`%j` is the job id), in the state directory. */
  output: string;
};

/** A job directory ready for Slurm: the batch script written (and returned), and the job's options. */
export type SlurmBatchJob = {
  /** Path of the batch script, `<job dir>/<state dir>/job.sbatch`. */
  scriptPath: string;
  /** Its text, for runners that hand Slurm the script itself (slurmrestd). */
  script: string;
  /** The agent's environment, which the script exports. */
  env: Record<string, string>;
  spec: SlurmJobSpec;
};

/**
 * Prepares the job directory under `CAIRN_SLURM_WORK_DIR` (a path the server and the compute nodes
 * share) and writes the batch script: it exports only the agent's own variables and execs the
 * agent's restart loop, so nothing of the server's environment need reach the cluster.
 */
export async function prepareBatchJob(launch: AgentLaunch): Promise<SlurmBatchJob> {
  const cfg = config();
  const job = await prepareJobDir(cfg.slurm.workDir, launch);
  if (cfg.jobUid !== null && cfg.jobUid !== 0) fenceDataDir(cfg.dataDir, cfg.slurm.workDir);
  const env = agentEnvironment(launch, job);
  const [command, ...args] = cfg.agentCommand;
  const scriptPath = path.join(job.stateDir, "job.sbatch");
  const script = [
    "#!/bin/sh",
    "# Written by Cairn: starts the job's agent, which runs the command and reports to Cairn.",
    ...Object.entries(env).map(([key, value]) => `export ${key}=${quote(value)}`),
    `exec /bin/sh -c ${quote(AGENT_LOOP)} cairn-agent ${[command ?? process.execPath, ...args, "job", "agent"].map(quote).join(" ")}`,
    "",
  ].join("\n");
  writeFileSync(scriptPath, script, { mode: 0o700 });
  const { job: row } = launch;
  // An agent started only to finish captures needs no GPUs, CPUs or memory of the job's.
  const resources = launch.resume ? {} : row.resources;
  return {
    scriptPath,
    script,
    env,
    spec: {
      name: `cairn-${row.name}${launch.resume ? "-captures" : ""}`,
      partition: row.partition || cfg.slurm.partition || null,
      timeLimitMinutes: resources.timeLimitMinutes || null,
      cpusPerTask: resources.cpus || null,
      memoryMb: resources.memoryGb ? Math.ceil(resources.memoryGb * 1024) : null,
      gpus: resources.gpus || null,
      workDir: job.dir,
      output: path.join(job.stateDir, "slurm-%j.out"),
    },
  };
}

/**
 * The spec as `sbatch` flags. The job's environment is what `sbatchEnvironment` gives sbatch
 * (`--export=ALL` of a clean environment): `--export=NONE` or `NIL` would keep the server's out
 * too, but they cost slurmd ~1.2 s per job on 22.05 (measured: 2.1 s to a first line against 0.87 s).
 */
export function sbatchOptions(spec: SlurmJobSpec): string[] {
  return [
    "--parsable",
    `--job-name=${spec.name}`,
    `--output=${spec.output}`,
    `--chdir=${spec.workDir}`,
    "--export=ALL",
    ...(spec.partition ? [`--partition=${spec.partition}`] : []),
    ...(spec.timeLimitMinutes ? [`--time=${spec.timeLimitMinutes}`] : []),
    ...(spec.cpusPerTask ? [`--cpus-per-task=${spec.cpusPerTask}`] : []),
    ...(spec.memoryMb ? [`--mem=${spec.memoryMb}M`] : []),
    ...(spec.gpus ? [`--gres=gpu:${spec.gpus}`] : []),
  ];
}

/** Slurm's own settings of the server's environment (SLURM_CONF, …) and PATH: all sbatch passes on to the job. */
export function sbatchEnvironment(): NodeJS.ProcessEnv {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && (key.startsWith("SLURM_") || key === "PATH" || key === "LANG" || key === "TZ")) env[key] = value;
  }
  return env as NodeJS.ProcessEnv;
}
