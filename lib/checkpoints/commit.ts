import { ApiError, notFound } from "@/lib/api/errors";
import type { Db } from "@/lib/db/client";
import { insertLog, lockCheckpoint, updateCheckpoint } from "@/lib/db/queries/checkpoints";
import { countActiveUploads } from "@/lib/db/queries/uploads";
import { formatBytes } from "@/lib/format";
import { presentCheckpoint } from "./present";
import { listFiles } from "@/lib/db/queries/files";
import { afterCheckpointReady } from "./on-ready";
import { resolveCheckpoint } from "./service";

/** Seals an uploading checkpoint: from here on it is `ready` and its files never change. */
export async function commitCheckpoint(db: Db, { orgId, ref }: { orgId: string; ref: string }) {
  const found = await resolveCheckpoint(db, { orgId, ref });
  const sealed = await db.transaction(async (tx) => {
    const row = await lockCheckpoint(tx, { orgId, id: found.id });
    if (!row) throw notFound(`Checkpoint '${ref}'`);
    if (row.status !== "uploading") {
      throw new ApiError(
        "conflict",
        row.status === "ready"
          ? `Checkpoint '${row.name}' is already ready; its content is immutable.`
          : `Checkpoint '${row.name}' is '${row.status}'; only an uploading checkpoint can be committed.`,
        { status: row.status },
      );
    }
    const unfinished = await countActiveUploads(tx, { checkpointId: row.id });
    if (unfinished > 0) {
      throw new ApiError(
        "validation_failed",
        `${unfinished} upload${unfinished === 1 ? " is" : "s are"} not finished. Wait for ${unfinished === 1 ? "it" : "them"} to complete (or cancel ${unfinished === 1 ? "it" : "them"}), then commit again.`,
        { fields: { uploads: `${unfinished} unfinished` } },
      );
    }
    if (row.fileCount === 0) {
      throw new ApiError("validation_failed", "The checkpoint has no files. Upload at least one file, then commit.", {
        fields: { files: "none uploaded" },
      });
    }
    const now = new Date();
    const updated = await updateCheckpoint(tx, { orgId, id: row.id }, {
      status: "ready",
      readyAt: now,
      bytesDone: row.size,
      bytesTotal: row.size,
      filesDone: row.fileCount,
      filesTotal: row.fileCount,
    });
    await insertLog(tx, { checkpointId: row.id, message: `Committed ${row.fileCount} files, ${formatBytes(row.size)}. The checkpoint is ready.` });
    return updated ?? row;
  });
  await afterCheckpointReady(sealed);
  return presentCheckpoint(sealed, { files: await listFiles(db, { checkpointId: sealed.id }) });
}
