import { z } from "zod";
import { webhookEvents } from "@/lib/webhooks/kinds";
import { webhookUrlProblem } from "@/lib/webhooks/url-rule";
import { checkpointResponse } from "./checkpoints";
import { limitParam, pageOf } from "./common";
import { jobCapture, jobResponse } from "./jobs";

export const webhookEvent = z
  .enum(webhookEvents, { error: `Each event is one of ${webhookEvents.join(", ")}.` })
  .describe("checkpoint.ready, checkpoint.failed, checkpoint.deleted, job.finished (succeeded, failed or stopped) or capture.ready.");

export const webhookDeliveryStatuses = ["pending", "succeeded", "failed"] as const;
export const webhookDeliveryStatus = z
  .enum(webhookDeliveryStatuses)
  .describe("pending: queued or between retries; succeeded: the receiver answered 2xx; failed: every attempt failed, or the URL may not be reached.");

const webhookUrl = z
  .string({ error: "url is required: the address Cairn POSTs each event to." })
  .trim()
  .superRefine((value, ctx) => {
    const problem = webhookUrlProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .describe("An http(s) URL on a public address (an administrator may allow private ranges with CAIRN_ALLOW_PRIVATE_SOURCES). Redirects are not followed.");

export const createWebhookBody = z.strictObject({
  url: webhookUrl,
  events: z
    .array(webhookEvent, { error: `events is a list of the events to send, e.g. ["checkpoint.ready"].` })
    .min(1, "Pick at least one event to send.")
    .max(20, `List each event once; there are ${webhookEvents.length}.`),
});
export type CreateWebhookBody = z.infer<typeof createWebhookBody>;

/** The newest delivery of a webhook, so a list shows at a glance whether its receiver keeps up. */
export const webhookLastDelivery = z.object({
  id: z.string(),
  event: webhookEvent,
  status: webhookDeliveryStatus,
  responseStatus: z.number().nullable(),
  createdAt: z.string(),
});

export const webhookResponse = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(webhookEvent),
  creatorUserID: z.string().nullable(),
  createdAt: z.string(),
  lastDelivery: webhookLastDelivery.nullable(),
});
export type WebhookResponse = z.infer<typeof webhookResponse>;

/** `POST /webhooks` answers the webhook with its signing secret: the only time the secret is shown. */
export const createdWebhookResponse = webhookResponse.extend({
  secret: z.string().describe("The HMAC-SHA256 key of X-Cairn-Signature. Shown only in this answer; store it with the receiver."),
});
export type CreatedWebhookResponse = z.infer<typeof createdWebhookResponse>;

export const webhookListResponse = pageOf(webhookResponse);
export type WebhookList = z.infer<typeof webhookListResponse>;

export const listWebhookDeliveriesQuery = z.object({
  limit: limitParam,
  cursor: z.string().max(200).optional(),
});
export type ListWebhookDeliveriesQuery = z.infer<typeof listWebhookDeliveriesQuery>;

export const webhookDeliveryResponse = z.object({
  id: z.string().describe("Also the X-Cairn-Delivery header and the body's id: a receiver can tell a redelivery from a new event."),
  webhookId: z.string(),
  event: webhookEvent,
  status: webhookDeliveryStatus,
  /** Tries so far, redeliveries included. */
  attempts: z.number(),
  /** The HTTP status of the last try; null when it got no answer (timeout, refused connection, blocked address). */
  responseStatus: z.number().nullable(),
  /** Why the last try failed, in a sentence; null once it succeeded. */
  error: z.string().nullable(),
  createdAt: z.string(),
  lastAttemptAt: z.string().nullable(),
});
export type WebhookDeliveryResponse = z.infer<typeof webhookDeliveryResponse>;

export const webhookDeliveryListResponse = pageOf(webhookDeliveryResponse);
export type WebhookDeliveryList = z.infer<typeof webhookDeliveryListResponse>;

/* What a receiver gets: the JSON body of each delivery, signed in X-Cairn-Signature. */

const payloadFields = {
  id: z.string().describe("The delivery id (X-Cairn-Delivery); the same on a redelivery."),
  createdAt: z.string().describe("When the event happened."),
};

export const checkpointEventPayload = z.object({
  ...payloadFields,
  event: z.enum(["checkpoint.ready", "checkpoint.failed", "checkpoint.deleted"]),
  /** The checkpoint as `GET /checkpoints/{ref}` shows it; for checkpoint.deleted, as it was just before (without files). */
  data: checkpointResponse,
});

export const jobFinishedPayload = z.object({
  ...payloadFields,
  event: z.literal("job.finished"),
  /** The job as `GET /jobs/{ref}` shows it, in its final status. */
  data: jobResponse,
});

export const captureReadyPayload = z.object({
  ...payloadFields,
  event: z.literal("capture.ready"),
  /** The job, the capture that became ready, and its checkpoint. */
  data: z.object({ job: jobResponse, capture: jobCapture, checkpoint: checkpointResponse }),
});

export const webhookPayload = z.discriminatedUnion("event", [checkpointEventPayload, jobFinishedPayload, captureReadyPayload]);
export type WebhookPayload = z.infer<typeof webhookPayload>;
