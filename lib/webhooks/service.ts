import "server-only";
import { ApiError, notFound } from "@/lib/api/errors";
import { uuidParam } from "@/lib/api/schemas/common";
import type {
  CreatedWebhookResponse,
  CreateWebhookBody,
  ListWebhookDeliveriesQuery,
  WebhookDeliveryList,
  WebhookDeliveryResponse,
  WebhookList,
} from "@/lib/api/schemas/webhooks";
import type { Caller } from "@/lib/auth/caller";
import type { Db } from "@/lib/db/client";
import { insertAuditEvent } from "@/lib/db/queries/audit";
import {
  deleteWebhook,
  failPendingDeliveries,
  findDelivery,
  findWebhook,
  insertWebhook,
  latestDeliveries,
  listDeliveries,
  listWebhooks,
  reopenDelivery,
} from "@/lib/db/queries/webhooks";
import { ALLOW_ENV, BlockedAddressError, resolveAllowed } from "@/lib/net/guard";
import { enqueueWebhookDelivery } from "@/lib/queue/tasks";
import { webhookEvents } from "./kinds";
import { presentDelivery, presentWebhook } from "./present";
import { newWebhookSecret, sealWebhookSecret } from "./secret";

type OrgScope = { orgId: string };

const badUrl = (message: string) => new ApiError("validation_failed", message, { fields: { url: message } });

/**
 * Refuses a URL whose host is, or resolves to, a loopback, private, link-local or metadata
 * address (unless allowlisted), or does not resolve at all. The worker checks again on the
 * address it dials, since DNS can change after this.
 */
async function assertReachable(url: string): Promise<void> {
  const { hostname } = new URL(url);
  try {
    await resolveAllowed(hostname);
  } catch (error) {
    if (error instanceof BlockedAddressError) {
      const { host, address } = error;
      const range = `${address}/${address.includes(":") ? 128 : 32}`;
      throw badUrl(
        `Webhooks are only sent to public addresses, and ${host}${host === address ? "" : ` (${address})`} is a loopback, private, link-local or metadata address. ` +
          `Use the receiver's public URL, or ask an administrator to allow its range in ${ALLOW_ENV} (for example ${ALLOW_ENV}=${range}).`,
      );
    }
    const code = (error as NodeJS.ErrnoException).code;
    throw badUrl(`The host ${hostname} does not resolve${code ? ` (${code})` : ""}. Check the URL, or try again if its DNS is being set up.`);
  }
}

async function webhookOf(db: Db, { orgId, id }: OrgScope & { id: string }) {
  const row = await findWebhook(db, { orgId, id: uuidParam(id, "webhook") });
  if (!row) throw notFound(`Webhook '${id}'`);
  return row;
}

/** `POST /webhooks`: the one answer that carries the signing secret. */
export async function createWebhook(db: Db, caller: Caller, body: CreateWebhookBody): Promise<CreatedWebhookResponse> {
  await assertReachable(body.url);
  const events = webhookEvents.filter((event) => body.events.includes(event));
  const id = crypto.randomUUID();
  const secret = newWebhookSecret();
  const row = await db.transaction(async (tx) => {
    const created = await insertWebhook(tx, {
      id,
      orgId: caller.orgId,
      url: body.url,
      events,
      secretCiphertext: sealWebhookSecret(secret, { orgId: caller.orgId, id }),
      creatorUserId: caller.user.id,
    });
    await insertAuditEvent(tx, {
      orgId: caller.orgId,
      actor: { kind: "user", id: caller.user.id, name: caller.user.email },
      action: "webhook.create",
      target: { kind: "webhook", id, name: body.url },
      details: { events },
    });
    return created;
  });
  return { ...presentWebhook(row, null), secret };
}

export async function webhooksOf(db: Db, { orgId }: OrgScope): Promise<WebhookList> {
  const rows = await listWebhooks(db, { orgId });
  const latest = new Map((await latestDeliveries(db, { webhookIds: rows.map((row) => row.id) })).map((d) => [d.webhookId, d]));
  return { items: rows.map((row) => presentWebhook(row, latest.get(row.id) ?? null)), nextCursor: null, total: rows.length };
}

/** `DELETE /webhooks/{id}`: its deliveries go with it; a try already under way still ends. */
export async function removeWebhook(db: Db, caller: Caller, id: string): Promise<void> {
  const row = await webhookOf(db, { orgId: caller.orgId, id });
  await db.transaction(async (tx) => {
    if (!(await deleteWebhook(tx, { orgId: caller.orgId, id: row.id }))) throw notFound(`Webhook '${id}'`);
    await insertAuditEvent(tx, {
      orgId: caller.orgId,
      actor: { kind: "user", id: caller.user.id, name: caller.user.email },
      action: "webhook.delete",
      target: { kind: "webhook", id: row.id, name: row.url },
      details: { events: row.events },
    });
  });
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id]: unknown[] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    const createdAt = new Date(String(at));
    if (typeof id === "string" && !Number.isNaN(createdAt.getTime())) return { createdAt, id };
  } catch {}
  throw new ApiError("invalid_request", "The cursor is not valid. Start again from the first page.");
}

/** `GET /webhooks/{id}/deliveries`: newest first. */
export async function deliveriesOf(db: Db, scope: OrgScope & { webhookId: string }, query: ListWebhookDeliveriesQuery): Promise<WebhookDeliveryList> {
  const webhook = await webhookOf(db, { orgId: scope.orgId, id: scope.webhookId });
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const { rows, hasMore, total } = await listDeliveries(db, { orgId: scope.orgId, webhookId: webhook.id, limit: query.limit, before });
  const last = rows.at(-1);
  const nextCursor = hasMore && last ? Buffer.from(JSON.stringify([last.createdAt.toISOString(), last.id])).toString("base64url") : null;
  return { items: rows.map(presentDelivery), nextCursor, total };
}

/**
 * *Redeliver*: the same delivery (same id, same body, so a receiver can tell it apart from a
 * new event) is sent again with a fresh round of retries. One still being tried is a 409.
 */
export async function redeliver(db: Db, { orgId, webhookId, deliveryId }: OrgScope & { webhookId: string; deliveryId: string }): Promise<WebhookDeliveryResponse> {
  const webhook = await webhookOf(db, { orgId, id: webhookId });
  const found = await findDelivery(db, { orgId, id: uuidParam(deliveryId, "delivery") });
  if (!found || found.webhook.id !== webhook.id) throw notFound(`Delivery '${deliveryId}'`);
  const reopened = await reopenDelivery(db, { id: found.delivery.id });
  if (!reopened) {
    throw new ApiError("conflict", `Delivery '${deliveryId}' is still being tried (${found.delivery.attempts} so far). Wait until it succeeds or fails, then redeliver.`, {
      status: found.delivery.status,
    });
  }
  try {
    await enqueueWebhookDelivery({ deliveryId: reopened.id, orgId });
  } catch (error) {
    await failPendingDeliveries(db, { ids: [reopened.id], error: "The delivery could not be queued on the server. Press Redeliver to send it." });
    throw error;
  }
  return presentDelivery(reopened);
}
