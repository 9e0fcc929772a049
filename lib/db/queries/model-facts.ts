import "server-only";
import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { blobTensorDigests, checkpoints } from "@/lib/db/schema";
import type { ModelFacts } from "@/lib/model-facts/kinds";

/** Stores a checkpoint's model facts; a deleted checkpoint is left alone. */
export async function setModelFacts(db: Db, { checkpointId, facts }: { checkpointId: string; facts: ModelFacts }): Promise<boolean> {
  const rows = await db
    .update(checkpoints)
    .set({ model: facts as unknown as Record<string, unknown>, updatedAt: new Date() })
    .where(and(eq(checkpoints.id, checkpointId), isNull(checkpoints.deletedAt)))
    .returning({ id: checkpoints.id });
  return rows.length > 0;
}

/** Ready checkpoints whose facts were never read (their task was lost, or they predate facts). */
export async function checkpointsWithoutFacts(db: Db, { limit }: { limit: number }) {
  return db
    .select({ id: checkpoints.id, orgId: checkpoints.orgId })
    .from(checkpoints)
    .where(and(isNull(checkpoints.model), isNull(checkpoints.deletedAt), sql`${checkpoints.status} in ('ready', 'exporting')`))
    .orderBy(asc(checkpoints.readyAt))
    .limit(limit);
}

/** The per-tensor digests known for these blobs (rows being computed or failed included). */
export async function tensorDigests(db: Db, { sha256s }: { sha256s: string[] }) {
  if (sha256s.length === 0) return [];
  return db.select().from(blobTensorDigests).where(inArray(blobTensorDigests.sha256, sha256s));
}

/** Records a blob's per-tensor digests (or why they could not be computed); a rerun overwrites. */
export async function putTensorDigests(
  db: Db,
  row: { sha256: string; status: "ready" | "failed"; tensors: Record<string, unknown> | null; problem: string | null },
): Promise<void> {
  await db
    .insert(blobTensorDigests)
    .values({ ...row, updatedAt: new Date() })
    .onConflictDoUpdate({ target: blobTensorDigests.sha256, set: { status: row.status, tensors: row.tensors, problem: row.problem, updatedAt: new Date() } });
}
