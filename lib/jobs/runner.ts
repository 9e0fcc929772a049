import type { Job } from "@/lib/db/schema";
import type { ResourceField, RunnerKind } from "./kinds";

/** Everything a runner needs to start a job's agent somewhere. */
export type AgentLaunch = {
  job: Job;
  /** The job-scoped token, in clear only here: the runner hands it to the agent and keeps no copy. */
  token: string;
  /** Where the agent reaches the API. */
  serverUrl: string;
  /** The user's variables, for runners that pass them through the engine (a Kubernetes Secret). */
  env: Record<string, string>;
  /** The job ran before (a capture retry, a relaunch): the agent picks up what the last one left. */
  resume: boolean;
  /** The first attached checkpoint's directory name (`TRAINML_CHECKPOINT_PATH`), for runners that set the variable themselves. */
  firstInput: string | null;
};

/** What the engine says of a job, for supervision. */
export type EngineState =
  /** Waiting in the engine's queue; `reason` in the engine's own words (Slurm's `Resources`). */
  | { state: "pending"; reason: string | null }
  | { state: "running"; reason: string | null }
  /** Over in the engine, whatever the agent said: `reason` says how (`TIMEOUT`, `OOMKilled`). */
  | { state: "ended"; reason: string | null }
  /** The engine could not be asked, or no longer knows the job. */
  | { state: "unknown" };

/** The engine refused the job (too many GPUs for a partition, a bad image): its words become a 422. */
const REFUSAL = Symbol.for("cairn.runnerRefusal");

export class RunnerRefusal extends Error {
  readonly [REFUSAL] = true;

  constructor(
    message: string,
    /** The job field the engine objected to, or `resources` when its words name none. */
    readonly field: ResourceField | "resources",
  ) {
    super(message);
    this.name = "RunnerRefusal";
  }

  /**
   * Tells a refusal by its brand, not by `instanceof`: the runner is one per process (on
   * globalThis), and in a Next.js build the bundle that made it may hold another copy of this class.
   */
  static is(error: unknown): error is RunnerRefusal {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[REFUSAL] === true;
  }
}

/**
 * A way to run jobs. Every runner starts the same agent (`cairn job agent`) next to the user's
 * command, and the agent does the rest over HTTP (inputs, logs, captures, heartbeats, *Stop*), so
 * a runner only maps three calls onto its engine.
 */
export interface JobRunner {
  readonly kind: RunnerKind;
  /** The job fields this runner honours; any other one given is a 422 naming it. */
  readonly accepts: readonly ResourceField[];
  /**
   * Whether Cairn queues jobs itself (`CAIRN_MAX_RUNNING_JOBS` per machine) before handing them to
   * this runner; engines with a queue of their own (Slurm, Kubernetes) get every job at once.
   */
  readonly queuesJobs: boolean;
  /** The machine this runner starts agents on, for runners that queue jobs (the slots count per machine). */
  readonly host?: string;
  /**
   * Hands the job to the engine. Resolves with the engine's id for it once the engine accepted it
   * (the agent may still wait in its queue); rejects with `RunnerRefusal` when the engine says no.
   */
  submit(launch: AgentLaunch): Promise<{ runnerJobId: string }>;
  /**
   * Asks the engine to end the job: a pending one is cancelled; a running one's agent gets SIGTERM
   * (it stops the command, SIGKILL after the grace period, and runs a final capture). Never throws
   * for a job the engine no longer knows.
   */
  cancel(job: Job, opts: { pending: boolean }): Promise<void>;
  /** The engine's view of each job (by `runnerJobId`); jobs it cannot tell about are `unknown`. */
  inspect(jobs: Job[]): Promise<Map<string, EngineState>>;
  /** Removes what the engine keeps of a job that ended (a Kubernetes Secret). Optional. */
  release?(job: Job): Promise<void>;
}
