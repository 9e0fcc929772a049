import "server-only";
import { config } from "@/lib/config";
import type { Job } from "@/lib/db/schema";
import { RunnerRefusal, type AgentLaunch, type EngineState, type JobRunner } from "../runner";
import { engineState, prepareBatchJob, refusedField, type SlurmJobSpec } from "./slurm-script";

/**
 * The version of slurmrestd's job API this runner speaks: the newest one Slurm 22.05 serves (23.02
 * serves it too; 23.11 dropped it). Its paths are `/slurm/v0.0.38/job/submit`, `/slurm/v0.0.38/job/{id}`.
 */
export const SLURM_REST_VERSION = "v0.0.38";
const TIMEOUT_MS = 30_000;
/** How many jobs `inspect` asks about at once. */
const INSPECT_CONCURRENCY = 8;
const FALLBACK_PATH = "/usr/local/bin:/usr/bin:/bin";
/** ESLURM_INVALID_JOB_ID: the job has left slurmctld's memory, or never was. */
const INVALID_JOB_ID = 2017;
/** SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT: slurmctld hung up on slurmrestd, its answer to a token it does not accept. */
const ZERO_BYTES = 5005;

/** An entry of an answer's `errors`: submit says `error_code`, the job calls `error_number`; `description` gives details. */
type SlurmError = { error?: string; description?: string; error_code?: number; error_number?: number };
type Answer<T> = { status: number; body: Partial<T> & { errors?: SlurmError[] }; text: string };
type SubmitAnswer = { job_id: number; job_submit_user_msg: string };
type JobAnswer = { jobs: { job_id: number; job_state: string; state_reason?: string }[] };

const errorNumber = (error: SlurmError) => error.error_code ?? error.error_number;

/** Slurm's words from an answer's `errors`: each one's details where given, else its message. */
function slurmWords(errors: SlurmError[]): string | null {
  const words = [...new Set(errors.map((e) => (e.description || e.error || "").trim()).filter(Boolean))];
  return words.length > 0 ? words.join("; ") : null;
}

/** The user a token from `scontrol token` was made for (its `sun` claim), when CAIRN_SLURM_REST_USER does not say. */
function tokenUser(token: string): string | null {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { sun?: unknown };
    return typeof claims.sun === "string" && claims.sun ? claims.sun : null;
  } catch {
    return null;
  }
}

/**
 * The job's options as v0.0.38 `job` properties. `environment` is required by slurmrestd ("environment
 * must be set"); like the CLI runner's clean sbatch environment it carries nothing of the server's but PATH, since the
 * batch script exports the agent's variables itself. GPUs go as `gres` (slurmctld records them as
 * `tres_per_node` `gres:gpu:N`, as for `--gres=gpu:N`); `tres_per_node` is not a field slurmrestd takes.
 */
export function restJobProperties(spec: SlurmJobSpec, env: Record<string, string>): Record<string, unknown> {
  return {
    name: spec.name,
    current_working_directory: spec.workDir,
    standard_output: spec.output,
    environment: { PATH: env.PATH || FALLBACK_PATH },
    ...(spec.partition ? { partition: spec.partition } : {}),
    ...(spec.timeLimitMinutes ? { time_limit: spec.timeLimitMinutes } : {}),
    ...(spec.cpusPerTask ? { cpus_per_task: spec.cpusPerTask } : {}),
    ...(spec.memoryMb ? { memory_per_node: spec.memoryMb } : {}),
    ...(spec.gpus ? { gres: `gpu:${spec.gpus}` } : {}),
  };
}

async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

/**
 * Runs each job's agent as a Slurm batch job submitted through slurmrestd (`CAIRN_SLURM_REST_URL`),
 * with the same job directory, batch script and options as the `sbatch` runner: the Cairn server
 * needs no Slurm client tools, munge or slurm.conf, only the REST API and a JWT
 * (`CAIRN_SLURM_REST_TOKEN`, from `scontrol token`, sent as `X-SLURM-USER-TOKEN` with
 * `CAIRN_SLURM_REST_USER` as `X-SLURM-USER-NAME`). Jobs run as that user.
 */
export class SlurmRestRunner implements JobRunner {
  readonly kind = "slurm" as const;
  readonly accepts = ["gpus", "cpus", "memoryGb", "timeLimitMinutes", "partition"] as const;
  readonly queuesJobs = false;

  async submit(launch: AgentLaunch): Promise<{ runnerJobId: string }> {
    const { script, env, spec } = await prepareBatchJob(launch);
    const answer = await this.call<SubmitAnswer>("POST", "/job/submit", { script, job: restJobProperties(spec, env) });
    const errors = answer.body.errors ?? [];
    const id = answer.body.job_id;
    if (answer.status < 300 && typeof id === "number" && id > 0) {
      // Accepted with a warning (a job_submit plugin's message, a QOS limit it will wait for).
      if (errors.length > 0) console.warn(`Slurm accepted job ${id} saying: ${slurmWords(errors)}`);
      return { runnerJobId: String(id) };
    }
    const words = slurmWords(errors) ?? `slurmrestd answered ${answer.status} ${answer.text.trim().slice(0, 300)}`;
    const hint = errors.some((e) => errorNumber(e) === ZERO_BYTES)
      ? " (slurmctld hangs up like this on a token it does not accept: check that CAIRN_SLURM_REST_TOKEN is current and made for CAIRN_SLURM_REST_USER)"
      : "";
    throw new RunnerRefusal(`Slurm refused the job: ${words}${hint}`, refusedField(words, launch.job));
  }

