import "server-only";
import { and, eq, inArray, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { checkpoints, type CheckpointStatus } from "../schema";

const IN_FLIGHT: CheckpointStatus[] = ["new", "downloading", "extracting"];

/**
 * Takes ownership of a checkpoint's ingest: a `new` one, or one whose owner stopped reporting
 * before `staleBefore` (its server died). Returns the row, or null when someone else owns it
 * or it is already finished. The files earlier attempts stored, and the size and file count they
 * add up to, stay: the ingest decides which it keeps.
 */
export async function claimIngest(db: Db, { checkpointId, token, staleBefore }: { checkpointId: string; token: string; staleBefore: Date }) {
  const [row] = await db
    .update(checkpoints)
    .set({
      status: "downloading",
      ingestToken: token,
      ingestAttempts: sql`${checkpoints.ingestAttempts} + 1`,
      message: null,
      bytesDone: 0,
      bytesTotal: null,
      filesDone: 0,
      filesTotal: null,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(checkpoints.id, checkpointId),
        isNull(checkpoints.deletedAt),
        ne(checkpoints.sourceType, "local"),
        or(
          and(eq(checkpoints.status, "new"), isNull(checkpoints.ingestToken)),
          and(inArray(checkpoints.status, IN_FLIGHT), lt(checkpoints.updatedAt, staleBefore)),
        ),
      ),
    )
    .returning();
  return row ?? null;
}

export type IngestProgress = Partial<{
  status: CheckpointStatus;
  bytesDone: number;
  bytesTotal: number | null;
  filesDone: number;
  filesTotal: number | null;
  message: string | null;
}>;

/** Writes progress if the caller still owns the ingest; false means ownership was lost. */
export async function reportIngest(db: Db, { checkpointId, token }: { checkpointId: string; token: string }, progress: IngestProgress) {
  const rows = await db
    .update(checkpoints)
    .set({ ...progress, updatedAt: new Date() })
    .where(and(eq(checkpoints.id, checkpointId), eq(checkpoints.ingestToken, token), isNull(checkpoints.deletedAt)))
    .returning({ id: checkpoints.id });
  return rows.length > 0;
}

/** Seals the ingest: `ready` with the final totals, ownership released, in the caller's transaction. */
export async function completeIngest(db: Db, { checkpointId, token }: { checkpointId: string; token: string }) {
  const now = new Date();
  const rows = await db
    .update(checkpoints)
    .set({
      status: "ready",
      readyAt: now,
      updatedAt: now,
      ingestToken: null,
      message: null,
      bytesDone: sql`${checkpoints.size}`,
      bytesTotal: sql`${checkpoints.size}`,
      filesDone: sql`${checkpoints.fileCount}`,
      filesTotal: sql`${checkpoints.fileCount}`,
    })
    .where(and(eq(checkpoints.id, checkpointId), eq(checkpoints.ingestToken, token), isNull(checkpoints.deletedAt)))
    .returning();
  return rows[0] ?? null;
}

/** Ends the ingest as `failed` (the caller dropped its files), or hands it back as `new` for another attempt, keeping them. */
export async function releaseIngest(
  db: Db,
  { checkpointId, token }: { checkpointId: string; token: string },
  outcome: { status: "failed" | "new"; message: string },
) {
  await db
    .update(checkpoints)
    .set({ status: outcome.status, message: outcome.message, ingestToken: null, updatedAt: new Date(), ...(outcome.status === "failed" ? { size: 0, fileCount: 0 } : {}) })
    .where(and(eq(checkpoints.id, checkpointId), eq(checkpoints.ingestToken, token)));
}

/** Ingests whose owner stopped reporting: the server running them died. */
export async function orphanedIngests(db: Db, { staleBefore }: { staleBefore: Date }) {
  return db
    .select({ id: checkpoints.id, orgId: checkpoints.orgId, attempts: checkpoints.ingestAttempts, status: checkpoints.status })
    .from(checkpoints)
    .where(
      and(
        isNull(checkpoints.deletedAt),
        ne(checkpoints.sourceType, "local"),
        inArray(checkpoints.status, IN_FLIGHT),
        lt(checkpoints.updatedAt, staleBefore),
      ),
    );
}

export async function failOrphan(db: Db, { checkpointId, message }: { checkpointId: string; message: string }) {
  await db
    .update(checkpoints)
    .set({ status: "failed", message, ingestToken: null, updatedAt: new Date() })
    .where(and(eq(checkpoints.id, checkpointId), inArray(checkpoints.status, IN_FLIGHT)));
}

/** What a running ingest polls to learn, from any process, that it was cancelled or its checkpoint deleted. */
export async function ingestState(db: Db, { checkpointId }: { checkpointId: string }) {
  const [row] = await db
    .select({ deletedAt: checkpoints.deletedAt, ingestToken: checkpoints.ingestToken, status: checkpoints.status })
    .from(checkpoints)
    .where(eq(checkpoints.id, checkpointId));
  return row ?? null;
}

/**
 * Ends an ingest in flight as `failed` with `message` and releases its ownership, so its worker
 * (in whichever process) sees the token gone and stops. Null when it was not in flight.
 */
export async function cancelIngestRow(db: Db, { checkpointId, message }: { checkpointId: string; message: string }) {
  const [row] = await db
    .update(checkpoints)
    .set({ status: "failed", message, ingestToken: null, size: 0, fileCount: 0, updatedAt: new Date() })
    .where(and(eq(checkpoints.id, checkpointId), isNull(checkpoints.deletedAt), inArray(checkpoints.status, IN_FLIGHT)))
    .returning();
  return row ?? null;
}

/** After a cancelled ingest stopped: the totals of files it recorded while it was stopping are gone with them. */
export async function resetCancelledTotals(db: Db, { checkpointId }: { checkpointId: string }) {
  await db.update(checkpoints).set({ size: 0, fileCount: 0 }).where(and(eq(checkpoints.id, checkpointId), isNull(checkpoints.ingestToken)));
}
