import { getBoss } from "./boss";

export const INGEST_QUEUE = "checkpoint-ingest";

export type IngestTask = { checkpointId: string; orgId: string };

/** Queues the ingest of a checkpoint; one pending task per checkpoint at a time. */
export async function enqueueIngest(task: IngestTask): Promise<void> {
  const boss = await getBoss();
  await boss.createQueue(INGEST_QUEUE);
  await boss.send(INGEST_QUEUE, task, {
    singletonKey: task.checkpointId,
    retryLimit: 4,
    retryDelay: 10,
    retryBackoff: true,
    expireInHours: 23,
  });
}
