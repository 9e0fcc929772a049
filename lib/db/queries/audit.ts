import "server-only";
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { auditEvents } from "../schema";

export type AuditActor = { kind: "user"; id: string; name: string } | { kind: "policy"; id: string; name: string } | { kind: "system"; name: string };
export type AuditTarget = { kind: string; id: string; name: string };

/** Appends an event to the org's audit log, in the caller's transaction when it passes one. */
export async function insertAuditEvent(
  db: Db,
  { orgId, actor, action, target, details = {} }: { orgId: string; actor: AuditActor; action: string; target: AuditTarget; details?: Record<string, unknown> },
) {
  const [row] = await db.insert(auditEvents).values({ orgId, actor, action, target, details }).returning();
  return row;
}

/** The org's events, newest first, keyset-paginated on the id. */
export async function listAuditEvents(db: Db, { orgId, limit, before }: { orgId: string; limit: number; before?: number }) {
  const conditions = [eq(auditEvents.orgId, orgId)];
  if (before !== undefined) conditions.push(lt(auditEvents.id, before));
  const [rows, [count]] = await Promise.all([
    db.select().from(auditEvents).where(and(...conditions)).orderBy(desc(auditEvents.id)).limit(limit + 1),
    db.select({ total: sql<number>`count(*)::int` }).from(auditEvents).where(eq(auditEvents.orgId, orgId)),
  ]);
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit, total: count?.total ?? 0 };
}
