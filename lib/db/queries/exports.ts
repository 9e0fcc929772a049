import "server-only";
import { and, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { checkpointExports, checkpoints, type ExportStatus } from "../schema";

type NewExport = typeof checkpointExports.$inferInsert;

const ACTIVE: ExportStatus[] = ["queued", "running"];

export async function insertExport(db: Db, values: NewExport & { orgId: string }) {
  const [row] = await db.insert(checkpointExports).values(values).returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function listExports(db: Db, { orgId, checkpointId, limit }: { orgId: string; checkpointId: string; limit: number }) {
  return db
    .select()
    .from(checkpointExports)
    .where(and(eq(checkpointExports.orgId, orgId), eq(checkpointExports.checkpointId, checkpointId)))
    .orderBy(desc(checkpointExports.createdAt), desc(checkpointExports.id))
    .limit(limit);
}

export async function countExports(db: Db, { orgId, checkpointId }: { orgId: string; checkpointId: string }) {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(checkpointExports)
    .where(and(eq(checkpointExports.orgId, orgId), eq(checkpointExports.checkpointId, checkpointId)));
  return row?.n ?? 0;
}

/** Marks a checkpoint `exporting` (it must be ready or already exporting); false when it is not. */
export async function markExporting(db: Db, { orgId, checkpointId }: { orgId: string; checkpointId: string }) {
  const rows = await db
    .update(checkpoints)
    .set({ status: "exporting", updatedAt: new Date() })
    .where(
      and(
        eq(checkpoints.orgId, orgId),
        eq(checkpoints.id, checkpointId),
        isNull(checkpoints.deletedAt),
        inArray(checkpoints.status, ["ready", "exporting"]),
      ),
    )
    .returning({ id: checkpoints.id });
  return rows.length > 0;
}

/** Takes a queued export for this worker; null when it is gone, finished or taken. */
export async function claimExport(db: Db, { exportId, token }: { exportId: string; token: string }) {
  const now = new Date();
  const [row] = await db
    .update(checkpointExports)
    .set({ status: "running", leaseToken: token, startedAt: now, updatedAt: now })
    .where(and(eq(checkpointExports.id, exportId), eq(checkpointExports.status, "queued")))
    .returning();
  return row ?? null;
}

export type ExportProgress = Partial<{ bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number }>;

/** Writes progress while the caller holds the lease; false means the export was taken from it. */
export async function reportExport(db: Db, { exportId, token }: { exportId: string; token: string }, progress: ExportProgress) {
  const rows = await db
    .update(checkpointExports)
    .set({ ...progress, updatedAt: new Date() })
    .where(and(eq(checkpointExports.id, exportId), eq(checkpointExports.leaseToken, token), eq(checkpointExports.status, "running")))
    .returning({ id: checkpointExports.id });
  return rows.length > 0;
}

/**
 * Ends an export (`succeeded` or `failed`, guarded by `where`) and, when it was the last active
 * export of its checkpoint, hands the checkpoint back as `ready`. Returns the finished row.
 */
async function finish(
  db: Db,
  where: ReturnType<typeof and>,
  outcome: { status: "succeeded" | "failed"; message: string | null; progress?: ExportProgress },
) {
  return db.transaction(async (tx) => {
    const now = new Date();
    const [row] = await tx
      .update(checkpointExports)
      .set({ ...outcome.progress, status: outcome.status, message: outcome.message, leaseToken: null, finishedAt: now, updatedAt: now })
      .where(where)
      .returning();
    if (!row) return null;
    await tx.select({ id: checkpoints.id }).from(checkpoints).where(eq(checkpoints.id, row.checkpointId)).for("update");
    const [{ active } = { active: 0 }] = await tx
      .select({ active: sql<number>`count(*)::int` })
      .from(checkpointExports)
      .where(and(eq(checkpointExports.checkpointId, row.checkpointId), inArray(checkpointExports.status, ACTIVE)));
    if (active === 0) {
      await tx
        .update(checkpoints)
        .set({ status: "ready", updatedAt: now })
        .where(and(eq(checkpoints.id, row.checkpointId), eq(checkpoints.status, "exporting")));
    }
    return row;
  });
}

export async function completeExport(
  db: Db,
  lease: { exportId: string; token: string },
  outcome: { status: "succeeded" | "failed"; message: string | null; progress?: ExportProgress },
) {
  return finish(db, and(eq(checkpointExports.id, lease.exportId), eq(checkpointExports.leaseToken, lease.token), eq(checkpointExports.status, "running")), outcome);
}

/** Fails an export that never ran (its task could not be queued, or its server died). */
export async function failExport(db: Db, { exportId, message }: { exportId: string; message: string }) {
  return finish(db, and(eq(checkpointExports.id, exportId), inArray(checkpointExports.status, ACTIVE)), { status: "failed", message });
}

/**
 * Exports whose server died: running ones that stopped reporting before `staleBefore`, and
 * queued ones older than `queuedBefore` (their task was lost).
 */
export async function orphanedExports(db: Db, { staleBefore, queuedBefore }: { staleBefore: Date; queuedBefore: Date }) {
  const running = await db
    .select({ id: checkpointExports.id, checkpointId: checkpointExports.checkpointId, status: checkpointExports.status })
    .from(checkpointExports)
    .where(and(eq(checkpointExports.status, "running"), lt(checkpointExports.updatedAt, staleBefore)));
  const queued = await db
    .select({ id: checkpointExports.id, checkpointId: checkpointExports.checkpointId, status: checkpointExports.status })
    .from(checkpointExports)
    .where(and(eq(checkpointExports.status, "queued"), lt(checkpointExports.createdAt, queuedBefore)));
  return [...running, ...queued];
}

/** True while the checkpoint has an export queued or running. */
export async function hasActiveExport(db: Db, { checkpointId }: { checkpointId: string }) {
  const [row] = await db
    .select({ id: checkpointExports.id })
    .from(checkpointExports)
    .where(and(eq(checkpointExports.checkpointId, checkpointId), inArray(checkpointExports.status, ACTIVE)))
    .limit(1);
  return Boolean(row);
}
