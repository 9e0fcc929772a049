import "server-only";
import { and, asc, desc, eq, gt, ilike, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import {
  checkpointFiles,
  checkpoints,
  jobCaptures,
  jobCheckpoints,
  jobLogs,
  jobs,
  type Job,
  type JobCapture,
  type JobStatus,
  type JobType,
  type LogStream,
  type NewJob,
} from "../schema";
import { activeJobStatuses } from "@/lib/jobs/kinds";

export async function insertJob(db: Db, values: NewJob & { orgId: string }) {
  const [row] = await db.insert(jobs).values(values).returning();
  return row;
}

/** A job of the org by id or name; another org's job is simply absent. */
export async function findJob(db: Db, { orgId, id, name }: { orgId: string; id?: string; name?: string }) {
  const match = id ? eq(jobs.id, id) : eq(jobs.name, name ?? "");
  const [row] = await db.select().from(jobs).where(and(eq(jobs.orgId, orgId), match));
  return row ?? null;
}

/** A job by id alone: for the runner, which acts for whichever org launched the job. */
export async function findJobById(db: Db, { id }: { id: string }) {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
  return row ?? null;
}

export type JobCursor = [string, string];

export async function listJobs(
  db: Db,
  filter: { orgId: string; q?: string; status?: JobStatus; type?: JobType; checkpoint?: string; limit: number; cursor?: JobCursor | null },
) {
  const conditions: SQL[] = [eq(jobs.orgId, filter.orgId)];
  if (filter.q) conditions.push(ilike(jobs.name, `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  if (filter.status) conditions.push(eq(jobs.status, filter.status));
  if (filter.type) conditions.push(eq(jobs.type, filter.type));
  if (filter.checkpoint) {
    conditions.push(
      sql`exists (select 1 from ${jobCheckpoints} where ${jobCheckpoints.jobId} = ${jobs.id} and ${jobCheckpoints.checkpointId} = ${filter.checkpoint})`,
    );
  }
  const where = and(...conditions);
  const page = [...conditions];
  if (filter.cursor) {
    const [createdAt, id] = filter.cursor;
    page.push(sql`(${jobs.createdAt}, ${jobs.id}) < (${createdAt}::timestamptz, ${id}::uuid)`);
  }
  const [rows, [{ total }]] = await Promise.all([
    db.select().from(jobs).where(and(...page)).orderBy(desc(jobs.createdAt), desc(jobs.id)).limit(filter.limit + 1),
    db.select({ total: sql<number>`count(*)::int` }).from(jobs).where(where),
  ]);
  return { rows: rows.slice(0, filter.limit), hasMore: rows.length > filter.limit, total };
}

/** Changes a job by id (runner side) — `onlyIf` guards a state transition against a racing one. */
export async function updateJob(db: Db, { id, onlyIf }: { id: string; onlyIf?: JobStatus[] }, values: Partial<NewJob>) {
  const conditions = [eq(jobs.id, id)];
  if (onlyIf) conditions.push(inArray(jobs.status, onlyIf));
  const [row] = await db.update(jobs).set(values).where(and(...conditions)).returning();
  return row ?? null;
}

/**
 * Takes the oldest job waiting for a local runner slot when fewer than `maxRunning` jobs are handed
 * to agents on this machine — one statement, so a launch waits on one round trip. The taken job
 * stays `queued` (its agent reports it running) with `submittedAt` set.
 */
export async function claimQueuedJob(db: Db, { instance, maxRunning }: { instance: string; maxRunning: number }) {
  const now = new Date();
  const [row] = await db
    .update(jobs)
    .set({ runnerInstance: instance, submittedAt: now, heartbeatAt: now, message: "Starting the job's agent." })
    .where(
      and(
        sql`${jobs.id} = (select ${jobs.id} from ${jobs} where ${jobs.status} = 'queued' and ${jobs.submittedAt} is null order by ${jobs.createdAt}, ${jobs.id} limit 1 for update skip locked)`,
        sql`(select count(*) from ${jobs} where ${jobs.status} in ('queued', 'running') and ${jobs.submittedAt} is not null and ${jobs.runnerInstance} = ${instance}) < ${maxRunning}`,
        eq(jobs.status, "queued"),
      ),
    )
    .returning();
  return row ?? null;
}
/** The job whose agent holds this token, while the token has not expired. */
export async function findJobByAgentToken(db: Db, { tokenHash }: { tokenHash: string }) {
  const [row] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.agentTokenHash, tokenHash), sql`${jobs.agentTokenExpiresAt} > now()`));
  return row ?? null;
}

/** Jobs handed to a runner and not yet ended: what supervision watches. */
export async function submittedJobs(db: Db) {
  return db
    .select()
    .from(jobs)
    .where(and(inArray(jobs.status, [...activeJobStatuses]), sql`${jobs.submittedAt} is not null`));
}

/** The agent's lines, numbered by it: a batch sent again after a lost answer is stored once. */
export async function insertAgentLogs(db: Db, rows: { jobId: string; seq: number; stream: LogStream; message: string; at: Date }[]) {
  if (rows.length > 0) await db.insert(jobLogs).values(rows).onConflictDoNothing({ target: [jobLogs.jobId, jobLogs.seq] });
}
export async function findCapture(db: Db, { jobId, id, key }: { jobId: string; id?: string; key?: string }) {
  const match = id ? eq(jobCaptures.id, id) : eq(jobCaptures.key, key ?? "");
  const [row] = await db.select().from(jobCaptures).where(and(eq(jobCaptures.jobId, jobId), match));
  return row ?? null;
}

/**
 * Whether the organization stores a blob: a file of one of its live checkpoints has it. Only the
 * caller's organization is looked at, so the answer never tells what another one stores.
 */
export async function orgHasBlob(db: Db, { orgId, sha256, size }: { orgId: string; sha256: string; size: number }) {
  const [row] = await db
    .select({ sha256: checkpointFiles.sha256 })
    .from(checkpointFiles)
    .innerJoin(checkpoints, eq(checkpoints.id, checkpointFiles.checkpointId))
    .where(and(eq(checkpoints.orgId, orgId), isNull(checkpoints.deletedAt), eq(checkpointFiles.sha256, sha256), eq(checkpointFiles.size, size)))
    .limit(1);
  return row !== undefined;
}

/** The manifests of the checkpoints a job attaches, in one query. */
export async function filesOfCheckpoints(db: Db, { checkpointIds }: { checkpointIds: string[] }) {
  if (checkpointIds.length === 0) return [];
  return db
    .select({ checkpointId: checkpointFiles.checkpointId, path: checkpointFiles.path, size: checkpointFiles.size, sha256: checkpointFiles.sha256 })
    .from(checkpointFiles)
    .where(inArray(checkpointFiles.checkpointId, checkpointIds))
    .orderBy(asc(checkpointFiles.checkpointId), asc(checkpointFiles.path));
}

/** Queued and running jobs with the server process that owns them, for restart recovery. */
export async function unfinishedJobs(db: Db) {
  return db.select().from(jobs).where(inArray(jobs.status, [...activeJobStatuses]));
}

export async function insertAttachments(db: Db, rows: (typeof jobCheckpoints.$inferInsert)[]) {
  if (rows.length > 0) await db.insert(jobCheckpoints).values(rows);
}

export async function releaseAttachments(db: Db, { jobId }: { jobId: string }) {
  await db.update(jobCheckpoints).set({ releasedAt: new Date() }).where(and(eq(jobCheckpoints.jobId, jobId), isNull(jobCheckpoints.releasedAt)));
}

/** The attachments of some jobs with the checkpoints' current names and owners. */
export async function attachmentsOf(db: Db, { jobIds }: { jobIds: string[] }) {
  if (jobIds.length === 0) return [];
  return db
    .select({
      jobId: jobCheckpoints.jobId,
      checkpointId: jobCheckpoints.checkpointId,
      mountName: jobCheckpoints.mountName,
      public: jobCheckpoints.public,
      position: jobCheckpoints.position,
      releasedAt: jobCheckpoints.releasedAt,
      ownerOrgId: checkpoints.orgId,
    })
    .from(jobCheckpoints)
    .innerJoin(checkpoints, eq(checkpoints.id, jobCheckpoints.checkpointId))
    .where(inArray(jobCheckpoints.jobId, jobIds))
    .orderBy(asc(jobCheckpoints.position));
}

export async function capturesOf(db: Db, { jobIds }: { jobIds: string[] }): Promise<JobCapture[]> {
  if (jobIds.length === 0) return [];
  return db.select().from(jobCaptures).where(inArray(jobCaptures.jobId, jobIds)).orderBy(asc(jobCaptures.createdAt), asc(jobCaptures.id));
}

export async function insertCapture(db: Db, values: typeof jobCaptures.$inferInsert) {
  const [row] = await db.insert(jobCaptures).values(values).returning();
  return row;
}

export async function updateCapture(db: Db, { id }: { id: string }, values: Partial<typeof jobCaptures.$inferInsert>) {
  const [row] = await db.update(jobCaptures).set({ ...values, updatedAt: new Date() }).where(eq(jobCaptures.id, id)).returning();
  return row ?? null;
}

/**
 * Jobs that attach a checkpoint. `active`: the queued or running ones of any organization (the
 * delete guard). `lineage`: those plus every job of `orgId` that ever attached it (the owner's
 * view). `own`: only `orgId`'s jobs (someone else's public checkpoint: other orgs' jobs stay hidden).
 */
export async function jobsUsingCheckpoint(
  db: Db,
  { orgId, checkpointId, scope }: { orgId: string; checkpointId: string; scope: "active" | "lineage" | "own" },
) {
  const active = and(inArray(jobs.status, [...activeJobStatuses]), isNull(jobCheckpoints.releasedAt));
  const which = scope === "active" ? active : scope === "own" ? eq(jobs.orgId, orgId) : or(active, eq(jobs.orgId, orgId));
  return db
    .select({ jobId: jobs.id, jobName: jobs.name, status: jobs.status })
    .from(jobCheckpoints)
    .innerJoin(jobs, eq(jobs.id, jobCheckpoints.jobId))
    .where(and(eq(jobCheckpoints.checkpointId, checkpointId), which))
    .orderBy(desc(jobs.createdAt))
    .limit(100);
}

export async function insertJobLogs(db: Db, rows: { jobId: string; stream: LogStream; message: string; at: Date }[]) {
  if (rows.length > 0) await db.insert(jobLogs).values(rows);
}

export async function listJobLogs(db: Db, { jobId, after, limit }: { jobId: string; after?: number; limit: number }) {
  const conditions = [eq(jobLogs.jobId, jobId)];
  if (after !== undefined) conditions.push(gt(jobLogs.id, after));
  return db
    .select({ id: jobLogs.id, at: jobLogs.at, stream: jobLogs.stream, message: jobLogs.message })
    .from(jobLogs)
    .where(and(...conditions))
    .orderBy(asc(jobLogs.id))
    .limit(limit);
}

/** A checkpoint a job may attach: the org's own by id or name, or with `publicOnly` any org's public one. */
export async function findAttachableCheckpoint(db: Db, { orgId, id, name, publicOnly }: { orgId: string; id?: string; name?: string; publicOnly: boolean }) {
  const match = id ? eq(checkpoints.id, id) : eq(checkpoints.name, name ?? "");
  const scope = publicOnly ? eq(checkpoints.visibility, "public") : eq(checkpoints.orgId, orgId);
  const rows = await db
    .select()
    .from(checkpoints)
    .where(and(scope, match, isNull(checkpoints.deletedAt)))
    .orderBy(sql`${checkpoints.orgId} = ${orgId} desc`, asc(checkpoints.createdAt))
    .limit(2)
    .for("share");
  return rows;
}

export type { Job };
