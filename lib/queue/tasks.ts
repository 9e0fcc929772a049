import "server-only";
import { config } from "@/lib/config";
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

export const FACTS_QUEUE = "checkpoint-facts";

export type FactsTask = { checkpointId: string; orgId: string };

/** Queues the reading of a ready checkpoint's model facts; one pending task per checkpoint. */
export async function enqueueModelFacts(task: FactsTask): Promise<void> {
  await sendTask(FACTS_QUEUE, task, { singletonKey: task.checkpointId, retryLimit: 3, retryDelay: 5, retryBackoff: true, expireInHours: 1 });
}

export const DIGESTS_QUEUE = "tensor-digests";

/** `path`: a file name the blob is stored under, which says its weight format. */
export type DigestsTask = { sha256: string; size: number; path: string };

/** Queues the per-tensor SHA-256s of one blob, for diffs; one pending task per blob. */
export async function enqueueTensorDigests(task: DigestsTask): Promise<void> {
  await sendTask(DIGESTS_QUEUE, task, { singletonKey: task.sha256, retryLimit: 2, retryDelay: 5, expireInHours: 4 });
}

export const RETENTION_QUEUE = "retention-apply";

/** One organization's policies, or (`orgId: null`) every organization's: the hourly pass. */
export type RetentionTask = { orgId: string | null };

/**
 * Queues an application of the org's retention policies a few seconds from now. Debounced per
 * org: captures landing together share one pass, and one landing during a pass gets the next.
 */
export async function enqueueRetention(orgId: string): Promise<void> {
  await sendTask(RETENTION_QUEUE, { orgId } satisfies RetentionTask, {
    singletonKey: `org:${orgId}`,
    singletonSeconds: 5,
    singletonNextSlot: true,
    retryLimit: 2,
    retryDelay: 30,
    expireInHours: 1,
  });
}

/** Queues the hourly pass over every organization; every process may ask, one task per clock hour is kept. */
export async function enqueueHourlyRetention(): Promise<void> {
  await sendTask(RETENTION_QUEUE, { orgId: null } satisfies RetentionTask, {
    singletonKey: "hourly",
    singletonSeconds: 3600,
    retryLimit: 2,
    retryDelay: 60,
    expireInHours: 1,
  });
}

export const WEBHOOK_QUEUE = "webhook-delivery";

export type WebhookTask = { deliveryId: string; orgId: string };

/**
 * Queues the sending of one webhook delivery. A failed try throws and the queue tries again
 * (`CAIRN_WEBHOOK_RETRY_LIMIT` times), backing off exponentially from
 * `CAIRN_WEBHOOK_RETRY_DELAY_SECONDS`; a try never outlives its timeout, so the expiry only
 * catches a worker that died mid-try.
 */
export async function enqueueWebhookDelivery(task: WebhookTask): Promise<void> {
  const { retryLimit, retryDelaySeconds, timeoutSeconds } = config().webhooks;
  await sendTask(WEBHOOK_QUEUE, task, {
    retryLimit,
    retryDelay: retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: Math.ceil(timeoutSeconds) + 60,
  });
}
