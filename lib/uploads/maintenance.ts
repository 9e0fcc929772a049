import { rm } from "node:fs/promises";
import path from "node:path";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { deleteUpload, staleUploads } from "@/lib/db/queries/uploads";
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
    const file = path.join(cfg.dataDir, "uploads", upload.id);
    await rm(file, { force: true });
    await rm(`${file}.json`, { force: true });
    await deleteUpload(db, { id: upload.id });
    await insertLog(db, {
      checkpointId: upload.checkpointId,
      level: "warn",
      message: `Upload of ${upload.path} was abandoned for more than ${cfg.uploadExpiryHours}h and has been discarded. Upload it again.`,
    });
  }
  return stale.length;
}
