import "server-only";
import { and, asc, eq } from "drizzle-orm";
import { slugCandidates } from "@/lib/auth/slug";
import type { Db } from "../client";
import { apiTokens, memberships, orgs, users, type Role } from "../schema";

export async function findUserByEmail(db: Db, email: string) {
  const [user] = await db.select().from(users).where(eq(users.email, email.toLowerCase()));
  return user ?? null;
}

export async function findUserById(db: Db, id: string) {
  const [user] = await db.select().from(users).where(eq(users.id, id));
  return user ?? null;
}

/** Creates the user and the organization they own, in one transaction. */
export async function insertUserWithOrg(
  db: Db,
  input: { email: string; name: string | null; passwordHash: string | null; orgName: string },
) {
  return db.transaction(async (tx) => {
    const [user] = await tx
      .insert(users)
      .values({ email: input.email.toLowerCase(), name: input.name, passwordHash: input.passwordHash })
      .returning();
    const org = await insertOrg(tx, { name: input.orgName });
    await tx.insert(memberships).values({ orgId: org.id, userId: user.id, role: "owner" });
    return { user, org };
  });
}

export async function findOrgById(db: Db, id: string) {
  const [org] = await db.select().from(orgs).where(eq(orgs.id, id));
  return org ?? null;
}

export async function findOrgBySlug(db: Db, slug: string) {
  const [org] = await db.select().from(orgs).where(eq(orgs.slug, slug));
  return org ?? null;
}

export async function updateOrg(
  db: Db,
  id: string,
  patch: { name?: string; slug?: string; allowedEmailDomains?: string[] },
) {
  if (Object.keys(patch).length === 0) return findOrgById(db, id);
  const [org] = await db.update(orgs).set(patch).where(eq(orgs.id, id)).returning();
  return org ?? null;
}

/** A new org under the first free slug its name gives. */
export async function insertOrg(db: Db, { name }: { name: string }) {
  for (const slug of slugCandidates(name)) {
    const [org] = await db.insert(orgs).values({ name, slug }).onConflictDoNothing({ target: orgs.slug }).returning();
    if (org) return org;
  }
  throw new Error("unreachable");
}

export async function listMembershipsOfUser(db: Db, { userId }: { userId: string }) {
  return db
    .select({ orgId: orgs.id, orgName: orgs.name, orgSlug: orgs.slug, role: memberships.role })
    .from(memberships)
    .innerJoin(orgs, eq(orgs.id, memberships.orgId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt));
}

export async function listMembers(db: Db, { orgId }: { orgId: string }) {
  return db
    .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role, joinedAt: memberships.createdAt })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.orgId, orgId))
    .orderBy(asc(memberships.createdAt));
}

export async function upsertMembership(db: Db, { orgId, userId, role }: { orgId: string; userId: string; role: Role }) {
  await db
    .insert(memberships)
    .values({ orgId, userId, role })
    .onConflictDoUpdate({ target: [memberships.orgId, memberships.userId], set: { role } });
}

export async function insertApiToken(
  db: Db,
  input: { userId: string; name: string; tokenHash: string; prefix: string },
) {
  const [token] = await db.insert(apiTokens).values(input).returning();
  return token;
}

export async function listApiTokens(db: Db, { userId }: { userId: string }) {
  return db
    .select({ id: apiTokens.id, name: apiTokens.name, prefix: apiTokens.prefix, createdAt: apiTokens.createdAt, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .where(eq(apiTokens.userId, userId))
    .orderBy(asc(apiTokens.createdAt));
}

export async function deleteApiToken(db: Db, { userId, id }: { userId: string; id: string }) {
  const deleted = await db
    .delete(apiTokens)
    .where(and(eq(apiTokens.userId, userId), eq(apiTokens.id, id)))
    .returning({ id: apiTokens.id });
  return deleted.length > 0;
}

/** How stale a token's `lastUsedAt` may be: a script polling every second must not write a row per request. */
export const TOKEN_LAST_USED_GRANULARITY_MS = 60_000;

export async function findUserByTokenHash(db: Db, tokenHash: string) {
  const [row] = await db
    .select({ user: users, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, tokenHash));
  if (!row) return null;
  const now = new Date();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= TOKEN_LAST_USED_GRANULARITY_MS) {
    await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.tokenId));
  }
  return row.user;
}
