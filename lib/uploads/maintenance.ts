import { rm } from "node:fs/promises";
import path from "node:path";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { activeUploadsOf, deleteUpload, staleUploads } from "@/lib/db/queries/uploads";
import { insertLog } from "@/lib/db/queries/checkpoints";

/**
 * Forgets uploads nobody finished within `CAIRN_UPLOAD_EXPIRY_HOURS`: their partial bytes and
 * rows go, so they hold no quota and no longer block a commit.
 */
export async function expireAbandonedUploads(db: Db, now = new Date()): Promise<number> {
  const cfg = config();
  const cutoff = new Date(now.getTime() - cfg.uploadExpiryHours * 3600 * 1000);
  const stale = await staleUploads(db, { olderThan: cutoff });
  for (const upload of stale) {
    await discardUpload(db, upload.id);
    await insertLog(db, {
      checkpointId: upload.checkpointId,
      level: "warn",
      message: `Upload of ${upload.path} was abandoned for more than ${cfg.uploadExpiryHours}h and has been discarded. Upload it again.`,
    });
  }
  return stale.length;
}

async function discardUpload(db: Db, id: string): Promise<void> {
  const file = path.join(config().dataDir, "uploads", id);
  await rm(file, { force: true });
  await rm(`${file}.json`, { force: true });
  await deleteUpload(db, { id });
}

/**
 * Discards the checkpoint's unfinished uploads of paths it already holds: what an uploader left
 * when it was killed and started over (a job's agent taking over a capture). Returns how many went.
 */
export async function discardSupersededUploads(db: Db, { checkpointId, stored }: { checkpointId: string; stored: Set<string> }): Promise<number> {
  const superseded = (await activeUploadsOf(db, { checkpointId })).filter((upload) => stored.has(upload.path));
  for (const upload of superseded) await discardUpload(db, upload.id);
  return superseded.length;
}