  async cancel(job: Job, { pending }: { pending: boolean }): Promise<void> {
    if (!job.runnerJobId) return;
    const id = job.runnerJobId;
    // v0.0.38's DELETE signals the whole job (KILL_FULL_JOB), with SIGKILL unless `signal` says
    // otherwise: a pending job is cancelled; a running one's agent gets SIGTERM (its *Stop*, as
    // `scancel --signal=TERM --full`) and ends the job itself after a final capture.
    const query = pending ? "" : "?signal=TERM";
    try {
      const answer = await this.call("DELETE", `/job/${encodeURIComponent(id)}${query}`);
      const errors = answer.body.errors ?? [];
      if (answer.status < 300 && errors.length === 0) return;
      if (errors.some((e) => errorNumber(e) === INVALID_JOB_ID)) return;
      console.error(`slurmrestd could not cancel job ${id}: ${slurmWords(errors) ?? `${answer.status} ${answer.text.trim().slice(0, 300)}`}`);
    } catch (error) {
      console.error(`slurmrestd could not cancel job ${id}`, error);
    }
  }

  async inspect(jobs: Job[]): Promise<Map<string, EngineState>> {
    const states = new Map<string, EngineState>();
    const ids = [...new Set(jobs.map((j) => j.runnerJobId).filter((id): id is string => Boolean(id)))];
    const byId = new Map<string, EngineState>();
    // One GET per job: `GET /jobs` would list every job of the cluster. A job that has left
    // slurmctld's memory (MinJobAge) is an error answer, and `unknown`, as with `scontrol show job`.
    await eachLimited(ids, INSPECT_CONCURRENCY, async (id) => {
      try {
        const answer = await this.call<JobAnswer>("GET", `/job/${encodeURIComponent(id)}`);
        const found = answer.body.jobs?.find((j) => String(j.job_id) === id);
        if (found?.job_state) byId.set(id, engineState(found.job_state, found.state_reason ?? ""));
      } catch {
        // slurmrestd could not be asked: unknown, like a job it no longer knows.
      }
    });
    for (const job of jobs) states.set(job.id, (job.runnerJobId && byId.get(job.runnerJobId)) || { state: "unknown" });
    return states;
  }

  /**
   * One call to slurmrestd's v0.0.38 API. Slurm's own refusals come back as JSON with `errors`
   * (HTTP 500 for slurmctld's, 400 for what slurmrestd cannot parse), for the caller to read; what
   * stops Cairn reaching Slurm at all (no answer, credentials refused, no v0.0.38) is a
   * `RunnerRefusal` saying what to fix; no answer within 30 s is an error (the job may exist).
   */
  private async call<T>(method: "GET" | "POST" | "DELETE", pathname: string, body?: unknown): Promise<Answer<T>> {
    const { restUrl, restToken, restUser } = config().slurm;
    const base = (restUrl ?? "").replace(/\/+$/, "");
    if (!restToken) throw new RunnerRefusal("CAIRN_SLURM_REST_URL is set but no token is: set CAIRN_SLURM_REST_TOKEN (or SLURM_JWT) to a token from `scontrol token`.", "resources");
    const user = restUser || tokenUser(restToken);
    if (!user) throw new RunnerRefusal("Set CAIRN_SLURM_REST_USER to the user CAIRN_SLURM_REST_TOKEN was made for: slurmrestd wants the name with the token.", "resources");
    const url = `${base}/slurm/${SLURM_REST_VERSION}${pathname}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          "X-SLURM-USER-NAME": user,
          "X-SLURM-USER-TOKEN": restToken,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const failure = error as Error & { cause?: { message?: string } };
      if (failure.name === "TimeoutError") throw new Error(`slurmrestd at ${base} did not answer ${method} ${pathname} within ${TIMEOUT_MS / 1000} s`);
      throw new RunnerRefusal(`Slurm's REST API at ${base} could not be reached (${failure.cause?.message ?? failure.message}): check CAIRN_SLURM_REST_URL.`, "resources");
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new RunnerRefusal(`Slurm's REST API at ${base} refused Cairn's credentials (${response.status} ${text.trim()}): check CAIRN_SLURM_REST_USER and CAIRN_SLURM_REST_TOKEN.`, "resources");
    }
    let parsed: Answer<T>["body"] | null = null;
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === "object") parsed = value as Answer<T>["body"];
    } catch {
      // Not JSON: slurmrestd's plain-text answers ("Unable to parse query.", "Unable find requested URL.").
    }
    if (response.status === 404 && !parsed) {
      throw new RunnerRefusal(`${base} does not serve Slurm's REST API ${SLURM_REST_VERSION} (${text.trim()}); Cairn speaks the version slurmrestd of Slurm 22.05 and 23.02 serves.`, "resources");
    }
    return { status: response.status, body: parsed ?? {}, text };
  }
}
