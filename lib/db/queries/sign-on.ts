import "server-only";
import { inArray, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { memberships, orgs, users, type Role } from "../schema";
import { findUserByEmail } from "./accounts";

/**
 * The orgs a single sign-on from `domain` joins: those listing it in their allowed email domains,
 * and those whose slug is in `slugs` (the server's own domain-to-org setting). Across orgs by
 * nature: this is how a newcomer finds theirs.
 */
export async function listOrgsForEmailDomain(db: Db, { domain, slugs }: { domain: string; slugs: string[] }) {
  const byDomain = sql`${domain} = any(${orgs.allowedEmailDomains})`;
  return db
    .select({ id: orgs.id, slug: orgs.slug })
    .from(orgs)
    .where(slugs.length > 0 ? or(byDomain, inArray(orgs.slug, slugs)) : byDomain);
}

/** A user with no password (single sign-on only); the existing one when that email raced in first. */
export async function insertPasswordlessUser(db: Db, { email, name }: { email: string; name: string | null }) {
  const [user] = await db
    .insert(users)
    .values({ email: email.toLowerCase(), name, passwordHash: null })
    .onConflictDoNothing({ target: users.email })
    .returning();
  const existing = user ?? (await findUserByEmail(db, email));
  if (!existing) throw new Error(`the user ${email} was neither inserted nor found`);
  return existing;
}

/** Adds the membership unless the user is in the org already: an existing role is never changed. */
export async function insertMembershipIfAbsent(db: Db, { orgId, userId, role }: { orgId: string; userId: string; role: Role }) {
  await db.insert(memberships).values({ orgId, userId, role }).onConflictDoNothing({ target: [memberships.orgId, memberships.userId] });
}
