import "server-only";
import { and, asc, desc, eq, inArray, ne, or, sql, lt } from "drizzle-orm";
import type { WebhookEvent } from "@/lib/webhooks/kinds";
import type { Db } from "../client";
import { webhookDeliveries, webhooks, type WebhookDelivery } from "../schema";

type OrgScope = { orgId: string };

export async function insertWebhook(db: Db, values: typeof webhooks.$inferInsert & OrgScope) {
  const [row] = await db.insert(webhooks).values(values).returning();
  return row;
}

export async function listWebhooks(db: Db, { orgId }: OrgScope) {
  return db.select().from(webhooks).where(eq(webhooks.orgId, orgId)).orderBy(asc(webhooks.createdAt), asc(webhooks.id));
}

export async function findWebhook(db: Db, { orgId, id }: OrgScope & { id: string }) {
  const [row] = await db.select().from(webhooks).where(and(eq(webhooks.orgId, orgId), eq(webhooks.id, id)));
  return row ?? null;
}

/** Deletes the webhook and (by cascade) its deliveries; null when the org has no such webhook. */
export async function deleteWebhook(db: Db, { orgId, id }: OrgScope & { id: string }) {
  const [row] = await db.delete(webhooks).where(and(eq(webhooks.orgId, orgId), eq(webhooks.id, id))).returning();
  return row ?? null;
}

/** The org's webhooks subscribed to `event`. */
export async function webhooksForEvent(db: Db, { orgId, event }: OrgScope & { event: WebhookEvent }) {
  return db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.orgId, orgId), sql`${webhooks.events} @> ${JSON.stringify([event])}::jsonb`));
}

/** The newest delivery of each of these webhooks (callers pass the ids of one org's webhooks). */
export async function latestDeliveries(db: Db, { webhookIds }: { webhookIds: string[] }): Promise<WebhookDelivery[]> {
  if (webhookIds.length === 0) return [];
  return db
    .selectDistinctOn([webhookDeliveries.webhookId])
    .from(webhookDeliveries)
    .where(inArray(webhookDeliveries.webhookId, webhookIds))
    .orderBy(webhookDeliveries.webhookId, desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id));
}

export async function insertDeliveries(db: Db, rows: (typeof webhookDeliveries.$inferInsert)[]) {
  if (rows.length === 0) return [];
  return db.insert(webhookDeliveries).values(rows).returning();
}

/**
 * One page of a webhook's deliveries, newest first, keyset-paginated on (createdAt, id) — rows are
 * inserted with a millisecond `createdAt`, so a cursor written as an ISO string compares exactly.
 */
export async function listDeliveries(
  db: Db,
  { orgId, webhookId, limit, before }: OrgScope & { webhookId: string; limit: number; before?: { createdAt: Date; id: string } },
) {
  const owned = and(eq(webhooks.orgId, orgId), eq(webhookDeliveries.webhookId, webhookId));
  const page = before
    ? and(owned, or(lt(webhookDeliveries.createdAt, before.createdAt), and(eq(webhookDeliveries.createdAt, before.createdAt), lt(webhookDeliveries.id, before.id))))
    : owned;
  const joined = () => db.select().from(webhookDeliveries).innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId));
  const [rows, [count]] = await Promise.all([
    joined()
      .where(page)
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(limit + 1),
    db
      .select({ total: sql<number>`count(*)::int` })
      .from(webhookDeliveries)
      .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
      .where(owned),
  ]);
  return { rows: rows.slice(0, limit).map((row) => row.webhook_deliveries), hasMore: rows.length > limit, total: count?.total ?? 0 };
}

/** A delivery with its webhook, when the webhook belongs to the org. */
export async function findDelivery(db: Db, { orgId, id }: OrgScope & { id: string }) {
  const [row] = await db
    .select()
    .from(webhookDeliveries)
    .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
    .where(and(eq(webhooks.orgId, orgId), eq(webhookDeliveries.id, id)));
  return row ? { delivery: row.webhook_deliveries, webhook: row.webhooks } : null;
}

/**
 * Records one try of a pending delivery: the count goes up, the answer's status and the error
 * (null on success) replace the last ones. Null when the delivery is gone or no longer pending.
 */
export async function recordAttempt(
  db: Db,
  { id, status, responseStatus, error }: { id: string; status: WebhookDelivery["status"]; responseStatus: number | null; error: string | null },
) {
  const [row] = await db
    .update(webhookDeliveries)
    .set({ status, responseStatus, error, attempts: sql`${webhookDeliveries.attempts} + 1`, lastAttemptAt: new Date() })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, "pending")))
    .returning();
  return row ?? null;
}

/** Makes a finished delivery pending again (a redelivery); null when it is pending already. */
export async function reopenDelivery(db: Db, { id }: { id: string }) {
  const [row] = await db
    .update(webhookDeliveries)
    .set({ status: "pending", error: null })
    .where(and(eq(webhookDeliveries.id, id), ne(webhookDeliveries.status, "pending")))
    .returning();
  return row ?? null;
}

/** Ends pending deliveries as failed without a try (their task could not be queued). */
export async function failPendingDeliveries(db: Db, { ids, error }: { ids: string[]; error: string }) {
  if (ids.length === 0) return;
  await db
    .update(webhookDeliveries)
    .set({ status: "failed", error })
    .where(and(inArray(webhookDeliveries.id, ids), eq(webhookDeliveries.status, "pending")));
}
