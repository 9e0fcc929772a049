import "server-only";
import { and, eq, inArray, isNull, or, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { checkpoints, jobCheckpoints, jobs } from "../schema";

/*
 * The lineage graph's reads. What an organization may see of it: its own live checkpoints and
 * jobs, and live public checkpoints of any organization; never another organization's jobs or
 * private checkpoints, whatever links to them.
 */

const visibleCheckpoint = (orgId: string) => and(or(eq(checkpoints.orgId, orgId), eq(checkpoints.visibility, "public")), isNull(checkpoints.deletedAt));

const anyOf = (conditions: (SQL | null)[]) => {
  const present = conditions.filter((c): c is SQL => c !== null);
  return present.length > 0 ? or(...present) : null;
};
const within = <T>(column: Parameters<typeof inArray>[0], ids: T[]) => (ids.length > 0 ? inArray(column, ids as string[]) : null);

export type LineageCheckpointRow = {
  id: string;
  name: string;
  status: string;
  orgId: string;
  producedByJobId: string | null;
  derivedFromId: string | null;
};

/**
 * Visible checkpoints that are one of `ids`, derived from one of `derivedFrom`, or produced by one
 * of `producedBy` (jobs).
 */
export async function lineageCheckpoints(
  db: Db,
  { orgId, ids, derivedFrom, producedBy }: { orgId: string; ids: string[]; derivedFrom: string[]; producedBy: string[] },
): Promise<LineageCheckpointRow[]> {
  const match = anyOf([within(checkpoints.id, ids), within(checkpoints.derivedFromId, derivedFrom), within(checkpoints.producedByJobId, producedBy)]);
  if (!match) return [];
  return db
    .select({
      id: checkpoints.id,
      name: checkpoints.name,
      status: checkpoints.status,
      orgId: checkpoints.orgId,
      producedByJobId: checkpoints.producedByJobId,
      derivedFromId: checkpoints.derivedFromId,
    })
    .from(checkpoints)
    .where(and(visibleCheckpoint(orgId), match))
    .orderBy(checkpoints.createdAt, checkpoints.id);
}

export type LineageJobRow = { id: string; name: string; status: string; orgId: string };

/** The org's jobs among `ids`. */
export async function lineageJobs(db: Db, { orgId, ids }: { orgId: string; ids: string[] }): Promise<LineageJobRow[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: jobs.id, name: jobs.name, status: jobs.status, orgId: jobs.orgId })
    .from(jobs)
    .where(and(eq(jobs.orgId, orgId), inArray(jobs.id, ids)))
    .orderBy(jobs.createdAt, jobs.id);
}

/**
 * Attachments (job used checkpoint) between the org's jobs and visible checkpoints: those touching
 * any of `checkpointIds` or `jobIds`, or with `among` only those joining one of each.
 */
export async function lineageAttachments(
  db: Db,
  { orgId, checkpointIds, jobIds, among = false }: { orgId: string; checkpointIds: string[]; jobIds: string[]; among?: boolean },
): Promise<{ jobId: string; checkpointId: string }[]> {
  const byCheckpoint = within(jobCheckpoints.checkpointId, checkpointIds);
  const byJob = within(jobCheckpoints.jobId, jobIds);
  const match = among ? (byCheckpoint && byJob ? and(byCheckpoint, byJob) : null) : anyOf([byCheckpoint, byJob]);
  if (!match) return [];
  return db
    .select({ jobId: jobCheckpoints.jobId, checkpointId: jobCheckpoints.checkpointId })
    .from(jobCheckpoints)
    .innerJoin(jobs, and(eq(jobs.id, jobCheckpoints.jobId), eq(jobs.orgId, orgId)))
    .innerJoin(checkpoints, and(eq(checkpoints.id, jobCheckpoints.checkpointId), visibleCheckpoint(orgId)))
    .where(match)
    .orderBy(jobCheckpoints.jobId, jobCheckpoints.position);
}
