import "server-only";
import { ApiError, notFound } from "@/lib/api/errors";
import { pausePoint } from "@/lib/crash-points";
import type { Db } from "@/lib/db/client";
import { insertAuditEvent, type AuditActor } from "@/lib/db/queries/audit";
import { insertLog, lockCheckpoint, updateCheckpoint } from "@/lib/db/queries/checkpoints";
import { deleteFileRows } from "@/lib/db/queries/files";
import { jobsUsingCheckpoint } from "@/lib/db/queries/jobs";
import { blobsHeldBy, unreferencedOf } from "@/lib/db/queries/storage";
import type { Checkpoint } from "@/lib/db/schema";
import { stopIngestInThisProcess } from "@/lib/ingest/cancel";
import { getBlobStore } from "@/lib/storage";
import { notifyCheckpointDeleted } from "@/lib/webhooks/events";
import { collectReleasedBlobs } from "./blob-gc";
import { resolveCheckpoint } from "./service";

const INGESTING: readonly string[] = ["new", "downloading", "extracting"];

export type DeleteOutcome = {
  checkpoint: Checkpoint;
  /** What the organization's usage went down by: the bytes of blobs no other live checkpoint of it holds. */
  bytesFreed: number;
  /** Blobs whose bytes left the store in the second phase (fewer if another org still holds some). */
  blobsCollected: number;
};

/** Who a deletion is by, for the log line. */
const byline = (actor: AuditActor) => (actor.kind === "policy" ? `retention policy '${actor.name}'` : actor.name);

/**
 * Phase one, in one transaction: the guards (an export or a queued or running job holds it; a
 * policy never takes a pinned or public one), the manifest and the row go, and the audit event
 * says who, how many bytes the org got back and which blobs nothing references any more.
 */
async function removeRows(db: Db, { orgId, row, actor, reason }: { orgId: string; row: Checkpoint; actor: AuditActor; reason?: string }) {
  return db.transaction(async (tx) => {
    const locked = await lockCheckpoint(tx, { orgId, id: row.id });
    if (!locked) throw notFound(`Checkpoint '${row.name}'`);
    // An export reads the blobs as it goes; deleting under it would let them be collected.
    if (locked.status === "exporting") {
      throw new ApiError("conflict", `Checkpoint '${locked.name}' is being exported. Wait for the export to finish, then delete it.`, { status: locked.status });
    }
    if (actor.kind === "policy" && (locked.pinned || locked.visibility === "public")) {
      throw new ApiError("conflict", `Checkpoint '${locked.name}' is ${locked.pinned ? "pinned" : "public"}; retention policies keep it.`, {
        pinned: locked.pinned,
        visibility: locked.visibility,
      });
    }
    const usedBy = await jobsUsingCheckpoint(tx, { orgId, checkpointId: row.id, scope: "active" });
    if (usedBy.length > 0) {
      const names = usedBy.map((job) => `'${job.jobName}'`).join(", ");
      throw new ApiError(
        "conflict",
        `Checkpoint '${locked.name}' is attached to ${usedBy.length === 1 ? "a job that is" : "jobs that are"} queued or running (${names}). Stop ${usedBy.length === 1 ? "it" : "them"} or wait until ${usedBy.length === 1 ? "it ends" : "they end"}, then delete.`,
        { usedBy },
      );
    }
    const held = await blobsHeldBy(tx, { orgId, checkpointIds: [row.id] });
    const bytesFreed = held.filter((blob) => !blob.heldElsewhereInOrg).reduce((sum, blob) => sum + blob.size, 0);
    await deleteFileRows(tx, { checkpointId: row.id });
    const released = await unreferencedOf(tx, { sha256s: held.map((blob) => blob.sha256) });
    await updateCheckpoint(tx, { orgId, id: row.id }, { deletedAt: new Date(), size: 0, fileCount: 0 });
    const inFlight = INGESTING.includes(locked.status);
    const during = inFlight ? ` while it was ${locked.status === "new" ? "queued" : locked.status}; the ingest stops` : "";
    await insertLog(tx, { checkpointId: row.id, level: inFlight ? "warn" : "info", message: `Deleted by ${byline(actor)}${during}.` });
    await insertAuditEvent(tx, {
      orgId,
      actor,
      action: "checkpoint.delete",
      target: { kind: "checkpoint", id: row.id, name: locked.name },
      details: {
        bytesFreed,
        logicalBytes: locked.size,
        fileCount: locked.fileCount,
        blobsReleased: released.length,
        status: locked.status,
        ...(reason ? { reason } : {}),
      },
    });
    return { inFlight, bytesFreed, released };
  });
}

/**
 * Deletes a checkpoint in two phases. Phase one (one transaction) removes its rows and writes the
 * audit event; phase two drops the blobs nothing references any more. A crash between or during
 * the phases loses nothing and frees nothing twice: the rows are gone or not, and the blobs they
 * left are found unreferenced by any later collection (lib/checkpoints/blob-gc.ts), which finishes
 * the job. An ingest in progress stops (within a second, in whichever process runs it).
 */
export async function deleteCheckpoint(
  db: Db,
  { orgId, ref, actor, reason }: { orgId: string; ref: string; actor: AuditActor; reason?: string },
): Promise<DeleteOutcome> {
  const row = await resolveCheckpoint(db, { orgId, ref });
  const { inFlight, bytesFreed, released } = await removeRows(db, { orgId, row, actor, reason });
  if (inFlight) stopIngestInThisProcess(row.id, "deleted");
  await notifyCheckpointDeleted(row, db);
  await pausePoint("delete-between-phases");
  let blobsCollected = 0;
  try {
    blobsCollected = await collectReleasedBlobs(db, getBlobStore(), released);
  } catch (error) {
    // The rows are gone already; the periodic collection frees what is left.
    console.error(`deleting the blobs of checkpoint ${row.id} failed; the next collection retries`, error);
  }
  return { checkpoint: row, bytesFreed, blobsCollected };
}
