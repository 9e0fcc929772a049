import type { LogStream } from "./kinds";
import type { MountInput } from "./mounts";

/** Everything a runner needs to start a job; it knows nothing of the database. */
export type JobSpec = {
  jobId: string;
  command: string[];
  /** The user's variables; the runner adds the FLEXAI_* / TRAINML_* ones. */
  env: Record<string, string>;
  inputs: MountInput[];
};

export type JobExit = {
  exitCode: number | null;
  signal: string | null;
  /** The runner could not start the process at all (command not found, mount failure). */
  error?: string;
};

export type JobEvents = {
  line(stream: LogStream, message: string): void;
  exited(exit: JobExit): void;
};

export type StartedJob = {
  /** The process (group) id when the runner has one, so recovery can find orphans. */
  pid: number | null;
  /** The output directory on this machine, when the runner's outputs are local (capture scans it). */
  outputDir: string | null;
};

/**
 * A way to run jobs. The local runner forks processes on this machine; a Kubernetes runner would
 * map the same calls onto Jobs (see docs/kubernetes-runner.md).
 */
export interface JobRunner {
  readonly kind: "local";
  start(spec: JobSpec, events: JobEvents): Promise<StartedJob>;
  /** SIGTERM, then SIGKILL after `graceSeconds`. False when the job does not run here. */
  stop(jobId: string, graceSeconds: number): boolean;
  /** Gets ready ahead of the first job (the local runner starts its launcher process). */
  warm?(): void;
  /** Removes what the job left on this machine (inputs, outputs) once its outputs are captured. */
  cleanup(jobId: string): Promise<void>;
}

export const JOB_ENV = {
  input: "FLEXAI_INPUT_CHECKPOINT_DIR",
  output: "FLEXAI_OUTPUT_CHECKPOINT_DIR",
  first: "TRAINML_CHECKPOINT_PATH",
} as const;
