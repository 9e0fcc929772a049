import { ApiError, notFound } from "@/lib/api/errors";
import { isUuid } from "@/lib/api/schemas/common";
import type { CreateJobInput, JobLogs, JobLogsQuery, ListJobsQuery } from "@/lib/api/schemas/jobs";
import { isUniqueViolation } from "@/lib/auth/accounts";
import type { Caller } from "@/lib/auth/caller";
import { encryptSecret } from "@/lib/connections/crypto";
import type { Db } from "@/lib/db/client";
import {
  filesOfCheckpoints,
  findAttachableCheckpoint,
  findJob,
  hasQueuedJobs,
  insertAttachments,
  insertJob,
  insertJobLogs,
  listJobLogs,
  listJobs,
  releaseAttachments,
  updateJob,
  type JobCursor,
} from "@/lib/db/queries/jobs";
import type { Checkpoint, Job } from "@/lib/db/schema";
import { isComplete } from "@/lib/checkpoints/kinds";
import { presentJob, presentJobs, presentOneJob } from "./present";
import type { MountInput } from "./mounts";
import { envContext, jobScheduler } from "./scheduler";

type OrgScope = { orgId: string };

const nameTaken = (name: string) =>
  new ApiError("conflict", `A job named '${name}' already exists in this organization. Pick another name.`, { fields: { name: "already taken" } });

export async function resolveJob(db: Db, { orgId, ref }: OrgScope & { ref: string }): Promise<Job> {
  const row = isUuid(ref) ? await findJob(db, { orgId, id: ref }) : await findJob(db, { orgId, name: ref });
  if (!row) throw notFound(`Job '${ref}'`);
  return row;
}

const unattachable = (index: number, message: string) =>
  new ApiError("validation_failed", `Fix these fields and try again — checkpoints.${index}.ref: ${message}`, {
    fields: { [`checkpoints.${index}.ref`]: message },
  });

/** Rule 13: a ready checkpoint of the org, or a ready public one of any org; anything else names the checkpoint. */
async function attachable(db: Db, orgId: string, ref: { ref: string; public?: boolean }, index: number): Promise<Checkpoint> {
  const byId = isUuid(ref.ref);
  const rows = await findAttachableCheckpoint(db, { orgId, publicOnly: ref.public === true, ...(byId ? { id: ref.ref } : { name: ref.ref }) });
  const where = ref.public ? "in the public catalog" : "in this organization";
  const own = rows.find((r) => r.orgId === orgId);
  if (rows.length > 1 && !own) {
    throw unattachable(index, `Several public checkpoints are named '${ref.ref}'. Attach it by id instead.`);
  }
  const row = own ?? rows[0];
  if (!row) throw unattachable(index, `Checkpoint '${ref.ref}' was not found ${where}. Pick a checkpoint from the list.`);
  if (!isComplete(row.status)) {
    throw unattachable(index, `Checkpoint '${row.name}' is '${row.status}'; only ready checkpoints can be attached. Wait until it is ready.`);
  }
  return row;
}

/**
 * Queues a job, or when this server has a free runner slot and nobody is waiting, writes it as
 * running here and starts it with what the transaction read: no claim round and no second read
 * of the manifests between the POST and the process. (The name's uniqueness is the index's.)
 */
