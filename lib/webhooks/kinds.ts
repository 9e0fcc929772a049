/** The events an organization can subscribe a webhook to. Browser-safe. */
export const webhookEvents = [
  "checkpoint.ready",
  "checkpoint.failed",
  "checkpoint.deleted",
  "job.finished",
  "capture.ready",
] as const;

export type WebhookEvent = (typeof webhookEvents)[number];
