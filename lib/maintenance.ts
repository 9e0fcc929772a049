import { collectBlobs } from "@/lib/checkpoints/blob-gc";
import { getDatabase, getDb } from "@/lib/db/client";
import { analyzeTables } from "@/lib/db/queries/maintenance";
import { startExportWorkers } from "@/lib/export/worker";
import { startIngestWorkers } from "@/lib/ingest/worker";
import { startJobRunner } from "@/lib/jobs/startup";
import { startFactsWorkers } from "@/lib/model-facts/worker";
import { startRetentionWorkers } from "@/lib/retention/worker";
import { getBlobStore } from "@/lib/storage";
import { expireAbandonedUploads } from "@/lib/uploads/maintenance";
import { startWebhookWorkers } from "@/lib/webhooks/worker";

const INTERVAL_MS = 15 * 60 * 1000;

async function sweep(): Promise<void> {
  const db = await getDb();
  await expireAbandonedUploads(db);
  await collectBlobs(db, getBlobStore());
  if ((await getDatabase()).kind === "pglite") await analyzeTables(db);
}

/**
 * Background work of a server process: periodic housekeeping (abandoned uploads, unreferenced
 * blobs) and, unless `CAIRN_WORKERS=0` (web replicas next to `npm run worker` processes), the
 * ingest and export workers.
 */
export function startBackgroundWork(): void {
  const run = () => sweep().catch((error) => console.error("maintenance sweep failed", error));
  setTimeout(run, 30_000).unref();
  setInterval(run, INTERVAL_MS).unref();
  startJobRunner();
  if (process.env.CAIRN_WORKERS !== "0") {
    startIngestWorkers().catch((error) => console.error("could not start ingest workers", error));
    startExportWorkers().catch((error) => console.error("could not start export workers", error));
    startFactsWorkers().catch((error) => console.error("could not start model facts workers", error));
    startRetentionWorkers().catch((error) => console.error("could not start the retention worker", error));
    startWebhookWorkers().catch((error) => console.error("could not start webhook workers", error));
  }
}
