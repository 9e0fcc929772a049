import "server-only";
import { sendTask } from "./boss";

export const INGEST_QUEUE = "checkpoint-ingest";

export type IngestTask = { checkpointId: string; orgId: string };

/** Queues the ingest of a checkpoint; one pending task per checkpoint at a time. */
export async function enqueueIngest(task: IngestTask): Promise<void> {
  await sendTask(INGEST_QUEUE, task, {
    singletonKey: task.checkpointId,
    retryLimit: 4,
    retryDelay: 10,
    retryBackoff: true,
    expireInHours: 23,
  });
}

export const EXPORT_QUEUE = "checkpoint-export";

export type ExportTask = { exportId: string; orgId: string };

/**
 * Queues one export. Not retried by the queue: the runner ends every export succeeded or failed
 * itself, and the recovery sweep fails the ones whose server died.
 */
export async function enqueueExport(task: ExportTask): Promise<void> {
  await sendTask(EXPORT_QUEUE, task, { singletonKey: task.exportId, retryLimit: 0, expireInHours: 23 });
}
