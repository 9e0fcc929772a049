import "server-only";
import { ApiError } from "@/lib/api/errors";
import { config } from "@/lib/config";
import { decryptSecret } from "@/lib/connections/crypto";
import { getDb, type Db } from "@/lib/db/client";
import { attachmentsOf, claimQueuedJob, insertJobLogs, releaseAttachments, updateJob } from "@/lib/db/queries/jobs";
import type { Job } from "@/lib/db/schema";
import { envContext, mintAgentToken } from "./agent-token";
import { RunnerRefusal, type JobRunner } from "./runner";
import { jobRunner } from "./runners";
import { notifyJobFinished } from "@/lib/webhooks/events";

/**
 * Hands a job to its runner: mints the agent's token, lets the engine take the job and records its
 * id. The engine's refusal is a 422 in its own words (the caller's transaction then keeps nothing).
 */
export async function submitJob(db: Db, runner: JobRunner, job: Job, { resume = false } = {}): Promise<Job> {
  const token = await mintAgentToken(db, job);
  const env = decryptSecret(job.envCiphertext, envContext(job.orgId, job.id));
  const [first] = await attachmentsOf(db, { jobIds: [job.id] });
  try {
    const { runnerJobId } = await runner.submit({ job, token, serverUrl: config().agentServerUrl, env, resume, firstInput: first?.mountName ?? null });
    const row = await updateJob(db, { id: job.id }, { runnerJobId, submittedAt: job.submittedAt ?? new Date(), ...(resume ? {} : { message: null }) });
    return row ?? job;
  } catch (error) {
    if (RunnerRefusal.is(error)) throw new ApiError("validation_failed", error.message, { fields: { [error.field]: error.message } });
    throw error;
  }
}

/**
 * The local runner's queue: hands queued jobs to agents on this machine, at most
 * `CAIRN_MAX_RUNNING_JOBS` at a time (claimed from the database, so several servers can share one
 * queue, each starting agents on its own machine). Engines with a queue of their own get their
 * jobs when they are created and never pass through here.
 */
export class LocalQueue {
  private pumping: Promise<void> | null = null;
  private wanted = false;

  constructor(
    private readonly runner: JobRunner,
    private readonly host: string,
    private readonly db: () => Promise<Db> = getDb,
  ) {}

  /** Starts whatever queued jobs fit now. Cheap to call often. */
  kick(): Promise<void> {
    this.wanted = true;
    // A kick during a pass asks for another pass, so a job queued just after a claim found none still starts.
    this.pumping ??= (async () => {
      try {
        while (this.wanted) {
          this.wanted = false;
          await this.pump();
        }
      } catch (error) {
        console.error("job queue could not start queued jobs", error);
      } finally {
        this.pumping = null;
      }
    })();
    return this.pumping;
  }

  /** Servers sharing one Postgres: look for queued jobs now and then, not only when asked. */
  startPolling(everyMs = 5_000): void {
    setInterval(() => void this.kick(), everyMs).unref();
  }

  private async pump(): Promise<void> {
    const db = await this.db();
    for (;;) {
      const job = await claimQueuedJob(db, { instance: this.host, maxRunning: config().maxRunningJobs });
      if (!job) return;
      try {
        await submitJob(db, this.runner, job);
      } catch (error) {
        const message = `The job could not start: ${error instanceof Error ? error.message : String(error)}`;
        const failed = await updateJob(db, { id: job.id, onlyIf: ["queued"] }, { status: "failed", message, finishedAt: new Date(), agentTokenExpiresAt: new Date() });
        if (failed) {
          await insertJobLogs(db, [{ jobId: job.id, stream: "system", message, at: new Date() }]);
          await releaseAttachments(db, { jobId: job.id });
          await notifyJobFinished(failed, db);
        }
      }
    }
  }
}

const globalForQueue = globalThis as unknown as { cairnLocalQueue?: LocalQueue | null };

/** This process's local queue, or null when the deployment's runner has a queue of its own. */
export function localQueue(): LocalQueue | null {
  if (globalForQueue.cairnLocalQueue === undefined) {
    const runner = jobRunner();
    globalForQueue.cairnLocalQueue = runner.queuesJobs && runner.host ? new LocalQueue(runner, runner.host) : null;
  }
  return globalForQueue.cairnLocalQueue;
}

/** Lets tests switch runners within one process. */
export function resetLocalQueue(): void {
  globalForQueue.cairnLocalQueue = undefined;
}
