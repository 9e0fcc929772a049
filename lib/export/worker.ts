import type PgBoss from "pg-boss";
import { getDatabase, getDb, type Db } from "@/lib/db/client";
import { insertLog } from "@/lib/db/queries/checkpoints";
import { failExport, orphanedExports } from "@/lib/db/queries/exports";
import { getBoss, workQueue } from "@/lib/queue/boss";
import { EXPORT_QUEUE, type ExportTask } from "@/lib/queue/tasks";
import { runExport, STALE_EXPORT_MS } from "./run";

/** A queued export whose task has not started in this long lost its task (the queue expired it). */
const LOST_TASK_MS = 24 * 60 * 60 * 1000;

/**
 * Ends exports whose server died: a running one that stopped reporting (or, in embedded mode,
 * anything running at start-up, since PGlite means this is the only process) becomes `failed`
 * with a sentence saying so, and its checkpoint goes back to `ready`. Never stuck `exporting`.
 */
export async function recoverOrphanedExports(db: Db, { staleBefore }: { staleBefore: Date }): Promise<number> {
  const orphans = await orphanedExports(db, { staleBefore, queuedBefore: new Date(Date.now() - LOST_TASK_MS) });
  for (const orphan of orphans) {
    const message =
      orphan.status === "running"
        ? "The server stopped while this export was running. Some files may have been written; export again to finish."
        : "This export was never started (its task was lost). Export again.";
    const failed = await failExport(db, { exportId: orphan.id, message });
    if (failed) await insertLog(db, { checkpointId: orphan.checkpointId, level: "error", message: `Export ${orphan.id.slice(0, 8)} failed: ${message}` });
  }
  return orphans.length;
}

/** Starts export workers in this process (the Next.js server in embedded mode, or `npm run worker`). */
export async function startExportWorkers(opts: { concurrency?: number } = {}): Promise<PgBoss> {
  const boss = await getBoss();
  const database = await getDatabase();
  await boss.createQueue(EXPORT_QUEUE);
  const embedded = database.kind === "pglite";
  // Recover before taking new work, so a running row left by a dead process is not mistaken for ours.
  await recoverOrphanedExports(database.db, { staleBefore: embedded ? new Date() : new Date(Date.now() - STALE_EXPORT_MS) });
  await workQueue<ExportTask>(EXPORT_QUEUE, opts.concurrency ?? 2, { batchSize: 1, pollingIntervalSeconds: 1, includeMetadata: true }, async ([job]) => {
    if (job) await runExport(await getDb(), job.data.exportId);
  });
  setInterval(() => {
    recoverOrphanedExports(database.db, { staleBefore: new Date(Date.now() - STALE_EXPORT_MS) }).catch((error) =>
      console.error("export recovery failed", error),
    );
  }, 30_000).unref();
  return boss;
}
