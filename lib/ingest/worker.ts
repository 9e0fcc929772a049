import type PgBoss from "pg-boss";
import { getDatabase, getDb, type Db } from "@/lib/db/client";
import { insertLog } from "@/lib/db/queries/checkpoints";
import { failOrphan, orphanedIngests } from "@/lib/db/queries/ingest";
import { getBoss, workQueue } from "@/lib/queue/boss";
import { enqueueIngest, INGEST_QUEUE, type IngestTask } from "@/lib/queue/tasks";
import { notifyCheckpoint } from "@/lib/webhooks/events";
import { MAX_INGEST_ATTEMPTS, runIngest, STALE_INGEST_MS } from "./run";

/**
 * Finds ingests whose server died (no progress for a while — or, in embedded mode, anything in
 * flight at start-up, since PGlite means this is the only process) and queues them again, or
 * fails them once they have used up their attempts. Never stuck, never `ready` with missing bytes.
 */
export async function recoverOrphanedIngests(db: Db, { staleBefore }: { staleBefore: Date }): Promise<number> {
  const orphans = await orphanedIngests(db, { staleBefore });
  for (const orphan of orphans) {
    if (orphan.attempts >= MAX_INGEST_ATTEMPTS) {
      await failOrphan(db, { checkpointId: orphan.id, message: `The server stopped during the ingest ${orphan.attempts} times; giving up. Create the checkpoint again.` });
      await notifyCheckpoint("checkpoint.failed", { orgId: orphan.orgId, id: orphan.id }, db);
      continue;
    }
    await insertLog(db, { checkpointId: orphan.id, level: "warn", message: "The server restarted during the ingest; starting it again." });
    await enqueueIngest({ checkpointId: orphan.id, orgId: orphan.orgId });
  }
  return orphans.length;
}

/** Starts ingest workers in this process (the Next.js server in embedded mode, or `npm run worker`). */
export async function startIngestWorkers(opts: { concurrency?: number } = {}): Promise<PgBoss> {
  const boss = await getBoss();
  const database = await getDatabase();
  await boss.createQueue(INGEST_QUEUE);
  // Tasks sent from this process start at once; other processes' within half a second (pg-boss's shortest poll).
  await workQueue<IngestTask>(INGEST_QUEUE, opts.concurrency ?? 2, { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true }, async ([job]) => {
    await runIngest(await getDb(), job.data.checkpointId, { finalAttempt: job.retryCount >= job.retryLimit });
  });
  const embedded = database.kind === "pglite";
  await recoverOrphanedIngests(database.db, { staleBefore: embedded ? new Date() : new Date(Date.now() - STALE_INGEST_MS) });
  setInterval(() => {
    recoverOrphanedIngests(database.db, { staleBefore: new Date(Date.now() - STALE_INGEST_MS) }).catch((error) =>
      console.error("ingest recovery failed", error),
    );
  }, 30_000).unref();
  return boss;
}
