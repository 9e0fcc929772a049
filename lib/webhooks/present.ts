import type { WebhookDeliveryResponse, WebhookResponse } from "@/lib/api/schemas/webhooks";
import type { Webhook, WebhookDelivery } from "@/lib/db/schema";

/** A webhook as the API shows it: never its secret, which only the create answer carries. */
export function presentWebhook(row: Webhook, last: WebhookDelivery | null): WebhookResponse {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    creatorUserID: row.creatorUserId,
    createdAt: row.createdAt.toISOString(),
    lastDelivery: last
      ? { id: last.id, event: last.event, status: last.status, responseStatus: last.responseStatus, createdAt: last.createdAt.toISOString() }
      : null,
  };
}

export function presentDelivery(row: WebhookDelivery): WebhookDeliveryResponse {
  return {
    id: row.id,
    webhookId: row.webhookId,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    responseStatus: row.responseStatus,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
  };
}
