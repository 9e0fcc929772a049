import { getDb } from "@/lib/db/client";
import { getBlobStore } from "@/lib/storage";
import { collectBlobs } from "@/lib/storage/gc";
import { expireAbandonedUploads } from "@/lib/uploads/maintenance";

const INTERVAL_MS = 15 * 60 * 1000;

async function sweep(): Promise<void> {
  const db = await getDb();
  await expireAbandonedUploads(db);
  await collectBlobs(db, getBlobStore());
}

/** Periodic housekeeping in the server process: abandoned uploads and unreferenced blobs. */
export function startMaintenance(): void {
  const run = () => sweep().catch((error) => console.error("maintenance sweep failed", error));
  setTimeout(run, 30_000).unref();
  setInterval(run, INTERVAL_MS).unref();
}
