import { Auth } from "@auth/core";
import type { Profile } from "@auth/core/types";
import { encode } from "next-auth/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as users from "@/app/api/v1/users/route";
import * as tokens from "@/app/api/v1/tokens/route";
import * as me from "@/app/api/v1/me/route";
import * as org from "@/app/api/v1/orgs/current/route";
import { authConfig } from "@/lib/auth/auth-options";
import { signInWithOidc, userIdForOidc, type OidcClaims } from "@/lib/auth/oidc";
import { authSecret } from "@/lib/auth/secret";
import { config } from "@/lib/config";
import { findUserByEmail, listMembershipsOfUser } from "@/lib/db/queries/accounts";
import { addMember, call, expectError, json, signUpWithToken, testDatabases, useApiSuite, type TestUser } from "../helpers/api-suite";

const OIDC_ENV = { CAIRN_OIDC_ISSUER: "http://127.0.0.1:1/issuer", CAIRN_OIDC_CLIENT_ID: "cairn", CAIRN_OIDC_CLIENT_SECRET: "s3cret", CAIRN_OIDC_NAME: "Acme ID" };
const TOUCHED = ["CAIRN_SIGNUP", "CAIRN_PASSWORD_SIGNIN", "CAIRN_OIDC_ORG_DOMAINS", ...Object.keys(OIDC_ENV)];

let counter = 0;
/** Verified claims for a fresh address at `domain`, as a provider's userinfo endpoint gives them. */
const person = (domain: string, extra: OidcClaims = {}): OidcClaims & { email: string } => {
  counter += 1;
  return { sub: `sub-${counter}`, email_verified: true, name: `Person ${counter}`, ...extra, email: `person${counter}-${Date.now()}@${domain}` };
};

type OrgAnswer = { id: string; slug: string; name: string; allowedEmailDomains: string[] };
const currentOrg = async (user: TestUser) => json<OrgAnswer>(await call(org.GET, "/api/v1/orgs/current", { token: user.token }));
const allowDomains = async (user: TestUser, allowedEmailDomains: string[]) => {
  const response = await call(org.PATCH, "/api/v1/orgs/current", { method: "PATCH", token: user.token, body: { allowedEmailDomains } });
  expect(response.status, await response.clone().text()).toBe(200);
};

