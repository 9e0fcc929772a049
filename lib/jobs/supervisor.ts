import "server-only";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { config } from "@/lib/config";
import { getDb, type Db } from "@/lib/db/client";
import { dropLease, takeLease } from "@/lib/db/queries/leases";
import { insertJobLogs, releaseAttachments, submittedJobs, updateJob } from "@/lib/db/queries/jobs";
import type { Job } from "@/lib/db/schema";
import type { EngineState, JobRunner } from "./runner";
import { jobRunner } from "./runners";
import { localQueue } from "./scheduler";
import { notifyJobFinished } from "@/lib/webhooks/events";

const LEASE = "job-supervision";
const EVERY_MS = 5_000;
/** Long enough for a holder that died to be replaced soon, well past one pass of a live one. */
const LEASE_SECONDS = 20;
/** An engine that says a job ended gives its agent this long to have said so itself first. */
const AGENT_REPORT_GRACE_MS = 15_000;

export const AGENT_LOST = "agent lost";

const ENGINES: Record<JobRunner["kind"], string> = { local: "the local runner", slurm: "Slurm", kubernetes: "Kubernetes" };

async function fail(db: Db, job: Job, message: string, statusMessage: string): Promise<void> {
  const now = new Date();
  const row = await updateJob(db, { id: job.id, onlyIf: [job.status] }, { status: "failed", message, statusMessage, finishedAt: now });
  if (!row) return;
  await insertJobLogs(db, [{ jobId: job.id, stream: "system", message: `Failed: ${message}`, at: now }]);
  await releaseAttachments(db, { jobId: job.id });
  await notifyJobFinished(row, db);
  void localQueue()?.kick();
}

/**
 * One supervision pass over the jobs handed to the runner: a job waiting in the engine's queue
 * shows the engine's reason; one the engine ended before its agent started fails with the
 * engine's words; a running job whose agent has been silent past `CAIRN_AGENT_LOST_SECONDS` fails
 * as "agent lost", its files left where they are (its captures can still be retried).
 */
export async function superviseJobs(db: Db, runner: JobRunner, now = Date.now()): Promise<void> {
  const jobs = (await submittedJobs(db)).filter((job) => job.runner === runner.kind);
  if (jobs.length === 0) return;
  const states = await runner.inspect(jobs);
  const lostAfterMs = config().agentLostSeconds * 1000;
  for (const job of jobs) {
    const engine: EngineState = states.get(job.id) ?? { state: "unknown" };
    if (job.status === "queued") {
      if (engine.state === "pending" && engine.reason !== job.statusMessage) {
        await updateJob(db, { id: job.id, onlyIf: ["queued"] }, { statusMessage: engine.reason });
      } else if (engine.state === "ended" && now - (job.submittedAt?.getTime() ?? now) > AGENT_REPORT_GRACE_MS) {
        const how = engine.reason ? ` (${engine.reason})` : "";
        await fail(db, job, `${ENGINES[runner.kind]} ended the job before its agent started${how}. The agent's log in the job's directory says why.`, engine.reason ?? AGENT_LOST);
      }
      continue;
    }
    const lastSign = (job.heartbeatAt ?? job.startedAt ?? job.submittedAt)?.getTime() ?? now;
    if (now - lastSign > lostAfterMs) {
      const seconds = Math.round((now - lastSign) / 1000);
      await fail(db, job, `The job's agent stopped reporting ${seconds} s ago. Its files are kept where they are; failed captures can still be retried.`, AGENT_LOST);
    } else if (engine.state !== "unknown" && engine.state !== "pending" && engine.reason && engine.reason !== job.statusMessage) {
      await updateJob(db, { id: job.id, onlyIf: ["running"] }, { statusMessage: engine.reason });
    }
  }
}

/**
 * Runs supervision in whichever process holds the lease (any server or `npm run worker` on one
 * Postgres): no job is supervised twice, and when the holder dies the lease lapses and another
 * process takes over within `LEASE_SECONDS`.
 */
export class JobSupervisor {
  readonly holder = `${os.hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly runner: () => JobRunner = jobRunner,
    private readonly db: () => Promise<Db> = getDb,
  ) {}

  /** One pass if this process holds (or takes) the lease; true when it did supervise. */
  async tick(): Promise<boolean> {
    const db = await this.db();
    if (!(await takeLease(db, { name: LEASE, holder: this.holder, seconds: LEASE_SECONDS }))) return false;
    await superviseJobs(db, this.runner());
    return true;
  }

  start(everyMs = EVERY_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.tick()
        .then(() => undefined)
        .catch((error) => console.error("job supervision failed", error))
        .finally(() => (this.running = null));
    }, everyMs);
    this.timer.unref();
  }

  /** Stops and gives the lease up, so another process need not wait for it to lapse. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await dropLease(await this.db(), { name: LEASE, holder: this.holder }).catch(() => {});
  }
}
