import NextAuth from "next-auth";
import { NextRequest } from "next/server";
import { authConfig } from "./auth-options";

// Configured per request, so the sign-in methods follow the running server's settings.
const nextAuth = NextAuth(() => authConfig());

export const { auth, signIn, signOut } = nextAuth;

const firstValue = (header: string | null) => header?.split(",")[0]?.trim() || null;

/**
 * The request at the address the browser used. Next.js hands route handlers a URL on its own
 * listening address (`localhost`), and Auth.js makes the callback URL the identity provider must
 * redirect to from it; so, unless `AUTH_URL` fixes the address, it comes from the Host header (or
 * the proxy's X-Forwarded-Host and -Proto). A provider only redirects to callback URLs registered
 * with it, so a forged Host cannot send a sign-in elsewhere.
 */
function asAddressed(request: NextRequest): NextRequest {
  if (process.env.AUTH_URL || process.env.NEXTAUTH_URL) return request;
  const host = firstValue(request.headers.get("x-forwarded-host")) ?? request.headers.get("host");
  const given = new URL(request.url);
  const protocol = firstValue(request.headers.get("x-forwarded-proto")) ?? given.protocol.replace(/:$/, "");
  if (!host || !/^https?$/.test(protocol)) return request;
  try {
    const url = new URL(`${given.pathname}${given.search}`, `${protocol}://${host}`);
    return url.origin === given.origin ? request : new NextRequest(url, request);
  } catch {
    return request;
  }
}

export const handlers = {
  GET: (request: NextRequest) => nextAuth.handlers.GET(asAddressed(request)),
  POST: (request: NextRequest) => nextAuth.handlers.POST(asAddressed(request)),
};