describe.each(testDatabases)("single sign-on on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["owner", "colleague"], env: OIDC_ENV });
  const db = () => suite.database.db;
  const roles = async (userId: string) => (await listMembershipsOfUser(db(), { userId })).map((m) => ({ orgId: m.orgId, role: m.role }));
  const signIn = async (claims: OidcClaims) => {
    const outcome = await signInWithOidc(db(), claims);
    if ("refused" in outcome) throw new Error(`refused: ${outcome.refused}`);
    return outcome.userId;
  };

  afterEach(() => {
    for (const key of TOUCHED) delete process.env[key];
    Object.assign(process.env, OIDC_ENV);
  });

  it("matches an existing password account by its email in any case, and adds no org", async () => {
    const { owner } = suite.users;
    const userId = await signIn({ sub: "x", email: owner.email.toUpperCase(), email_verified: true });
    expect(userId).toBe(owner.id);
    expect(await roles(owner.id)).toEqual([{ orgId: owner.orgId, role: "owner" }]);
  });

  it("makes a newcomer an account without a password and an org of their own, as sign-up does", async () => {
    const claims = person("solo.example", { name: "Ada Lovelace" });
    const userId = await signIn(claims);
    const user = await findUserByEmail(db(), claims.email);
    expect(user).toMatchObject({ id: userId, name: "Ada Lovelace", passwordHash: null });
    const [membership, ...others] = await listMembershipsOfUser(db(), { userId });
    expect(others).toEqual([]);
    expect(membership).toMatchObject({ role: "owner", orgName: "Ada Lovelace's org" });
    // A second sign-in is the same account, still in one org.
    expect(await signIn({ ...claims, email: claims.email.toUpperCase() })).toBe(userId);
    expect(await roles(userId)).toHaveLength(1);
    // No password opens it: HTTP Basic with anything is refused.
    const basic = await call(tokens.POST, "/api/v1/tokens", { method: "POST", basic: [claims.email, ""], body: { name: "x" } });
    await expectError(basic, 401, "unauthorized");
  });

  it("joins the orgs whose allowed email domains match, as member, instead of making one", async () => {
    const { owner } = suite.users;
    await allowDomains(owner, ["acme.example"]);
    try {
      const userId = await signIn(person("ACME.example"));
      expect(await roles(userId)).toEqual([{ orgId: owner.orgId, role: "member" }]);
      // Only that domain: a subdomain or a look-alike gets an org of its own.
      for (const other of ["eu.acme.example", "acme.example.evil"]) {
        const stranger = await signIn(person(other));
        expect((await roles(stranger)).map((m) => m.role)).toEqual(["owner"]);
        expect((await roles(stranger)).map((m) => m.orgId)).not.toContain(owner.orgId);
      }
    } finally {
      await allowDomains(owner, []);
    }
  });

  it("joins the orgs CAIRN_OIDC_ORG_DOMAINS names for the domain", async () => {
    const { owner, colleague } = suite.users;
    const [first, second] = [await currentOrg(owner), await currentOrg(colleague)];
    process.env.CAIRN_OIDC_ORG_DOMAINS = `lab.example=${first.slug}, lab.example=${second.slug},other.example=${first.slug}`;
    const userId = await signIn(person("lab.example"));
    expect(new Set(await roles(userId))).toEqual(new Set([{ orgId: first.id, role: "member" }, { orgId: second.id, role: "member" }]));
  });

  it("warns about, and skips, an org slug in CAIRN_OIDC_ORG_DOMAINS that does not exist", async () => {
    process.env.CAIRN_OIDC_ORG_DOMAINS = "ghost.example=no-such-org";
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const userId = await signIn(person("ghost.example"));
      expect((await roles(userId)).map((m) => m.role)).toEqual(["owner"]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('the org "no-such-org", which does not exist'));
    } finally {
      warn.mockRestore();
    }
  });

  it("refuses a malformed CAIRN_OIDC_ORG_DOMAINS, saying the format", () => {
    process.env.CAIRN_OIDC_ORG_DOMAINS = "lab.example";
    expect(() => config()).toThrow(/domain=org-slug pairs .*"lab\.example" is not one/);
  });

  it("never changes a role it finds: owners and admins of a matching org keep theirs", async () => {
    const owner = await signUpWithToken("keeper");
    const admin = await signUpWithToken("keeper");
    await addMember(owner, admin, "admin");
    await allowDomains(owner, ["example.com"]);
    try {
      expect(await signIn({ email: owner.email, email_verified: true })).toBe(owner.id);
      expect(await signIn({ email: admin.email, email_verified: true })).toBe(admin.id);
      expect(await roles(owner.id)).toEqual([{ orgId: owner.orgId, role: "owner" }]);
      expect(new Set(await roles(admin.id))).toEqual(new Set([{ orgId: admin.orgId, role: "owner" }, { orgId: owner.orgId, role: "admin" }]));
    } finally {
      await allowDomains(owner, []);
    }
  });

  it("refuses an email the provider does not call verified, and writes nothing", async () => {
    for (const claims of [
      person("unverified.example", { email_verified: false }),
      person("unverified.example", { email_verified: "false" }),
      person("unverified.example", { email_verified: undefined }),
    ]) {
      expect(await signInWithOidc(db(), claims)).toEqual({ refused: "EmailUnverified" });
      expect(await findUserByEmail(db(), claims.email)).toBeNull();
    }
    expect(await signInWithOidc(db(), { sub: "no-email", email_verified: true })).toEqual({ refused: "EmailUnverified" });
    // Not even an existing account is opened by an unverified claim to its address.
    expect(await signInWithOidc(db(), { email: suite.users.owner.email, email_verified: false })).toEqual({ refused: "EmailUnverified" });
  });

  it("with sign-up off, admits only people an org takes, and refuses the rest without an account", async () => {
    const { owner } = suite.users;
    process.env.CAIRN_SIGNUP = "false";
    await allowDomains(owner, ["closed.example"]);
    try {
      const stranger = person("elsewhere.example");
      expect(await signInWithOidc(db(), stranger)).toEqual({ refused: "NoOrganization" });
      expect(await findUserByEmail(db(), stranger.email)).toBeNull();
      const insider = await signIn(person("closed.example"));
      expect(await roles(insider)).toEqual([{ orgId: owner.orgId, role: "member" }]);
      // Someone already in an org signs in as before.
      expect(await signIn({ email: owner.email, email_verified: true })).toBe(owner.id);
    } finally {
      await allowDomains(owner, []);
    }
  });

  it("puts our user id in the session, which the API then accepts as that user", async () => {
    const claims = person("session.example");
    const { callbacks } = authConfig();
    const account = { provider: "oidc", type: "oidc", providerAccountId: claims.sub ?? "" } as const;
    // As Auth.js hands them over: the userinfo claims are its `profile`.
    const profile = claims as Profile;
    const refused = await callbacks?.signIn?.({ user: {}, account, profile: { ...profile, email_verified: false } });
    expect(refused).toBe("/signin?error=EmailUnverified");
    expect(await callbacks?.signIn?.({ user: {}, account, profile })).toBe(true);
    const token = await callbacks?.jwt?.({ token: { sub: "provider-subject" }, user: { id: "random" }, account, profile, trigger: "signIn" });
    const userId = await userIdForOidc(db(), claims);
    expect(token?.sub).toBe(userId);
    const name = "authjs.session-token";
    const cookie = await encode({ token: { ...token, sub: token?.sub ?? "" }, secret: authSecret(), salt: name });
    const answer = await call(me.GET, "/api/v1/me", { headers: { cookie: `${name}=${cookie}` } });
    expect(answer.status).toBe(200);
    expect((await json<{ user: { id: string; email: string } }>(answer)).user).toEqual(expect.objectContaining({ id: userId, email: claims.email }));
  });

  it("offers the providers the settings turn on", async () => {
    // Auth.js itself, with the options the Next.js handlers are made from, as the browser asks.
    const providers = async () =>
      Object.keys(await json(await Auth(new Request("http://cairn.test/api/auth/providers"), { ...authConfig(), basePath: "/api/auth" })));
    expect(await providers()).toEqual(["credentials", "oidc"]);
    process.env.CAIRN_PASSWORD_SIGNIN = "false";
    expect(await providers()).toEqual(["oidc"]);
    delete process.env.CAIRN_OIDC_CLIENT_SECRET;
    expect(await providers()).toEqual([]);
  });

  it("with password sign-in off, refuses sign-up and Basic with a password, and keeps API tokens", async () => {
    const { owner } = suite.users;
    process.env.CAIRN_PASSWORD_SIGNIN = "false";
    const signUp = await call(users.POST, "/api/v1/users", { method: "POST", body: { email: "late@example.com", password: "long enough" } });
    const refusal = await expectError(signUp, 403, "forbidden");
    expect(refusal.error.message).toBe("Password sign-in is turned off on this server: create your account by signing in to the console with Acme ID.");
    const basic = await call(tokens.POST, "/api/v1/tokens", { method: "POST", basic: [owner.email, owner.password], body: { name: "laptop" } });
    const basicRefusal = await expectError(basic, 401, "unauthorized");
    expect(basicRefusal.error.message).toMatch(/^Password sign-in is turned off on this server\. .*create an API token on the Tokens page/);
    const withToken = await call(tokens.POST, "/api/v1/tokens", { method: "POST", token: owner.token, body: { name: "laptop" } });
    expect(withToken.status).toBe(201);
    // The same calls work again once it is back on: the refusals came from the setting.
    delete process.env.CAIRN_PASSWORD_SIGNIN;
    const again = await call(tokens.POST, "/api/v1/tokens", { method: "POST", basic: [owner.email, owner.password], body: { name: "laptop" } });
    expect(again.status).toBe(201);
  });
});