export async function createJob(db: Db, caller: Caller, body: CreateJobInput) {
  const scheduler = jobScheduler();
  const slot = scheduler.reserveSlot();
  let job: Job;
  let attached: { row: Checkpoint; public: boolean }[] = [];
  let inputs: MountInput[] | null = null;
  try {
    job = await db.transaction(async (tx) => {
      const chosen: { row: Checkpoint; public: boolean }[] = [];
      for (const [index, ref] of body.checkpoints.entries()) {
        const row = await attachable(tx, caller.orgId, ref, index);
        if (chosen.some((c) => c.row.id === row.id)) continue;
        if (chosen.some((c) => c.row.name === row.name)) {
          throw unattachable(index, `Two attached checkpoints are named '${row.name}' and would share one directory. Attach only one of them.`);
        }
        chosen.push({ row, public: row.orgId !== caller.orgId || ref.public === true });
      }
      const runNow = slot !== null && !(await hasQueuedJobs(tx));
      const now = new Date();
      const id = crypto.randomUUID();
      const inserted = await insertJob(tx, {
        id,
        orgId: caller.orgId,
        name: body.name,
        type: body.type,
        command: body.command,
        envCiphertext: encryptSecret(body.env, envContext(caller.orgId, id)),
        envKeys: Object.keys(body.env).sort(),
        captureOutputs: body.captureOutputs,
        creatorUserId: caller.user.id,
        runnerInstance: scheduler.instance,
        ...(runNow ? { status: "running" as const, startedAt: now, heartbeatAt: now, message: null } : { message: "Waiting for a free runner slot." }),
      });
      attached = chosen;
      await insertAttachments(
        tx,
        chosen.map((c, position) => ({ jobId: id, checkpointId: c.row.id, position, mountName: c.row.name, public: c.public })),
      );
      await insertJobLogs(tx, [{ jobId: id, stream: "system", message: `Queued by ${caller.user.email}.`, at: now }]);
      if (runNow) {
        const files = await filesOfCheckpoints(tx, { checkpointIds: chosen.map((c) => c.row.id) });
        inputs = chosen.map((c) => ({ name: c.row.name, files: files.filter((f) => f.checkpointId === c.row.id) }));
      }
      return inserted;
    });
  } catch (error) {
    if (slot) {
      slot.release();
      // A claim may have found no slot because of this one: a queued job must not wait for a poll.
      void scheduler.kick();
    }
    if (isUniqueViolation(error)) throw nameTaken(body.name);
    throw error;
  }
  if (slot && inputs) scheduler.launchCreated(job, inputs, slot);
  else {
    slot?.release();
    void scheduler.kick();
  }
  // Presented from what was just written: the launch, not this answer, gets the database next.
  return presentJob(job, attachedAtCreation(job, attached), []);
}

function attachedAtCreation(job: Job, chosen: { row: Checkpoint; public: boolean }[]) {
  return chosen.map((c, position) => ({
    jobId: job.id,
    checkpointId: c.row.id,
    mountName: c.row.name,
    public: c.public,
    position,
    releasedAt: null,
    ownerOrgId: c.row.orgId,
  }));
}

function decodeCursor(cursor: string): JobCursor | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((p) => typeof p === "string") && isUuid(parsed[1])) return parsed as JobCursor;
  } catch {}
  return null;
}

export async function listOrgJobs(db: Db, { orgId }: OrgScope, query: ListJobsQuery) {
  const cursor = query.cursor ? decodeCursor(query.cursor) : null;
  if (query.cursor && !cursor) throw new ApiError("invalid_request", "The cursor is not valid. Start again from the first page.");
  const { rows, hasMore, total } = await listJobs(db, { orgId, ...query, cursor });
  const last = rows.at(-1);
  return {
    items: await presentJobs(db, rows),
    nextCursor: hasMore && last ? Buffer.from(JSON.stringify([last.createdAt.toISOString(), last.id])).toString("base64url") : null,
    total,
  };
}

export async function getJob(db: Db, scope: OrgScope & { ref: string }) {
  return presentOneJob(db, await resolveJob(db, scope));
}

export async function jobLogs(db: Db, scope: OrgScope & { ref: string }, query: JobLogsQuery): Promise<JobLogs> {
  const job = await resolveJob(db, scope);
  const rows = await listJobLogs(db, { jobId: job.id, after: query.after, limit: query.limit });
  return {
    items: rows.map((r) => ({ ...r, at: r.at.toISOString() })),
    nextAfter: rows.at(-1)?.id ?? query.after ?? 0,
  };
}

/** Stop: a queued job ends at once; a running one gets SIGTERM, then SIGKILL after the grace period. */
export async function stopJob(db: Db, caller: Caller, ref: string) {
  const job = await resolveJob(db, { orgId: caller.orgId, ref });
  if (job.status === "queued") {
    const stopped = await updateJob(db, { id: job.id, onlyIf: ["queued"] }, {
      status: "stopped",
      message: `Stopped by ${caller.user.email} before it started.`,
      stopRequestedAt: new Date(),
      finishedAt: new Date(),
    });
    if (stopped) {
      await releaseAttachments(db, { jobId: job.id });
      return presentOneJob(db, stopped);
    }
    return stopJob(db, caller, ref);
  }
  if (job.status !== "running") {
    throw new ApiError("conflict", `Job '${job.name}' has already ended (${job.status}); there is nothing to stop.`, { status: job.status });
  }
  const asked = await updateJob(db, { id: job.id, onlyIf: ["running"] }, {
    stopRequestedAt: job.stopRequestedAt ?? new Date(),
    message: `Stopping at the request of ${caller.user.email}.`,
  });
  jobScheduler().stop(job.id);
  return presentOneJob(db, asked ?? job);
}
