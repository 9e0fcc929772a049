import "server-only";
import { and, asc, desc, eq, isNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { checkpoints, jobCheckpoints, jobs, retentionPolicies, type KeepBest, type RetentionMatch } from "../schema";

export async function insertRetentionPolicy(
  db: Db,
  values: { orgId: string; name: string; match: RetentionMatch; keepLatest: number | null; keepBest: KeepBest | null; creatorUserId: string | null },
) {
  const [row] = await db.insert(retentionPolicies).values(values).returning();
  return row;
}

export async function listRetentionPolicies(db: Db, { orgId }: { orgId: string }) {
  return db.select().from(retentionPolicies).where(eq(retentionPolicies.orgId, orgId)).orderBy(asc(retentionPolicies.createdAt), asc(retentionPolicies.id));
}

export async function findRetentionPolicy(db: Db, { orgId, id }: { orgId: string; id: string }) {
  const [row] = await db.select().from(retentionPolicies).where(and(eq(retentionPolicies.orgId, orgId), eq(retentionPolicies.id, id)));
  return row ?? null;
}

export async function deleteRetentionPolicy(db: Db, { orgId, id }: { orgId: string; id: string }) {
  const [row] = await db.delete(retentionPolicies).where(and(eq(retentionPolicies.orgId, orgId), eq(retentionPolicies.id, id))).returning();
  return row ?? null;
}

export async function markRetentionApplied(db: Db, { orgId, id }: { orgId: string; id: string }) {
  await db.update(retentionPolicies).set({ lastAppliedAt: new Date() }).where(and(eq(retentionPolicies.orgId, orgId), eq(retentionPolicies.id, id)));
}

/** Organizations with at least one policy: the hourly pass visits these. */
export async function orgsWithRetentionPolicies(db: Db): Promise<string[]> {
  const rows = await db.selectDistinct({ orgId: retentionPolicies.orgId }).from(retentionPolicies);
  return rows.map((row) => row.orgId);
}

/** A name glob (`*`, `?`) as a LIKE pattern; names hold `_`, which LIKE would take for a wildcard. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, "%").replace(/\?/g, "_");
}

export type RetentionCandidate = {
  id: string;
  name: string;
  size: number;
  createdAt: Date;
  step: number | null;
  pinned: boolean;
  visibility: "private" | "public";
  jobName: string | null;
  /** Whether the model facts were read (`status.model` not null): until then the metric is unknown. */
  factsRead: boolean;
  metric: number | null;
  /** Attached to a job that is queued or running. */
  inUse: boolean;
};

/**
 * The org's `ready` checkpoints a policy's globs match, newest first, with what the policy needs
 * to judge each: the metric (a number in `model.metrics`), pins, visibility, and use by a job.
 * Anything not ready (uploading, ingesting, exporting, failed) is never a candidate.
 */
export async function retentionCandidates(
  db: Db,
  { orgId, match, metric }: { orgId: string; match: RetentionMatch; metric: string | null },
): Promise<RetentionCandidate[]> {
  const conditions: SQL[] = [eq(checkpoints.orgId, orgId), isNull(checkpoints.deletedAt), eq(checkpoints.status, "ready")];
  if (match.jobName) conditions.push(sql`${jobs.name} like ${globToLike(match.jobName)}`);
  if (match.checkpointName) conditions.push(sql`${checkpoints.name} like ${globToLike(match.checkpointName)}`);
  const value = metric
    ? sql<number | null>`case when jsonb_typeof(${checkpoints.model}->'metrics'->(${metric}::text)) = 'number' then (${checkpoints.model}->'metrics'->>(${metric}::text))::float8 end`
    : sql<number | null>`null::float8`;
  const rows = await db
    .select({
      id: checkpoints.id,
      name: checkpoints.name,
      size: checkpoints.size,
      createdAt: checkpoints.createdAt,
      step: checkpoints.step,
      pinned: checkpoints.pinned,
      visibility: checkpoints.visibility,
      jobName: jobs.name,
      factsRead: sql<boolean>`${checkpoints.model} is not null`,
      metric: value,
      inUse: sql<boolean>`exists (select 1 from ${jobCheckpoints} jc join ${jobs} aj on aj.id = jc.job_id
        where jc.checkpoint_id = ${checkpoints.id} and jc.released_at is null and aj.status in ('queued', 'running'))`,
    })
    .from(checkpoints)
    .leftJoin(jobs, eq(jobs.id, checkpoints.producedByJobId))
    .where(and(...conditions))
    .orderBy(desc(checkpoints.createdAt), desc(checkpoints.id));
  return rows.map((row) => ({ ...row, metric: row.metric === null ? null : Number(row.metric) }));
}
