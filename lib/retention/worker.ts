import "server-only";
import { getDb } from "@/lib/db/client";
import { workQueue } from "@/lib/queue/boss";
import { enqueueHourlyRetention, RETENTION_QUEUE, type RetentionTask } from "@/lib/queue/tasks";
import { applyAllPolicies, applyOrgPolicies } from "./service";

/** How often each process asks for the hourly pass; the queue keeps one task per clock hour. */
const TICK_MS = 5 * 60 * 1000;

/**
 * Starts the retention worker in this process (the server in embedded mode, or `npm run worker`):
 * it applies an org's policies after its captures, and every org's once an hour. Every process
 * asks for the hourly pass; pg-boss's throttle (a singleton per hour) lets one task through.
 */
export async function startRetentionWorkers(): Promise<void> {
  await workQueue<RetentionTask>(RETENTION_QUEUE, 1, { batchSize: 1, pollingIntervalSeconds: 2, includeMetadata: true }, async ([job]) => {
    if (!job) return;
    const db = await getDb();
    if (job.data.orgId) await applyOrgPolicies(db, { orgId: job.data.orgId });
    else await applyAllPolicies(db);
  });
  const tick = () => enqueueHourlyRetention().catch((error) => console.error("could not queue the hourly retention pass", error));
  void tick();
  setInterval(tick, TICK_MS).unref();
}
