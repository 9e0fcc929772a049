import "server-only";
import type PgBoss from "pg-boss";
import { getDb, type Db } from "@/lib/db/client";
import { checkpointsWithoutFacts } from "@/lib/db/queries/model-facts";
import { getBoss, workQueue } from "@/lib/queue/boss";
import { DIGESTS_QUEUE, enqueueModelFacts, FACTS_QUEUE, type DigestsTask, type FactsTask } from "@/lib/queue/tasks";
import { computeTensorDigests } from "./compare";
import { refreshModelFacts } from "./service";

const SWEEP_MS = 10 * 60 * 1000;

/** Queues the facts of ready checkpoints that have none: a lost task, or checkpoints from before facts. */
export async function sweepMissingFacts(db: Db, { limit = 500 } = {}): Promise<number> {
  const missing = await checkpointsWithoutFacts(db, { limit });
  for (const row of missing) await enqueueModelFacts({ checkpointId: row.id, orgId: row.orgId });
  return missing.length;
}

/**
 * Starts model-facts and tensor-digest workers in this process (the server in embedded mode, or
 * `npm run worker`). Digests run two at a time: a diff waits on both sides' changed blobs.
 */
export async function startFactsWorkers(opts: { concurrency?: number } = {}): Promise<PgBoss> {
  const boss = await getBoss();
  await workQueue<FactsTask>(FACTS_QUEUE, opts.concurrency ?? 1, { batchSize: 1, pollingIntervalSeconds: 1, includeMetadata: true }, async ([job]) => {
    if (job) await refreshModelFacts(await getDb(), { orgId: job.data.orgId, checkpointId: job.data.checkpointId });
  });
  await workQueue<DigestsTask>(DIGESTS_QUEUE, 2, { batchSize: 1, pollingIntervalSeconds: 1, includeMetadata: true }, async ([job]) => {
    if (job) await computeTensorDigests(await getDb(), job.data);
  });
  const sweep = async () => sweepMissingFacts(await getDb());
  sweep().catch((error) => console.error("model facts sweep failed", error));
  setInterval(() => sweep().catch((error) => console.error("model facts sweep failed", error)), SWEEP_MS).unref();
  return boss;
}
