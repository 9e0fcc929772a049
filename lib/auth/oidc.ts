import type { OIDCConfig } from "next-auth/providers";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";
import { findUserByEmail, insertOrg, insertUserWithOrg, listMembershipsOfUser } from "@/lib/db/queries/accounts";
import { insertMembershipIfAbsent, insertPasswordlessUser, listOrgsForEmailDomain } from "@/lib/db/queries/sign-on";
import { OIDC_PROVIDER_ID, type OidcRefusal } from "./sign-on";

/** The claims the sign-in rule reads, as the identity provider's userinfo endpoint gives them. */
export type OidcClaims = {
  sub?: string | null;
  email?: string | null;
  email_verified?: unknown;
  name?: string | null;
  preferred_username?: string | null;
};

/** The OpenID Connect provider from `CAIRN_OIDC_*`, or null unless the issuer, client id and secret are all set. */
export function oidcProvider(): OIDCConfig<OidcClaims> | null {
  const settings = config().oidc;
  if (!settings) return null;
  return {
    id: OIDC_PROVIDER_ID,
    name: settings.name,
    type: "oidc",
    issuer: settings.issuer,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    // Each binds the provider's answer to the browser that started this sign-in.
    checks: ["pkce", "state", "nonce"],
    authorization: { params: { scope: "openid email profile" } },
    // Claims from the userinfo endpoint (checked against the ID token's subject): with the code
    // flow, providers that follow the spec send `email` and `email_verified` there, not in the ID token.
    idToken: false,
    profile: (claims) => ({
      id: claims.sub ?? undefined,
      email: claims.email ?? null,
      name: claims.name ?? claims.preferred_username ?? null,
    }),
  };
}

/** The address the provider vouches for, lower-cased, or null unless it says it is verified. */
function verifiedEmail(claims: OidcClaims): string | null {
  // Some providers (Amazon Cognito) send the flag as a string.
  const verified = claims.email_verified === true || claims.email_verified === "true";
  const email = claims.email?.trim().toLowerCase() ?? "";
  return verified && /^[^@\s]+@[^@\s]+$/.test(email) ? email : null;
}

/** The orgs an email's domain joins: by their own setting, or by `CAIRN_OIDC_ORG_DOMAINS`. */
async function orgIdsForEmail(db: Db, email: string): Promise<string[]> {
  const domain = email.slice(email.lastIndexOf("@") + 1);
  const slugs = (config().oidc?.orgDomains ?? []).filter((entry) => entry.domain === domain).map((entry) => entry.orgSlug);
  const rows = await listOrgsForEmailDomain(db, { domain, slugs });
  for (const slug of slugs) {
    if (!rows.some((row) => row.slug === slug)) {
      console.warn(`CAIRN_OIDC_ORG_DOMAINS sends ${domain} to the org "${slug}", which does not exist: create it or fix the setting.`);
    }
  }
  return rows.map((row) => row.id);
}

export type OidcSignIn = { userId: string } | { refused: OidcRefusal };

/**
 * The single sign-on rule, applied to the claims of a sign-in the provider completed:
 * 1. The provider must say the email is verified (`email_verified: true`), else the sign-in is
 *    refused (`EmailUnverified`): accounts are matched by email, so an unverified one could take
 *    over anybody's.
 * 2. The account is the one with that email, in any case (a password account too), else a new one
 *    with no password and the provider's name for the person.
 * 3. It joins, as `member`, every org that allows the email's domain — the org's allowed email
 *    domains or `CAIRN_OIDC_ORG_DOMAINS` — where it is not a member yet; an existing role is never
 *    changed, so nobody is demoted.
 * 4. An account then in no org gets one of its own, owned, as sign-up gives; with sign-up off the
 *    sign-in is refused instead (`NoOrganization`) and nothing is written.
 */
export async function signInWithOidc(db: Db, claims: OidcClaims): Promise<OidcSignIn> {
  const email = verifiedEmail(claims);
  if (!email) return { refused: "EmailUnverified" };
  const orgIds = await orgIdsForEmail(db, email);
  const existing = await findUserByEmail(db, email);
  const inAnOrg = orgIds.length > 0 || (existing !== null && (await listMembershipsOfUser(db, { userId: existing.id })).length > 0);
  if (!inAnOrg && !config().signupEnabled) return { refused: "NoOrganization" };

  const name = claims.name?.trim() || claims.preferred_username?.trim() || null;
  const ownOrgName = `${name || email.split("@")[0]}'s org`;
  if (!existing && !inAnOrg) {
    try {
      const { user } = await insertUserWithOrg(db, { email, name, passwordHash: null, orgName: ownOrgName });
      return { userId: user.id };
    } catch (error) {
      // The same person signing in twice at once: the other sign-in made the account.
      if (isUniqueViolation(error)) return signInWithOidc(db, claims);
      throw error;
    }
  }
  return db.transaction(async (tx) => {
    const user = existing ?? (await insertPasswordlessUser(tx, { email, name }));
    for (const orgId of orgIds) await insertMembershipIfAbsent(tx, { orgId, userId: user.id, role: "member" });
    if (!inAnOrg) {
      const org = await insertOrg(tx, { name: ownOrgName });
      await insertMembershipIfAbsent(tx, { orgId: org.id, userId: user.id, role: "owner" });
    }
    return { userId: user.id };
  });
}

/** Our user id for claims `signInWithOidc` accepted: what the session's `sub` must be. */
export async function userIdForOidc(db: Db, claims: OidcClaims): Promise<string> {
  const email = verifiedEmail(claims);
  const user = email ? await findUserByEmail(db, email) : null;
  if (!user) throw new Error("single sign-on: no account for claims the sign-in rule accepted");
  return user.id;
}
