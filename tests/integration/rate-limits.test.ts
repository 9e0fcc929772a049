import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { afterEach, describe, expect, it } from "vitest";
import * as users from "@/app/api/v1/users/route";
import * as tokens from "@/app/api/v1/tokens/route";
import * as me from "@/app/api/v1/me/route";
import { limitCredentialsSignIn } from "@/lib/auth/rate-limit";
import { hitRateLimit } from "@/lib/db/queries/rate-limits";
import type { Db } from "@/lib/db/client";
import * as schema from "@/lib/db/schema";
import { call, json, signUpWithToken, testDatabases, useApiSuite, type Envelope } from "../helpers/api-suite";

const LIMIT_ENV = [
  "CAIRN_RATE_LIMIT_SIGNIN_PER_ADDRESS",
  "CAIRN_RATE_LIMIT_SIGNIN_PER_ACCOUNT",
  "CAIRN_RATE_LIMIT_SIGNUP_PER_ADDRESS",
  "CAIRN_RATE_LIMIT_API_PER_TOKEN",
  "CAIRN_TRUSTED_PROXY_HOPS",
];

describe.each(testDatabases)("rate limits on %s", (kind) => {
  const suite = useApiSuite(kind);
  let address = 0;
  /** A client address no other test used (TEST-NET-3). */
  const newAddress = () => `203.0.113.${(address += 1)}`;

  afterEach(() => {
    for (const name of LIMIT_ENV) delete process.env[name];
  });
  const basicToken = (email: string, password: string, from: string) =>
    call(tokens.POST, "/api/v1/tokens", { method: "POST", basic: [email, password], body: { name: "t" }, headers: { "x-forwarded-for": from } });

  it("answers 30 wrong Basic passwords in a row with 401s, then 429 with Retry-After; another address still signs in", async () => {
    const user = await signUpWithToken("limited");
    const attacker = newAddress();
    const statuses: number[] = [];
    let limited: Response | null = null;
    for (let i = 0; i < 30; i += 1) {
      const response = await basicToken(user.email, `wrong-${i}`, attacker);
      statuses.push(response.status);
      if (response.status === 429) limited ??= response;
      else await response.text();
    }
    // The default: 10 failures per address per 15 minutes.
    expect(statuses).toEqual([...Array<number>(10).fill(401), ...Array<number>(20).fill(429)]);
    expect(limited).not.toBeNull();
    const retryAfter = Number(limited?.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    const body = await json<Envelope>(limited as Response);
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.message).toMatch(/^Too many failed sign-ins from your address \(10 in 15 minutes\)\. Try again in \d+ (minutes|seconds)\.$/);
    expect(body.error.details).toMatchObject({ retryAfterSeconds: retryAfter, limit: 10, scope: "address" });
    // Even the right password from there waits…
    expect((await basicToken(user.email, user.password, attacker)).status).toBe(429);
    // …but the account is not locked for everyone: from another address it works.
    const elsewhere = await basicToken(user.email, user.password, newAddress());
    expect(elsewhere.status).toBe(201);
    expect((await json<{ token: string }>(elsewhere)).token).toMatch(/\S{20,}/);
  });

  it("does not count sign-ins that succeed", async () => {
    const user = await signUpWithToken("limited");
    const from = newAddress();
    for (let i = 0; i < 15; i += 1) expect((await basicToken(user.email, user.password, from)).status).toBe(201);
  });

  it("locks an account guessed at from many addresses, for every address", async () => {
    const target = await signUpWithToken("target");
    const bystander = await signUpWithToken("bystander");
    process.env.CAIRN_RATE_LIMIT_SIGNIN_PER_ACCOUNT = "5";
    for (let i = 0; i < 5; i += 1) expect((await basicToken(target.email, "nope", newAddress())).status).toBe(401);
    const locked = await basicToken(target.email, target.password, newAddress());
    expect(locked.status).toBe(429);
    expect((await json<Envelope>(locked)).error.details).toMatchObject({ scope: "account", limit: 5 });
    // Another account is unaffected.
    expect((await basicToken(bystander.email, bystander.password, newAddress())).status).toBe(201);
  });

  it("limits sign-ups per address", async () => {
    process.env.CAIRN_RATE_LIMIT_SIGNUP_PER_ADDRESS = "3";
    const from = newAddress();
    const signUp = (n: number, ip: string) =>
      call(users.POST, "/api/v1/users", { method: "POST", body: { email: `signup-${n}-${Date.now()}@example.com`, password: "long enough" }, headers: { "x-forwarded-for": ip } });
    for (let i = 0; i < 3; i += 1) expect((await signUp(i, from)).status).toBe(201);
    const fourth = await signUp(3, from);
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await json<Envelope>(fourth)).error.message).toMatch(/^Too many sign-ups from your address \(3 in 60 minutes\)/);
    expect((await signUp(4, newAddress())).status).toBe(201);
  });

  it("limits API calls per token, not per user or per address", async () => {
    process.env.CAIRN_RATE_LIMIT_API_PER_TOKEN = "5";
    const other = await signUpWithToken("api-calls");
    for (let i = 0; i < 5; i += 1) expect((await call(me.GET, "/api/v1/me", { token: other.token })).status).toBe(200);
    const over = await call(me.GET, "/api/v1/me", { token: other.token, headers: { "x-forwarded-for": newAddress() } });
    expect(over.status).toBe(429);
    const retryAfter = Number(over.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await json<Envelope>(over)).error).toMatchObject({ code: "rate_limited", details: { scope: "token", limit: 5 } });
    // The same user's other token has its own count.
    const issued = await basicToken(other.email, other.password, newAddress());
    const second = (await json<{ token: string }>(issued)).token;
    expect((await call(me.GET, "/api/v1/me", { token: second })).status).toBe(200);
  });

  it("takes the client address from the end of X-Forwarded-For, as many hops back as proxies are trusted", async () => {
    const user = await signUpWithToken("limited");
    const spoofed = newAddress();
    const real = newAddress();
    // A client that sends its own X-Forwarded-For through one proxy: the proxy's entry counts.
    for (let i = 0; i < 10; i += 1) expect((await basicToken(user.email, "bad", `${newAddress()}, ${real}`)).status).toBe(401);
    expect((await basicToken(user.email, "bad", `${spoofed}, ${real}`)).status).toBe(429);
    // Two trusted proxies: the entry before the last is the client's.
    process.env.CAIRN_TRUSTED_PROXY_HOPS = "2";
    expect((await basicToken(user.email, user.password, `${spoofed}, ${real}`)).status).toBe(201);
  });

  it("answers failed sign-ins on the sign-in page with 429 rate_limited past the limit, with the url next-auth reads", async () => {
    const user = await signUpWithToken("limited");
    // Auth.js itself cannot load outside Next.js (it imports `next/server`): a stand-in that answers
    // as it does for `X-Auth-Return-Redirect` — the sign-in page's url with an error, or the
    // callback url and the session cookie.
    let checked = 0;
    const authJs = (password: string) => async () => {
      checked += 1;
      if (password !== user.password) return Response.json({ url: "http://cairn.test/signin?error=CredentialsSignin&code=credentials" });
      return Response.json({ url: "http://cairn.test/checkpoints" }, { headers: { "set-cookie": "authjs.session-token=abc; Path=/; HttpOnly" } });
    };
    const signIn = (password: string, from: string) =>
      limitCredentialsSignIn(
        new Request("http://cairn.test/api/auth/callback/credentials", {
          method: "POST",
          body: new URLSearchParams({ email: user.email, password, csrfToken: "x", callbackUrl: "/checkpoints" }),
          headers: { "x-auth-return-redirect": "1", "x-forwarded-for": from },
        }),
        authJs(password),
      );
    const from = newAddress();
    // Right passwords first: not counted.
    for (let i = 0; i < 12; i += 1) expect((await signIn(user.password, from)).status).toBe(200);
    for (let i = 0; i < 10; i += 1) {
      const failed = await signIn(`wrong-${i}`, from);
      expect(failed.status).toBe(200);
      expect((await json<{ url: string }>(failed)).url).toContain("error=CredentialsSignin");
    }
    const before = checked;
    const limited = await signIn(user.password, from);
    expect(limited.status).toBe(429);
    // Refused before Auth.js saw the password.
    expect(checked).toBe(before);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = await json<Envelope & { url: string }>(limited);
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.message).toMatch(/^Too many failed sign-ins from your address/);
    expect(new URL(body.url).searchParams.get("error")).toBe("CredentialsSignin");
    expect(new URL(body.url).searchParams.get("code")).toBe("rate_limited");
    // The same counter as HTTP Basic: that address is refused there too; another signs in.
    expect((await basicToken(user.email, user.password, from)).status).toBe(429);
    expect((await signIn(user.password, newAddress())).status).toBe(200);
  });

  // Two connections need a server database; PGlite is one process's own.
  if (kind === "postgres") it("counts in the database: two connections (two replicas) share one window", async () => {
    const user = await signUpWithToken("limited");
    const { database } = suite;
    const other = new pg.Pool({ connectionString: database.url ?? "", max: 2 });
    try {
      const replica = drizzle(other, { schema }) as unknown as Db;
      const key = `shared:${Date.now()}`;
      const counts: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const hit = await hitRateLimit(i % 2 === 0 ? database.db : replica, { key, windowSeconds: 900 });
        counts.push(hit.count);
      }
      expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
      // At once from both: every hit counted once.
      const together = await Promise.all(Array.from({ length: 20 }, (_, i) => hitRateLimit(i % 2 === 0 ? database.db : replica, { key, windowSeconds: 900 })));
      expect(together.map((h) => h.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 7));
      // And the Basic limit seen from the other replica's connection.
      const attacker = newAddress();
      for (let i = 0; i < 10; i += 1) await hitRateLimit(replica, { key: `signin:addr:${attacker}`, windowSeconds: 900 });
      expect((await basicToken(user.email, user.password, attacker)).status).toBe(429);
    } finally {
      await other.end();
    }
  });
});
