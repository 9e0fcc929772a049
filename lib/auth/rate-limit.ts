import "server-only";
import { isIP } from "node:net";
import { RateLimitedError } from "@/lib/api/errors";
import { config } from "@/lib/config";
import { getDb, type Db } from "@/lib/db/client";
import { hitRateLimit, pruneRateLimits, refundRateLimit, type Hit } from "@/lib/db/queries/rate-limits";

/*
 * Rate limits against brute force and abuse: failed sign-ins (the sign-in page and HTTP Basic)
 * per client address and per account, sign-ups per address, API calls per token. Fixed windows
 * counted in the database, so every replica on one Postgres shares them; a limit of 0 is off.
 * Each attempt is counted before it is judged (so parallel guesses cannot all slip in before the
 * first failure is counted), and a sign-in that succeeds is taken back.
 */

/**
 * The client's address as the nearest trusted proxy saw it: `CAIRN_TRUSTED_PROXY_HOPS` entries
 * from the end of X-Forwarded-For (default 1: the last entry, which `next start` fills with the
 * socket's address when no proxy set the header, and a proxy that appends fills with the client's).
 * Requests without one (in-process calls) share the address "unknown".
 */
export function clientAddress(request: Request): string {
  const hops = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  const hop = hops[Math.max(0, hops.length - config().trustedProxyHops)];
  if (!hop) return "unknown";
  // "[::1]:1234", "1.2.3.4:5678" and IPv4-mapped IPv6 are the same client as their bare address.
  const bare = hop.replace(/^\[([^\]]+)\](?::\d+)?$/, "$1").replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, "$1").replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1");
  return isIP(bare) ? bare.toLowerCase() : "unknown";
}

const minutes = (seconds: number) => (seconds <= 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`);

let lastPrune = 0;
/** Old counters go now and then (at most every ten minutes per process), in the background. */
function pruneNowAndThen(db: Db): void {
  if (Date.now() - lastPrune < 10 * 60 * 1000) return;
  lastPrune = Date.now();
  pruneRateLimits(db, { before: new Date(Date.now() - 24 * 3600 * 1000) }).catch(() => {});
}

async function hit(db: Db, key: string, windowSeconds: number): Promise<Hit> {
  pruneNowAndThen(db);
  return hitRateLimit(db, { key, windowSeconds });
}

/** A sign-in attempt let through the limits: say how it went, so a success is not counted as a failure. */
export type SignInAttempt = { succeeded(): Promise<void> };

/**
 * Counts a sign-in attempt (the sign-in page or HTTP Basic) for `email` from `address`; throws
 * `429 rate_limited` when either has failed too often in the window. The address is counted first
 * and, when it is over, the account is left alone — one noisy client does not lock the account
 * for everyone else.
 */
export async function attemptSignIn(db: Db, { email, address }: { email: string; address: string }): Promise<SignInAttempt> {
  const limits = config().rateLimits;
  const window = limits.signInWindowSeconds;
  const counted: { key: string; hit: Hit }[] = [];
  if (limits.signInPerAddress > 0) {
    const key = `signin:addr:${address}`;
    const result = await hit(db, key, window);
    if (result.count > limits.signInPerAddress) {
      throw new RateLimitedError(
        `Too many failed sign-ins from your address (${limits.signInPerAddress} in ${minutes(window)}). Try again in ${minutes(result.retryAfterSeconds)}.`,
        result.retryAfterSeconds,
        { limit: limits.signInPerAddress, windowSeconds: window, scope: "address" },
      );
    }
    counted.push({ key, hit: result });
  }
  if (limits.signInPerAccount > 0) {
    const key = `signin:acct:${email.trim().toLowerCase()}`;
    const result = await hit(db, key, window);
    if (result.count > limits.signInPerAccount) {
      throw new RateLimitedError(
        `Too many failed sign-ins to this account (${limits.signInPerAccount} in ${minutes(window)}). Try again in ${minutes(result.retryAfterSeconds)}, or ask an administrator.`,
        result.retryAfterSeconds,
        { limit: limits.signInPerAccount, windowSeconds: window, scope: "account" },
      );
    }
    counted.push({ key, hit: result });
  }
  return {
    async succeeded() {
      for (const { key, hit: result } of counted) await refundRateLimit(db, { key, windowStart: result.windowStart });
    },
  };
}

/** Counts a sign-up from `address`; throws `429 rate_limited` past the limit. */
export async function attemptSignUp(db: Db, { address }: { address: string }): Promise<void> {
  const { signUpPerAddress: limit, signUpWindowSeconds: window } = config().rateLimits;
  if (limit <= 0) return;
  const result = await hit(db, `signup:addr:${address}`, window);
  if (result.count > limit) {
    throw new RateLimitedError(
      `Too many sign-ups from your address (${limit} in ${minutes(window)}). Try again in ${minutes(result.retryAfterSeconds)}.`,
      result.retryAfterSeconds,
      { limit, windowSeconds: window, scope: "address" },
    );
  }
}

/** Counts one API call made with the token whose hash is `tokenHash`; throws `429 rate_limited` past the limit. */
export async function countApiCall(db: Db, { tokenHash }: { tokenHash: string }): Promise<void> {
  const { apiPerToken: limit, apiWindowSeconds: window } = config().rateLimits;
  if (limit <= 0) return;
  const result = await hit(db, `api:token:${tokenHash.slice(0, 32)}`, window);
  if (result.count > limit) {
    throw new RateLimitedError(
      `This API token made more than ${limit} calls in ${minutes(window)}. Slow down, and retry in ${minutes(result.retryAfterSeconds)}.`,
      result.retryAfterSeconds,
      { limit, windowSeconds: window, scope: "token" },
    );
  }
}

const SESSION_COOKIE = /^(__Secure-)?authjs\.session-token=[^;]+/;

/**
 * The sign-in page's `POST /api/auth/callback/credentials`, held to the failed-sign-in limits: the
 * attempt is counted before Auth.js (`signInWithAuthJs`) checks the password, and taken back when
 * Auth.js signed the user in (it set the session cookie). Past the limit the answer is
 * `429 rate_limited` with `Retry-After`, its body also carrying the `url` that next-auth's
 * `signIn()` reads (`?error=CredentialsSignin&code=rate_limited`), so the form can say why.
 */
export async function limitCredentialsSignIn(request: Request, signInWithAuthJs: () => Promise<Response>): Promise<Response> {
  const form = await request
    .clone()
    .formData()
    .catch(() => null);
  const email = String(form?.get("email") ?? "");
  const db = await getDb();
  let attempt: SignInAttempt;
  try {
    attempt = await attemptSignIn(db, { email, address: clientAddress(request) });
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
    const url = new URL("/signin", request.url);
    url.search = new URLSearchParams({ error: "CredentialsSignin", code: "rate_limited" }).toString();
    const body = { error: { code: error.code, message: error.message, details: error.details }, url: url.toString() };
    return Response.json(body, { status: 429, headers: { "retry-after": String(error.retryAfterSeconds) } });
  }
  const response = await signInWithAuthJs();
  if (response.headers.getSetCookie().some((cookie) => SESSION_COOKIE.test(cookie))) await attempt.succeeded();
  return response;
}
