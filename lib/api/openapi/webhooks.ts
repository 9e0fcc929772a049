import {
  createWebhookBody,
  createdWebhookResponse,
  listWebhookDeliveriesQuery,
  webhookDeliveryListResponse,
  webhookDeliveryResponse,
  webhookListResponse,
  webhookPayload,
  webhookResponse,
} from "@/lib/api/schemas/webhooks";
import { bodyComponent, empty, json, responseComponent, type Area } from "./registry";

const id = { id: "The webhook's id." };

responseComponent("Webhook", webhookResponse);
responseComponent("WebhookDelivery", webhookDeliveryResponse);

/** The body of each delivery, for the document's `webhooks` section. */
export const webhookDeliveryBody = responseComponent("WebhookPayload", webhookPayload);

export const webhooksArea: Area = {
  tag: "Webhooks",
  description:
    "Per-organization webhooks: each event is a JSON POST to the webhook's URL with `X-Cairn-Event`, `X-Cairn-Delivery` and `X-Cairn-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>`, retried with backoff.",
  operations: [
    {
      id: "listWebhooks",
      method: "get",
      path: "/api/v1/webhooks",
      summary: "List webhooks",
      access: { kind: "user", permission: "read" },
      responses: { 200: json("Every webhook, with its newest delivery.", responseComponent("WebhookList", webhookListResponse)) },
    },
    {
      id: "createWebhook",
      method: "post",
      path: "/api/v1/webhooks",
      summary: "Create a webhook",
      description: "Owners and admins only. The URL obeys the outbound address rules: loopback, private and metadata addresses are refused.",
      access: { kind: "user", permission: "admin" },
      body: { schema: bodyComponent("CreateWebhookBody", createWebhookBody) },
      responses: { 201: json("The webhook with its signing secret, shown this once.", responseComponent("CreatedWebhook", createdWebhookResponse)) },
      errors: [409],
    },
    {
      id: "deleteWebhook",
      method: "delete",
      path: "/api/v1/webhooks/{id}",
      summary: "Delete a webhook",
      access: { kind: "user", permission: "admin" },
      params: id,
      responses: { 204: empty("Deleted; pending deliveries are dropped.") },
    },
    {
      id: "listWebhookDeliveries",
      method: "get",
      path: "/api/v1/webhooks/{id}/deliveries",
      summary: "A webhook's deliveries",
      access: { kind: "user", permission: "read" },
      params: id,
      query: listWebhookDeliveriesQuery,
      responses: { 200: json("Deliveries, newest first, with status and the receiver's answer.", responseComponent("WebhookDeliveryList", webhookDeliveryListResponse)) },
    },
    {
      id: "redeliverWebhookDelivery",
      method: "post",
      path: "/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver",
      summary: "Redeliver",
      description: "Sends a finished delivery again, with the same id and body.",
      access: { kind: "user", permission: "admin" },
      params: { ...id, deliveryId: "The delivery's id." },
      responses: { 202: json("The delivery, pending again.", webhookDeliveryResponse) },
      errors: [409],
    },
  ],
};
