import "server-only";
import { and, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { uploads } from "../schema";

export async function insertUpload(
  db: Db,
  values: { id: string; orgId: string; checkpointId: string; path: string; declaredSize: number | null },
) {
  await db.insert(uploads).values(values);
}

export async function findUpload(db: Db, { orgId, id }: { orgId: string; id: string }) {
  const [row] = await db.select().from(uploads).where(and(eq(uploads.orgId, orgId), eq(uploads.id, id)));
  return row ?? null;
}

export async function findUploadById(db: Db, id: string) {
  const [row] = await db.select().from(uploads).where(eq(uploads.id, id));
  return row ?? null;
}

export async function markUploadDone(db: Db, { id }: { id: string }) {
  await db.update(uploads).set({ status: "done" }).where(eq(uploads.id, id));
}

export async function deleteUpload(db: Db, { id }: { id: string }) {
  await db.delete(uploads).where(eq(uploads.id, id));
}

export async function countActiveUploads(db: Db, { checkpointId }: { checkpointId: string }) {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(uploads)
    .where(and(eq(uploads.checkpointId, checkpointId), eq(uploads.status, "active")));
  return row.n;
}

export async function activeUploadsOf(db: Db, { checkpointId }: { checkpointId: string }) {
  return db.select().from(uploads).where(and(eq(uploads.checkpointId, checkpointId), eq(uploads.status, "active")));
}

/** Bytes that other open uploads of the checkpoint have declared. */
export async function declaredBytesOfCheckpoint(db: Db, { checkpointId }: { checkpointId: string }) {
  const [row] = await db
    .select({ bytes: sql<string>`coalesce(sum(${uploads.declaredSize}), 0)` })
    .from(uploads)
    .where(and(eq(uploads.checkpointId, checkpointId), eq(uploads.status, "active")));
  return Number(row.bytes);
}

export async function staleUploads(db: Db, { olderThan }: { olderThan: Date }) {
  return db.select().from(uploads).where(and(eq(uploads.status, "active"), lt(uploads.createdAt, olderThan)));
}
