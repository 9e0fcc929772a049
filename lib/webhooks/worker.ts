import "server-only";
import { config } from "@/lib/config";
import { getDb, type Db } from "@/lib/db/client";
import { findDelivery, recordAttempt } from "@/lib/db/queries/webhooks";
import { workQueue } from "@/lib/queue/boss";
import { WEBHOOK_QUEUE, type WebhookTask } from "@/lib/queue/tasks";
import { sendDelivery } from "./deliver";
import { openWebhookSecret } from "./secret";

/** A try that failed and will be made again: thrown so the queue schedules the retry with backoff. */
export class DeliveryAttemptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeliveryAttemptError";
  }
}

/**
 * One try of one delivery, recorded on its row whatever happens (status, response code, error).
 * A delivery that is gone (its webhook deleted) or no longer pending (a duplicate task) is left
 * alone. Throws `DeliveryAttemptError` when the queue should try again.
 */
export async function attemptDelivery(db: Db, task: WebhookTask, { finalAttempt }: { finalAttempt: boolean }): Promise<void> {
  const found = await findDelivery(db, { orgId: task.orgId, id: task.deliveryId });
  if (!found || found.delivery.status !== "pending") return;
  const { delivery, webhook } = found;
  const result = await sendDelivery(
    { id: delivery.id, event: delivery.event, url: webhook.url, secret: openWebhookSecret(webhook), body: delivery.body },
    { timeoutMs: config().webhooks.timeoutSeconds * 1000 },
  );
  if (result.ok) {
    await recordAttempt(db, { id: delivery.id, status: "succeeded", responseStatus: result.responseStatus, error: null });
    return;
  }
  const last = finalAttempt || !result.retry;
  const recorded = await recordAttempt(db, { id: delivery.id, status: last ? "failed" : "pending", responseStatus: result.responseStatus, error: result.error });
  if (recorded && !last) throw new DeliveryAttemptError(result.error);
}

/**
 * Starts webhook delivery workers in this process (the server in embedded mode, or `npm run
 * worker`). Each try is bounded by `CAIRN_WEBHOOK_TIMEOUT_SECONDS`, so a silent receiver holds a
 * worker that long at most; retries wait in the queue, not in a worker.
 */
export async function startWebhookWorkers(opts: { concurrency?: number } = {}): Promise<void> {
  await workQueue<WebhookTask>(WEBHOOK_QUEUE, opts.concurrency ?? 2, { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true }, async ([job]) => {
    if (job) await attemptDelivery(await getDb(), job.data, { finalAttempt: job.retryCount >= job.retryLimit });
  });
}
