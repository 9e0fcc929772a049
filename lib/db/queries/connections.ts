import "server-only";
import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "../client";
import { connections } from "../schema";

const live = (orgId: string) => and(eq(connections.orgId, orgId), isNull(connections.deletedAt));

export async function insertConnection(db: Db, values: typeof connections.$inferInsert & { orgId: string }) {
  const [row] = await db.insert(connections).values(values).returning();
  return row;
}

export async function listConnections(db: Db, { orgId, provider }: { orgId: string; provider?: string }) {
  const conditions = [live(orgId)];
  if (provider) conditions.push(eq(connections.provider, provider));
  return db.select().from(connections).where(and(...conditions)).orderBy(asc(connections.name));
}

export async function findConnection(db: Db, { orgId, id, name }: { orgId: string; id?: string; name?: string }) {
  const match = id ? eq(connections.id, id) : eq(connections.name, name ?? "");
  const [row] = await db.select().from(connections).where(and(live(orgId), match));
  return row ?? null;
}

export async function softDeleteConnection(db: Db, { orgId, id }: { orgId: string; id: string }) {
  await db.update(connections).set({ deletedAt: new Date() }).where(and(live(orgId), eq(connections.id, id)));
}
