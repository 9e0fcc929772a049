import "server-only";
import { and, asc, eq, inArray, like, sql } from "drizzle-orm";
import type { Db } from "../client";
import { blobs, checkpointFiles, checkpoints } from "../schema";

export async function listFiles(db: Db, { checkpointId, prefix }: { checkpointId: string; prefix?: string }) {
  const conditions = [eq(checkpointFiles.checkpointId, checkpointId)];
  if (prefix) conditions.push(like(checkpointFiles.path, `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  return db
    .select({ path: checkpointFiles.path, size: checkpointFiles.size, sha256: checkpointFiles.sha256 })
    .from(checkpointFiles)
    .where(and(...conditions))
    .orderBy(asc(checkpointFiles.path));
}

export async function findFile(db: Db, { checkpointId, path }: { checkpointId: string; path: string }) {
  const [row] = await db
    .select()
    .from(checkpointFiles)
    .where(and(eq(checkpointFiles.checkpointId, checkpointId), eq(checkpointFiles.path, path)));
  return row ?? null;
}

/**
 * Records a file of a checkpoint (replacing one at the same path) and keeps the checkpoint's
 * size and file count in step, in the caller's transaction.
 */
/** A stored blob, known to collection (which removes it once no file uses it). */
export async function recordBlob(db: Db, { sha256, size }: { sha256: string; size: number }) {
  await db.insert(blobs).values({ sha256, size }).onConflictDoNothing();
}

export async function putFileRow(
  db: Db,
  { checkpointId, path, size, sha256 }: { checkpointId: string; path: string; size: number; sha256: string },
) {
  await recordBlob(db, { sha256, size });
  const previous = await findFile(db, { checkpointId, path });
  await db
    .insert(checkpointFiles)
    .values({ checkpointId, path, size, sha256 })
    .onConflictDoUpdate({ target: [checkpointFiles.checkpointId, checkpointFiles.path], set: { size, sha256 } });
  await db
    .update(checkpoints)
    .set({
      size: sql`${checkpoints.size} + ${size - (previous?.size ?? 0)}`,
      fileCount: sql`${checkpoints.fileCount} + ${previous ? 0 : 1}`,
      updatedAt: new Date(),
    })
    .where(eq(checkpoints.id, checkpointId));
}

export async function deleteFileRows(db: Db, { checkpointId }: { checkpointId: string }) {
  await db.delete(checkpointFiles).where(eq(checkpointFiles.checkpointId, checkpointId));
}

/** Blobs no file references any more and older than the grace period (so in-flight writes are safe). */
export async function unreferencedBlobs(db: Db, { olderThan, limit }: { olderThan: Date; limit: number }) {
  return db
    .select({ sha256: blobs.sha256 })
    .from(blobs)
    .where(
      sql`${blobs.createdAt} < ${olderThan.toISOString()}::timestamptz and not exists (select 1 from ${checkpointFiles} where ${checkpointFiles.sha256} = ${blobs.sha256})`,
    )
    .limit(limit);
}

/** Forgets a blob no file references; false when it was already gone or is referenced again. */
export async function deleteBlobRow(db: Db, { sha256 }: { sha256: string }): Promise<boolean> {
  const rows = await db
    .delete(blobs)
    .where(sql`${blobs.sha256} = ${sha256} and not exists (select 1 from ${checkpointFiles} where ${checkpointFiles.sha256} = ${sha256})`)
    .returning({ sha256: blobs.sha256 });
  return rows.length > 0;
}

/**
 * Forgets a blob a cancelled ingest wrote when nothing else can be using it: no file references it
 * and it was not recorded before `since` (the ingest's start). True when its bytes may go too.
 */
export async function forgetBlobWrittenSince(db: Db, { sha256, since }: { sha256: string; since: Date }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [used] = await tx.select({ sha256: checkpointFiles.sha256 }).from(checkpointFiles).where(eq(checkpointFiles.sha256, sha256)).limit(1);
    if (used) return false;
    const [row] = await tx.select({ createdAt: blobs.createdAt }).from(blobs).where(eq(blobs.sha256, sha256)).for("update");
    if (row && row.createdAt < since) return false;
    await tx.delete(blobs).where(eq(blobs.sha256, sha256));
    return true;
  });
}

/**
 * A manifest of blobs already stored and referenced elsewhere (a derived checkpoint's files): rows
 * only, no bytes. The caller sets the checkpoint's size and file count (it knows them).
 */
export async function insertFileRows(db: Db, { checkpointId, files }: { checkpointId: string; files: { path: string; size: number; sha256: string }[] }) {
  for (let start = 0; start < files.length; start += 1000) {
    await db.insert(checkpointFiles).values(files.slice(start, start + 1000).map(({ path, size, sha256 }) => ({ checkpointId, path, size, sha256 })));
  }
}

/** Drops every file row of the checkpoint but those at `keep`, and sets its size and file count to what remains. */
export async function keepOnlyFileRows(db: Db, { checkpointId, keep }: { checkpointId: string; keep: string[] }) {
  const kept = new Set(keep);
  const rows = await db.select({ path: checkpointFiles.path }).from(checkpointFiles).where(eq(checkpointFiles.checkpointId, checkpointId));
  const gone = rows.map((row) => row.path).filter((path) => !kept.has(path));
  for (let start = 0; start < gone.length; start += 1000) {
    await db.delete(checkpointFiles).where(and(eq(checkpointFiles.checkpointId, checkpointId), inArray(checkpointFiles.path, gone.slice(start, start + 1000))));
  }
  await syncFileTotals(db, { checkpointId });
}

async function syncFileTotals(db: Db, { checkpointId }: { checkpointId: string }) {
  await db
    .update(checkpoints)
    .set({
      size: sql`(select coalesce(sum(${checkpointFiles.size}), 0) from ${checkpointFiles} where ${checkpointFiles.checkpointId} = ${checkpointId})`,
      fileCount: sql`(select count(*)::int from ${checkpointFiles} where ${checkpointFiles.checkpointId} = ${checkpointId})`,
      updatedAt: new Date(),
    })
    .where(eq(checkpoints.id, checkpointId));
}
