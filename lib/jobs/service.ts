import "server-only";
import { ApiError, notFound } from "@/lib/api/errors";
import { isUuid } from "@/lib/api/schemas/common";
import type { CreateJobInput, JobList, JobLogs, JobLogsQuery, ListJobsQuery, RunnerInfo } from "@/lib/api/schemas/jobs";
import { isUniqueViolation } from "@/lib/db/errors";
import type { Caller } from "@/lib/auth/caller";
import { encryptSecret } from "@/lib/connections/crypto";
import type { Db } from "@/lib/db/client";
import {
  capturesOf,
  findAttachableCheckpoint,
  findJob,
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
import { ensureLicenseAccepted } from "@/lib/checkpoints/licenses";
import { config } from "@/lib/config";
import { envContext } from "./agent-token";
import { resourceFields } from "./kinds";
import { presentJob, presentJobs, presentOneJob } from "./present";
import type { JobRunner } from "./runner";
import { jobRunner } from "./runners";
import { localQueue, submitJob } from "./scheduler";
import { notifyJobFinished } from "@/lib/webhooks/events";


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

/** A field the configured runner cannot honour is a 422 that names it. */
function assertHonoured(runner: JobRunner, body: CreateJobInput): void {
  const given = [
    ...resourceFields.filter((field) => field !== "partition" && field !== "image" && body.resources[field] !== undefined),
    ...(body.partition ? (["partition"] as const) : []),
    ...(body.image ? (["image"] as const) : []),
  ];
  const refused = given.filter((field) => !(runner.accepts as readonly string[]).includes(field));
  if (refused.length === 0) return;
  const fields = Object.fromEntries(
    refused.map((field) => [field === "partition" || field === "image" ? field : `resources.${field}`, `The ${runner.kind} runner cannot honour ${field}.`]),
  );
  throw new ApiError(
    "validation_failed",
    `This Cairn runs jobs with the ${runner.kind} runner, which cannot honour ${refused.join(", ")}. Leave ${refused.length === 1 ? "it" : "them"} out, or ask an administrator about CAIRN_JOB_RUNNER.`,
    { fields },
  );
}

/**
 * Creates a job. A runner that queues jobs itself (local) gets it from the queue once a slot is
 * free; an engine with a queue of its own (Slurm, Kubernetes) gets it in the creating transaction,
 * so the engine's refusal is a 422 in its words and no job is left behind.
 */
export async function createJob(db: Db, caller: Caller, body: CreateJobInput) {
  const runner = jobRunner();
  assertHonoured(runner, body);
  let attached: { row: Checkpoint; public: boolean }[] = [];
  let job: Job;
  try {
    job = await db.transaction(async (tx) => {
      const chosen: { row: Checkpoint; public: boolean }[] = [];
      for (const [index, ref] of body.checkpoints.entries()) {
        const row = await attachable(tx, caller.orgId, ref, index);
        if (chosen.some((c) => c.row.id === row.id)) continue;
        if (chosen.some((c) => c.row.name === row.name)) {
          throw unattachable(index, `Two attached checkpoints are named '${row.name}' and would share one directory. Attach only one of them.`);
        }
        await ensureLicenseAccepted(tx, { orgId: caller.orgId, user: caller.user, row, accept: ref.acceptLicense === true, index });
        chosen.push({ row, public: row.orgId !== caller.orgId || ref.public === true });
      }
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
        runner: runner.kind,
        resources: body.resources,
        partition: body.partition ?? null,
        image: body.image ?? null,
        message: runner.queuesJobs ? "Waiting for a free runner slot." : null,
      });
      attached = chosen;
      await insertAttachments(
        tx,
        chosen.map((c, position) => ({ jobId: id, checkpointId: c.row.id, position, mountName: c.row.name, public: c.public })),
      );
      await insertJobLogs(tx, [{ jobId: id, stream: "system", message: `Queued by ${caller.user.email}.`, at: now }]);
      return runner.queuesJobs ? inserted : submitJob(tx, runner, inserted);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(body.name);
    throw error;
  }
  void localQueue()?.kick();
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

export async function listOrgJobs(db: Db, { orgId }: OrgScope, query: ListJobsQuery): Promise<JobList> {
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

/**
 * Stop: a job still waiting (for a slot, or in the engine's queue) ends at once; a running one's
 * agent gets SIGTERM through the engine and sees the request in its next heartbeat, stops the
 * command (SIGKILL after the grace period) and makes a final capture.
 */
export async function stopJob(db: Db, caller: Caller, ref: string) {
  const job = await resolveJob(db, { orgId: caller.orgId, ref });
  const runner = jobRunner();
  if (job.status === "queued") {
    const stopped = await updateJob(db, { id: job.id, onlyIf: ["queued"] }, {
      status: "stopped",
      message: `Stopped by ${caller.user.email} before it started.`,
      stopRequestedAt: new Date(),
      finishedAt: new Date(),
      agentTokenExpiresAt: new Date(),
    });
    if (stopped) {
      await releaseAttachments(db, { jobId: job.id });
      await notifyJobFinished(stopped, db);
      if (job.submittedAt) await runner.cancel(stopped, { pending: true });
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
  await runner.cancel(asked ?? job, { pending: false });
  return presentOneJob(db, asked ?? job);
}

/**
 * *Retry capture*: every failed capture of the job is tried again. A live agent sees the request in
 * its next heartbeat; when the job's agent is gone (it waited its linger time, or was lost), a new
 * one is started where the job ran, which takes over the files the last one kept.
 */
export async function retryCaptures(db: Db, caller: Caller, ref: string) {
  const job = await resolveJob(db, { orgId: caller.orgId, ref });
  const failed = (await capturesOf(db, { jobIds: [job.id] })).filter((c) => c.status === "failed");
  if (failed.length === 0) throw new ApiError("conflict", `Job '${job.name}' has no failed capture to retry.`, { captures: 0 });
  const now = new Date();
  const row = (await updateJob(db, { id: job.id }, { captureRetryAt: now })) ?? job;
  await insertJobLogs(db, [{ jobId: job.id, stream: "system", message: `${caller.user.email} asked to retry ${failed.length} failed capture${failed.length === 1 ? "" : "s"}.`, at: now }]);
  const runner = jobRunner();
  const engine = (await runner.inspect([row])).get(row.id);
  if (engine?.state !== "running" && engine?.state !== "pending") {
    if (runner.kind === "kubernetes") {
      throw new ApiError("conflict", "The job's pod is gone, and its output directory with it; there is nothing left to capture.", { runner: runner.kind });
    }
    await submitJob(db, runner, row, { resume: true });
  }
  return presentOneJob(db, row);
}

/** What the deployment's runner honours, for the launch form. */
export function runnerInfo(): RunnerInfo {
  const runner = jobRunner();
  const cfg = config();
  return {
    runner: runner.kind,
    accepts: [...runner.accepts],
    defaultImage: runner.kind === "kubernetes" ? cfg.kubernetes.jobImage : null,
    defaultPartition: runner.kind === "slurm" ? cfg.slurm.partition : null,
  };
}
