import { decode } from "next-auth/jwt";
import { ApiError } from "@/lib/api/errors";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { findUserById, listMembershipsOfUser } from "@/lib/db/queries/accounts";
import type { Role, User } from "@/lib/db/schema";
import { findJobByAgentToken } from "@/lib/db/queries/jobs";
import { userForToken, verifyCredentials } from "./accounts";
import { attemptSignIn, clientAddress, countApiCall } from "./rate-limit";
import { authSecret } from "./secret";
import { hashToken, JOB_TOKEN_PREFIX } from "./tokens";

export const ORG_COOKIE = "cairn-org";
const SESSION_COOKIES = ["__Secure-authjs.session-token", "authjs.session-token"];

export type Caller = {
  user: User;
  orgId: string;
  role: Role;
  via: "session" | "token" | "basic" | "job";
  /** Set for a job's agent token: the one job it acts for (routes refuse it unless they allow jobs). */
  job?: { id: string };
};

/**
 * A job's agent token: valid until it expires (when the job ends), acting as the job's creator in
 * the job's organization with the member role, and only where a route lets jobs in.
 */
async function jobCaller(db: Db, token: string): Promise<Caller> {
  const job = await findJobByAgentToken(db, { tokenHash: hashToken(token) });
  const user = job?.creatorUserId ? await findUserById(db, job.creatorUserId) : null;
  if (!job || !user) throw new ApiError("unauthorized", "This job token is not valid: it expired when its job ended.");
  return { user, orgId: job.orgId, role: "member", via: "job", job: { id: job.id } };
}

function cookies(request: Request): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) jar.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return jar;
}

async function userFromSession(db: Db, jar: Map<string, string>): Promise<User | null> {
  for (const name of SESSION_COOKIES) {
    const token = jar.get(name);
    if (!token) continue;
    const payload = await decode({ token, secret: authSecret(), salt: name }).catch(() => null);
    if (payload?.sub) return findUserById(db, payload.sub);
  }
  return null;
}

async function identify(db: Db, request: Request, allowBasic: boolean) {
  const header = request.headers.get("authorization") ?? "";
  const [scheme, value = ""] = header.split(" ", 2);
  if (scheme?.toLowerCase() === "bearer") {
    const user = await userForToken(db, value.trim());
    if (!user) throw new ApiError("unauthorized", "This API token is not valid. Create a new one on the Tokens page.");
    await countApiCall(db, { tokenHash: hashToken(value.trim()) });
    return { user, via: "token" as const };
  }
  if (scheme?.toLowerCase() === "basic" && allowBasic) {
    if (!config().passwordSignIn) {
      throw new ApiError("unauthorized", "Password sign-in is turned off on this server. Sign in to the console, create an API token on the Tokens page and send it as 'Authorization: Bearer <token>'.");
    }
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const email = colon > 0 ? decoded.slice(0, colon) : "";
    // Counted before the password is checked: guesses are limited per address and per account.
    const attempt = await attemptSignIn(db, { email, address: clientAddress(request) });
    const user = colon > 0 ? await verifyCredentials(db, email, decoded.slice(colon + 1)) : null;
    if (!user) throw new ApiError("unauthorized", "Wrong email or password.");
    await attempt.succeeded();
    return { user, via: "basic" as const };
  }
  const user = await userFromSession(db, cookies(request));
  return user ? { user, via: "session" as const } : null;
}

/**
 * Who is calling and in which organization: a Bearer token, HTTP Basic (where allowed) or the
 * session cookie. The org comes from the `x-cairn-org` header or `cairn-org` cookie when the
 * user is a member there, else their first membership.
 */
export async function resolveCaller(db: Db, request: Request, opts: { allowBasic?: boolean } = {}): Promise<Caller> {
  const bearer = /^bearer\s+(\S+)/i.exec(request.headers.get("authorization") ?? "")?.[1];
  if (bearer?.startsWith(JOB_TOKEN_PREFIX)) return jobCaller(db, bearer);
  const identity = await identify(db, request, opts.allowBasic ?? false);
  if (!identity) throw new ApiError("unauthorized", "Sign in, or send an API token as 'Authorization: Bearer <token>'.");
  const memberships = await listMembershipsOfUser(db, { userId: identity.user.id });
  const wanted = request.headers.get("x-cairn-org") ?? cookies(request).get(ORG_COOKIE);
  const membership = memberships.find((m) => m.orgId === wanted) ?? memberships[0];
  if (!membership) throw new ApiError("forbidden", "Your account belongs to no organization. Ask an owner to add you.");
  return { user: identity.user, orgId: membership.orgId, role: membership.role, via: identity.via };
}
