import "server-only";
import { randomUUID } from "node:crypto";
import { getDb, type Db } from "@/lib/db/client";
import { failPendingDeliveries, insertDeliveries, webhooksForEvent } from "@/lib/db/queries/webhooks";
import { enqueueWebhookDelivery } from "@/lib/queue/tasks";
import type { WebhookEvent } from "./kinds";

/**
 * Records `event` for every webhook of the org subscribed to it and queues their deliveries;
 * `data` (the resource as the API shows it) is built only when someone listens. Never throws and
 * never waits on a receiver: the action that caused the event has happened, so a failure here
 * is logged, and a delivery whose task could not be queued is marked failed for *Redeliver*.
 */
export async function emitWebhookEvent(
  event: WebhookEvent,
  { orgId, db }: { orgId: string; db?: Db },
  data: (db: Db) => Promise<unknown>,
): Promise<void> {
  try {
    const conn = db ?? (await getDb());
    const hooks = await webhooksForEvent(conn, { orgId, event });
    if (hooks.length === 0) return;
    const payload = await data(conn);
    // Milliseconds, as the deliveries list's cursor compares them.
    const createdAt = new Date();
    const rows = hooks.map((hook) => {
      const id = randomUUID();
      return { id, webhookId: hook.id, event, createdAt, body: JSON.stringify({ id, event, createdAt: createdAt.toISOString(), data: payload }) };
    });
    await insertDeliveries(conn, rows);
    const unqueued: string[] = [];
    for (const row of rows) {
      await enqueueWebhookDelivery({ deliveryId: row.id, orgId }).catch((error) => {
        console.error(`could not queue webhook delivery ${row.id}`, error);
        unqueued.push(row.id);
      });
    }
    await failPendingDeliveries(conn, { ids: unqueued, error: "The delivery could not be queued on the server. Press Redeliver to send it." });
  } catch (error) {
    console.error(`could not record the webhook event ${event} of org ${orgId}`, error);
  }
}
